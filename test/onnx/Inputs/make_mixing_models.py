"""Graphs with a dynamic axis 0 that mix samples along it, for
test/onnx/per_sample_check.test: nnc import must not run them sample by
sample (its check must find where they mix), so each import fails and
names the node. Two more keep samples apart while folding the batch into
another axis, as attention does, and equal PyTorch sample by sample: one
written out, and nn.MultiheadAttention (batch_first) with a key padding mask,
a bool input whose -inf fill and expand(-1, ...) sizes are constants.

usage: make_mixing_models.py OUTDIR
"""
import os
import sys

import numpy as np
import torch

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(4)


class Softmax0(torch.nn.Module):
    def forward(self, x):
        return torch.softmax(x, 0)


class Center(torch.nn.Module):  # batch statistics
    def forward(self, x):
        return x - x.mean(0, keepdim=True)


class Flip(torch.nn.Module):  # the samples in reverse order
    def forward(self, x):
        return torch.tanh(x).flip(0)


class Gram(torch.nn.Module):  # a product summed over the batch
    def forward(self, x):
        return x @ (x.t() @ x)


class ScaleByBatch(torch.nn.Module):  # the batch size as a number
    def forward(self, x):
        return x * x.shape[0]


class CrossFold(torch.nn.Module):  # rows that straddle samples
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor([[1.0], [-2.0]]))

    def forward(self, x):
        return (x.reshape(2, -1) * self.w).reshape(x.shape)


class HeadsMixed(torch.nn.Module):  # a softmax over the axis the batch is folded into
    def forward(self, x):
        n, t, e = x.shape
        h = x.transpose(0, 1).reshape(t, n * 2, e // 2)
        return torch.softmax(h, 1).reshape(t, n, e).transpose(0, 1)


class HeadsApart(torch.nn.Module):  # the same fold, a softmax within each head
    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(4, 4)

    def forward(self, x):
        n, t, e = x.shape
        h = self.proj(x).transpose(0, 1).reshape(t, n * 2, e // 2)
        s = torch.softmax(h.transpose(0, 1) @ h.permute(1, 2, 0), -1)   # [n*2, t, t]
        y = (s @ h.transpose(0, 1)).transpose(0, 1).reshape(t, n, e)
        return y.transpose(0, 1)


class Encoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        layer = torch.nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, batch_first=True)
        self.enc = torch.nn.TransformerEncoder(layer, 2)
        self.head = torch.nn.Linear(16, 5)

    def forward(self, x):
        return self.head(self.enc(x))


models = {"softmax0": (Softmax0(), (4, 3)), "center": (Center(), (4, 3)), "flip": (Flip(), (4, 3)),
          "gram": (Gram(), (4, 3)), "scale_by_batch": (ScaleByBatch(), (4, 3)),
          "cross_fold": (CrossFold(), (4, 3)), "heads_mixed": (HeadsMixed(), (3, 5, 4)),
          "heads_apart": (HeadsApart(), (3, 5, 4)), "encoder": (Encoder(), (3, 6, 16))}


def export(name, m, inputs, opset):
    """NAME.onnx with a dynamic axis 0 on every input and on output y, the
    inputs as NAME.INPUT.npy and PyTorch's y as NAME.y.npy."""
    m = m.eval()
    xs = tuple(inputs.values())
    axes = {n: {0: "N"} for n in list(inputs) + ["y"]}
    torch.onnx.export(m, xs, os.path.join(out, name + ".onnx"), input_names=list(inputs),
                      output_names=["y"], dynamic_axes=axes, opset_version=opset)
    for n, x in inputs.items():
        np.save(os.path.join(out, "%s.%s.npy" % (name, n)), x.numpy())
    with torch.no_grad():
        np.save(os.path.join(out, name + ".y.npy"), m(*xs).numpy())


for name, (m, shape) in models.items():
    export(name, m, {"x": torch.randn(*shape)}, 13)


class PaddedAttention(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = torch.nn.MultiheadAttention(16, 4, batch_first=True)
        self.head = torch.nn.Linear(16, 3)

    def forward(self, x, pad):
        y, _ = self.attn(x, x, x, key_padding_mask=pad, need_weights=False)
        return self.head(y)


pad = torch.zeros(3, 6, dtype=torch.bool)
pad[0, 4:] = True
pad[2, 5:] = True
export("padded_attention", PaddedAttention(), {"x": torch.randn(3, 6, 16), "pad": pad}, 14)


class EncoderDecoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.tr = torch.nn.Transformer(16, 4, 1, 1, 32, dropout=0.0, batch_first=True)
        self.head = torch.nn.Linear(16, 5)
        self.register_buffer("mask", torch.nn.Transformer.generate_square_subsequent_mask(5))

    def forward(self, src, tgt):
        return self.head(self.tr(src, tgt, tgt_mask=self.mask))


export("transformer", EncoderDecoder(), {"src": torch.randn(3, 6, 16), "tgt": torch.randn(3, 5, 16)}, 14)
