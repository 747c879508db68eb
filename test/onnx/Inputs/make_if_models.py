"""A scripted PyTorch module whose branch depends on the input's shape:
torch.onnx.export writes an If node whose condition is computed from Shape,
a constant for nnc (static shapes). For test/onnx/if_constant.test, with
PyTorch's answers for inputs that take each branch; and an If whose
condition is a graph input (refused: nnc needs it constant).

usage: make_if_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper

out = sys.argv[1]
torch.manual_seed(4)


class Branchy(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 3)

    def forward(self, x):
        if x.shape[1] > 2:
            y = self.fc(x).relu()
        else:
            y = self.fc(x) * 2 - 1
        return y


m = torch.jit.script(Branchy())
for name, steps in (("long", 5), ("short", 2)):
    x = torch.randn(3, steps, 4)
    torch.onnx.export(m, (x,), os.path.join(out, name + ".onnx"), opset_version=13,
                      input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
    ops = [n.op_type for n in onnx.load(os.path.join(out, name + ".onnx")).graph.node]
    assert "If" in ops, ops
    np.save(os.path.join(out, name + ".x.npy"), x.numpy())
    with torch.no_grad():
        np.save(os.path.join(out, name + ".want.npy"), m(x).numpy())

then = helper.make_graph([helper.make_node("Neg", ["x"], ["t"])], "then", [],
                         [helper.make_tensor_value_info("t", TensorProto.FLOAT, [2])])
other = helper.make_graph([helper.make_node("Abs", ["x"], ["e"])], "else", [],
                          [helper.make_tensor_value_info("e", TensorProto.FLOAT, [2])])
g = helper.make_graph([helper.make_node("If", ["c"], ["y"], then_branch=then, else_branch=other,
                                        name="if_0")], "g",
                      [helper.make_tensor_value_info("c", TensorProto.BOOL, []),
                       helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]),
          os.path.join(out, "input_condition.onnx"))
