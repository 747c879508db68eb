"""PyTorch's side of test/onnx/recurrent_cells.test.

cell_state: an nn.LSTM (batch first) whose final cell state c_n feeds the
output, exported by torch.onnx.export (the LSTM node's Y_c); its outputs, a
target and the outputs after 5 full-batch steps of torch.optim.SGD on the
mse loss (what nnc import --loss mse trains).

reverse_{lstm,gru,rnn}: an LSTM, GRU (linear_before_reset 1, PyTorch's) and
RNN node with direction reverse, written with the weights of a torch module
(gates reordered to ONNX's); a reverse-only layer is the module run over the
sequence backwards: Y = flip(module(flip(x))), Y_h and Y_c its final state.

usage: make_recurrent_torch.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
torch.manual_seed(0)


class CellState(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(5, 6, batch_first=True)
        self.fc = torch.nn.Linear(12, 4)

    def forward(self, x):
        _, (h, c) = self.lstm(x)
        h, c = h.squeeze(0), c.squeeze(0)
        return self.fc(torch.cat([h, c], -1)), c


def cell_state(steps=5, lr=0.1):
    model = CellState().eval()
    x = torch.randn(3, 7, 5)
    torch.onnx.export(model, (x,), os.path.join(out, "cell_state.onnx"), opset_version=14,
                      input_names=["x"], output_names=["scores", "c"],
                      dynamic_axes={"x": {0: "N"}, "scores": {0: "N"}, "c": {0: "N"}})
    np.save(os.path.join(out, "cell_state.x.npy"), x.numpy())
    with torch.no_grad():
        scores, c = model(x)
    np.save(os.path.join(out, "cell_state.scores.npy"), scores.numpy())
    np.save(os.path.join(out, "cell_state.c.npy"), c.numpy())
    target = torch.randn(3, 4)
    np.save(os.path.join(out, "cell_state.target.npy"), target.numpy())
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for step in range(steps):
        opt.zero_grad()
        loss = F.mse_loss(model(x)[0], target)
        loss.backward()
        opt.step()
        print("step %d loss %.6f" % (step + 1, loss.item()))
    with torch.no_grad():
        np.save(os.path.join(out, "cell_state.trained.npy"), model(x)[0].numpy())


# torch's gate blocks in ONNX's order: LSTM i f g o -> i o f c; GRU r z n -> z r h.
ONNX_ORDER = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN": [0]}


def onnx_weight(w, op):
    blocks = torch.chunk(w.detach(), len(ONNX_ORDER[op]), 0)
    return torch.cat([blocks[k] for k in ONNX_ORDER[op]], 0).numpy()


def reverse(op, module):
    T, N, I, H = 6, 2, 5, module.hidden_size
    x = torch.randn(T, N, I)
    W = onnx_weight(module.weight_ih_l0, op)[None]
    R = onnx_weight(module.weight_hh_l0, op)[None]
    B = np.concatenate([onnx_weight(module.bias_ih_l0, op), onnx_weight(module.bias_hh_l0, op)])[None]
    outs = ["Y", "Y_h"] + (["Y_c"] if op == "LSTM" else [])
    attrs = {"linear_before_reset": 1} if op == "GRU" else {}
    node = helper.make_node(op, ["X", "W", "R", "B"], outs, hidden_size=H, direction="reverse", **attrs)
    graph = helper.make_graph(
        [node], "reverse", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [T, N, I])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [T, 1, N, H])] +
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, [1, N, H]) for o in outs[1:]],
        [numpy_helper.from_array(W, "W"), numpy_helper.from_array(R, "R"), numpy_helper.from_array(B, "B")])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    onnx.checker.check_model(m)
    name = "reverse_" + op.lower()
    onnx.save(m, os.path.join(out, name + ".onnx"))
    np.save(os.path.join(out, name + ".x.npy"), x.numpy())
    with torch.no_grad():
        y, state = module(torch.flip(x, [0]))
    states = state if op == "LSTM" else (state,)
    np.save(os.path.join(out, name + ".Y.npy"), torch.flip(y, [0]).unsqueeze(1).numpy())
    for o, s in zip(outs[1:], states):
        np.save(os.path.join(out, "%s.%s.npy" % (name, o)), s.numpy())


cell_state()
reverse("LSTM", torch.nn.LSTM(5, 4))
reverse("GRU", torch.nn.GRU(5, 4))
reverse("RNN", torch.nn.RNN(5, 4))
