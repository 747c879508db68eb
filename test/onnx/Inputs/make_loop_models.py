"""A scripted PyTorch module with a loop over the steps of its input:
torch.onnx.export writes a Loop whose trip count comes from Shape, a
constant for nnc (static shapes), and nnc unrolls it. For
test/onnx/loop_unrolled.test, with PyTorch's answers; and a Loop whose trip
count is a graph input (refused). Also PyTorch's side of fine-tuning the
unrolled loop: 5 full-batch SGD steps (lr 0.1) of the mse against random
targets, the losses printed, the trained module's outputs saved.

usage: make_loop_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper

out = sys.argv[1]
torch.manual_seed(6)


class Steps(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 4)

    def forward(self, x):
        h = x[:, 0] * 0
        for i in range(x.shape[1]):
            h = torch.tanh(self.fc(h) + x[:, i])
        return h


m = torch.jit.script(Steps())
x = torch.randn(3, 5, 4)
torch.onnx.export(m, (x,), os.path.join(out, "steps.onnx"), opset_version=13, input_names=["x"],
                  output_names=["h"], dynamic_axes={"x": {0: "N"}, "h": {0: "N"}})
ops = [n.op_type for n in onnx.load(os.path.join(out, "steps.onnx")).graph.node]
assert "Loop" in ops, ops
np.save(os.path.join(out, "steps.x.npy"), x.numpy())
with torch.no_grad():
    np.save(os.path.join(out, "steps.want.npy"), m(x).numpy())
# Every iteration uses the one fc: the steps' gradients add up in its weight.
labels = torch.randn(3, 4)
np.save(os.path.join(out, "steps.labels.npy"), labels.numpy())
opt = torch.optim.SGD(m.parameters(), lr=0.1)
for step in range(5):
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(m(x), labels)
    loss.backward()
    opt.step()
    print("step %d loss %.6f" % (step + 1, loss.item()))
with torch.no_grad():
    np.save(os.path.join(out, "steps.trained.npy"), m(x).numpy())

body = helper.make_graph([helper.make_node("Identity", ["c"], ["c_out"]),
                          helper.make_node("Neg", ["v"], ["v_out"])], "body",
                         [helper.make_tensor_value_info("i", TensorProto.INT64, []),
                          helper.make_tensor_value_info("c", TensorProto.BOOL, []),
                          helper.make_tensor_value_info("v", TensorProto.FLOAT, [2])],
                         [helper.make_tensor_value_info("c_out", TensorProto.BOOL, []),
                          helper.make_tensor_value_info("v_out", TensorProto.FLOAT, [2])])
g = helper.make_graph([helper.make_node("Loop", ["n", "", "x"], ["y"], body=body, name="loop_0")], "g",
                      [helper.make_tensor_value_info("n", TensorProto.INT64, []),
                       helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]),
          os.path.join(out, "input_trips.onnx"))
