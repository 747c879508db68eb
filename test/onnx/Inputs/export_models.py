"""Exports PyTorch models with torch.onnx.export for test/onnx: for each, the
.onnx file, an input batch x.npy and PyTorch's outputs y.npy (eval mode).

usage: export_models.py OUTDIR [NAME ...]   (default: every model)
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class PytorchExamplesMnist(nn.Module):
    """pytorch/examples mnist/main.py's Net."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


class KerasMnistConvnet(nn.Module):
    """Keras' mnist_convnet recipe: conv 32 -> pool -> conv 64 -> pool ->
    flatten -> dropout 0.5 -> dense 10 softmax."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(1600, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return F.softmax(self.fc(self.drop(x.view(x.size(0), -1))), dim=1)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                          nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNetBlocks(nn.Module):
    """A small ResNet: stem, two basic blocks (one downsampling), global
    average pooling, a classifier; batch norm in eval mode."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = BasicBlock(16, 16, 1)
        self.layer2 = BasicBlock(16, 32, 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class Activations(nn.Module):
    """An MLP through the elementwise ops exporters emit."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(12, 16)
        self.fc2 = nn.Linear(16, 16)
        self.fc3 = nn.Linear(16, 5)

    def forward(self, x):
        h = torch.tanh(self.fc1(x)) + torch.sigmoid(x.sum(dim=1, keepdim=True))
        h = F.leaky_relu(h, 0.1) * 0.5 - F.elu(h)
        h = F.softplus(self.fc2(h)) + torch.sqrt(torch.abs(h) + 1.0)
        h = torch.clamp(h, -2.0, 3.0) / 2.0 + F.hardtanh(h)
        return torch.log_softmax(self.fc3(h), dim=-1), torch.exp(-h).mean(dim=1)


class PoolingVariants(nn.Module):
    """Padding, strides and average pooling as exporters write them."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 6, (3, 5), stride=(2, 1), padding=(1, 2), dilation=(1, 2))
        self.bn = nn.BatchNorm2d(6)

    def forward(self, x):
        y = self.bn(self.conv(x))
        a = F.avg_pool2d(y, 2, stride=1)
        m = F.max_pool2d(y, 3, stride=2, padding=1)
        return a.permute(0, 2, 3, 1).reshape(x.shape[0], -1), m


class GroupedAndPadded(nn.Module):
    """A depthwise convolution after reflection padding, and a strided 1-D
    convolution and pooling over a second input."""

    def __init__(self):
        super().__init__()
        self.pad = nn.ReflectionPad2d(2)
        self.depthwise = nn.Conv2d(4, 8, 3, groups=4, padding=1)
        self.conv1d = nn.Conv1d(3, 5, 3, stride=2, padding=1)

    def forward(self, x, s):
        y = F.relu(self.depthwise(self.pad(x)))
        z = F.max_pool1d(torch.tanh(self.conv1d(s)), 2)
        return y, z


class UpsamplingDecoder(nn.Module):
    """A decoder's ops: a grouped strided convolution, two ConvTranspose2d
    (output_padding; dilation, no bias), nn.Upsample nearest by a scale and
    bilinear to a size, and a 1-D linear upsample with align_corners."""

    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(4, 8, 3, stride=2, padding=1, groups=2)
        self.up = nn.ConvTranspose2d(8, 6, 3, stride=2, padding=1, output_padding=1)
        self.up2 = nn.ConvTranspose2d(6, 3, (2, 3), stride=(1, 2), padding=(0, 1), dilation=2,
                                      bias=False)
        self.nearest = nn.Upsample(scale_factor=2, mode="nearest")
        self.bilinear = nn.Upsample(size=(9, 13), mode="bilinear", align_corners=False)
        self.linear = nn.Upsample(scale_factor=2.5, mode="linear", align_corners=True)

    def forward(self, x, s):
        y = torch.tanh(self.up(F.relu(self.down(x))))
        return self.nearest(y), self.bilinear(self.up2(y)), self.linear(s)


class Block(nn.Module):
    """A pre-norm transformer block: causal nn.MultiheadAttention, GELU MLP."""

    def __init__(self, D, heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(D)
        self.attn = nn.MultiheadAttention(D, heads, batch_first=True)
        self.ln2 = nn.LayerNorm(D)
        self.fc1 = nn.Linear(D, 4 * D)
        self.fc2 = nn.Linear(4 * D, D)

    def forward(self, x, mask):
        h = self.ln1(x)
        x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class TinyGPT(nn.Module):
    """A 2-block causal transformer over token embeddings."""

    def __init__(self, V=20, T=8, D=16, heads=2):
        super().__init__()
        self.tok = nn.Embedding(V, D)
        self.pos = nn.Parameter(torch.randn(T, D) * 0.1)
        self.blocks = nn.ModuleList([Block(D, heads) for _ in range(2)])
        self.ln = nn.LayerNorm(D)
        self.head = nn.Linear(D, V)
        self.register_buffer("mask", torch.triu(torch.full((T, T), float("-inf")), 1))

    def forward(self, x):
        h = self.tok(x) + self.pos
        for b in self.blocks:
            h = b(h, self.mask)
        return self.head(self.ln(h))


class CharLSTM(nn.Module):
    """A 2-layer LSTM character model over an embedding (batch first)."""

    def __init__(self, V=20, E=8, H=16):
        super().__init__()
        self.emb = nn.Embedding(V, E)
        self.lstm = nn.LSTM(E, H, num_layers=2, batch_first=True)
        self.fc = nn.Linear(H, V)

    def forward(self, x):
        h, _ = self.lstm(self.emb(x))
        return self.fc(h)


class BiGRUClassifier(nn.Module):
    """A bidirectional GRU and an RNN over a float sequence; the last states."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(5, 6, batch_first=True, bidirectional=True)
        self.rnn = nn.RNN(12, 4, batch_first=True, nonlinearity="relu")
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        y, h = self.gru(x)
        z, _ = self.rnn(y)
        return self.fc(z[:, -1]), h.transpose(0, 1).reshape(x.shape[0], -1)


class TimeMajorLSTM(nn.Module):
    """nn.LSTM's default layout (batch_first=False, x [T, N, F]), bidirectional,
    from given initial states; exported with static shapes (STATIC), so the
    whole tensor is the sample and the N sequences are a batch inside it."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(5, 6, bidirectional=True)

    def forward(self, x, h0, c0):
        y, (h, _) = self.lstm(x, (h0, c0))
        return y, h


class Repeat(nn.Module):
    """Tensor.repeat (ONNX Tile) on a per-sample axis and the last one."""

    def forward(self, x):
        return torch.tanh(x.repeat(1, 2, 3)) * 2


class NewerOps(nn.Module):
    """Ops with trainable inputs whose import is a formula of language ops
    (fine-tuning differentiates through them): Einsum with a weight,
    GridSample at a grid computed from the input, TopK's values, CumSum."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(6, 5) * 0.5)
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.to_grid = nn.Linear(5, 2)

    def forward(self, x, s):
        e = torch.tanh(torch.einsum("bij,jk->bik", s, self.w))        # [N, 4, 5]
        grid = torch.tanh(self.to_grid(e)).reshape(-1, 2, 2, 2)       # [N, 2, 2, 2]
        img = torch.sigmoid(self.conv(x))                               # [N, 4, 6, 7]
        sampled = F.grid_sample(img, grid, align_corners=False)        # [N, 4, 2, 2]
        top = torch.topk(e, 3, dim=2).values                            # [N, 4, 3]
        picked = e[:, :, [2, 0, 4]]                                     # [N, 4, 3]
        return torch.cat([sampled.reshape(-1, 16), torch.cumsum(top * picked, 2).reshape(-1, 12)], 1)


class Volumes(nn.Module):
    """3-D data: a grouped, strided, padded and dilated Conv3d, MaxPool3d with
    padding, AvgPool3d with padding (count_include_pad, PyTorch's default)
    and without, a strided, padded and dilated ConvTranspose3d with
    output_padding, then a linear classifier."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv3d(2, 4, (3, 2, 3), stride=(2, 1, 2), padding=(1, 0, 2), dilation=(1, 2, 1))
        self.conv2 = nn.Conv3d(4, 6, 3, padding=1, groups=2)
        self.up = nn.ConvTranspose3d(4, 3, (2, 3, 3), stride=(2, 1, 2), padding=(0, 1, 1),
                                     output_padding=(1, 0, 1), dilation=(1, 2, 1))
        self.fc = nn.Linear(144 + 72 + 96 + 3 * 7 * 7 * 10, 5)

    def forward(self, x):
        a = torch.relu(self.conv1(x))                                  # [N, 4, 3, 5, 5]
        b = F.max_pool3d(torch.tanh(self.conv2(a)), (2, 3, 2), stride=(1, 2, 2), padding=(1, 1, 0))
        c = F.avg_pool3d(a, 2, stride=(1, 2, 2), padding=(0, 1, 1))    # [N, 4, 2, 3, 3]
        d = F.avg_pool3d(a, (2, 3, 3), stride=(1, 2, 2), count_include_pad=False, padding=(1, 1, 0))
        e = torch.tanh(self.up(a))                                     # [N, 3, 7, 7, 10]
        return self.fc(torch.cat([b.flatten(1), c.flatten(1), d.flatten(1), e.flatten(1)], 1))


class SharedWeights(nn.Module):
    """Modules called twice: one convolution and one linear layer, each
    applied at two places, train as one weight (the gradients of both uses
    add up)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 3, padding=1)
        self.fc1 = nn.Linear(32, 8)
        self.fc = nn.Linear(8, 8)
        self.out = nn.Linear(8, 5)

    def forward(self, x):
        h = self.conv(torch.relu(self.conv(x)))                    # [N, 2, 4, 4]
        h = torch.tanh(self.fc1(h.flatten(1)))
        h = torch.tanh(self.fc(torch.tanh(self.fc(h))))
        return self.out(h)


class TiedEmbedding(nn.Module):
    """The output layer's weight is the token embedding (weight tying), exported
    without constant folding so the ONNX graph keeps one initializer."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 6)
        self.proj = nn.Linear(6, 6)
        self.out = nn.Linear(6, 10, bias=False)
        self.out.weight = self.emb.weight

    def forward(self, tokens):
        return self.out(torch.tanh(self.proj(self.emb(tokens))))


# Exported without dynamic axes: every shape is fixed.
STATIC = {"time_major_lstm"}
# Exported without constant folding, which would copy a transposed weight
# into an initializer of its own.
UNFOLDED = {"resnet_blocks", "tied_embedding"}

MODELS = {
    # name: (module, input shape, opset, input names, output names)
    "pytorch_mnist": (PytorchExamplesMnist, (5, 1, 28, 28), 13, ["input.1"], ["logp"]),
    "keras_convnet": (KerasMnistConvnet, (5, 1, 28, 28), 11, ["image"], ["probs"]),
    "resnet_blocks": (ResNetBlocks, (3, 3, 16, 16), 13, ["x"], ["logits"]),
    "activations": (Activations, (7, 12), 9, ["x"], ["logp", "decay"]),
    "pooling": (PoolingVariants, (2, 2, 9, 11), 17, ["x"], ["avg", "max"]),
    "char_lstm": (CharLSTM, ("tokens", 20, (3, 8)), 14, ["tokens"], ["logits"]),
    "bigru": (BiGRUClassifier, (4, 7, 5), 14, ["x"], ["scores", "h"]),
    "repeat": (Repeat, (3, 4, 5), 13, ["x"], ["y"]),
    "time_major_lstm": (TimeMajorLSTM, [(7, 3, 5), (2, 3, 6), (2, 3, 6)], 14, ["x", "h0", "c0"],
                        ["y", "h_n"]),
    "tiny_gpt": (TinyGPT, ("tokens", 20, (3, 8)), 14, ["tokens"], ["logits"]),
    "grouped": (GroupedAndPadded, [(3, 4, 6, 7), (3, 3, 20)], 13, ["x", "s"], ["y", "z"]),
    "volumes": (Volumes, (3, 2, 5, 7, 8), 13, ["x"], ["logits"]),
    "newer_ops": (NewerOps, [(3, 3, 6, 7), (3, 4, 6)], 16, ["x", "s"], ["y"]),
    "decoder": (UpsamplingDecoder, [(3, 4, 7, 9), (3, 3, 10)], 13, ["x", "s"],
                ["nearest", "bilinear", "linear"]),
    "shared_weights": (SharedWeights, (3, 2, 4, 4), 13, ["x"], ["logits"]),
    "tied_embedding": (TiedEmbedding, ("tokens", 10, (3, 5)), 13, ["tokens"], ["logits"]),
}


def build(name):
    """The model (eval mode) and its input batch, the same on every call."""
    cls, shape, opset, inputs, outputs = MODELS[name]
    torch.manual_seed(0)
    model = cls().eval()
    # Batch norm statistics other than the defaults, so they matter.
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    if isinstance(shape[0], str):  # token ids: (name, vocabulary, shape)
        return model, [torch.randint(0, shape[1], shape[2])]
    shapes = shape if isinstance(shape, list) else [shape]
    xs = [torch.randn(*s) for s in shapes]
    return model, xs


def export(name, outdir):
    cls, shape, opset, inputs, outputs = MODELS[name]
    model, xs = build(name)
    dynamic = {} if name in STATIC else {n: {0: "batch"} for n in inputs + outputs}
    path = os.path.join(outdir, name + ".onnx")
    # TrainingMode.PRESERVE (of a model in eval mode) keeps batch norm an op
    # of its own; EVAL, the default, merges it into the convolution before it.
    mode = torch.onnx.TrainingMode.PRESERVE if name == "resnet_blocks" else torch.onnx.TrainingMode.EVAL
    torch.onnx.export(model, tuple(xs), path, input_names=inputs, output_names=outputs,
                      dynamic_axes=dynamic, opset_version=opset, training=mode,
                      do_constant_folding=name not in UNFOLDED)
    with torch.no_grad():
        ys = model(*xs)
    if not isinstance(ys, tuple):
        ys = (ys,)
    for n, x in zip(inputs, xs):
        suffix = "" if len(xs) == 1 else "." + n
        np.save(os.path.join(outdir, name + ".x" + suffix + ".npy"), x.numpy())
    for o, y in zip(outputs, ys):
        np.save(os.path.join(outdir, name + ".y." + o + ".npy"), y.numpy())


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    for name in sys.argv[2:] or MODELS:
        export(name, outdir)


if __name__ == "__main__":
    main()
