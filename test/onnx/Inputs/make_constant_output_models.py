"""Writes the models and data of test/onnx/constant_outputs.test: a graph
without inputs whose output is a Constant; a graph whose second output is
a constant beside a computed one; and Dropout (inference) whose mask output
is used, over a batched input holding a NaN.

usage: make_constant_output_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
F = TensorProto.FLOAT
c = np.arange(6, dtype=np.float32).reshape(2, 3) / 4


def save(name, nodes, inputs, outputs):
    g = helper.make_graph(nodes, "g", inputs, outputs)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=7)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + ".onnx"))


save("no_inputs", [helper.make_node("Constant", [], ["c"], value=numpy_helper.from_array(c))],
     [], [helper.make_tensor_value_info("c", F, [2, 3])])
save("beside", [helper.make_node("Relu", ["x"], ["y"]),
                helper.make_node("Constant", [], ["c"], value=numpy_helper.from_array(c))],
     [helper.make_tensor_value_info("x", F, [2, 3])],
     [helper.make_tensor_value_info("y", F, [2, 3]), helper.make_tensor_value_info("c", F, [2, 3])])
save("mask", [helper.make_node("Dropout", ["x"], ["y", "m"])],
     [helper.make_tensor_value_info("x", F, ["N", 3])],
     [helper.make_tensor_value_info("y", F, ["N", 3]),
      helper.make_tensor_value_info("m", TensorProto.BOOL, ["N", 3])])
x = np.array([[1, -2, np.nan], [np.inf, 0, 3]], np.float32)
np.save(os.path.join(out, "x.npy"), x)
np.save(os.path.join(out, "c_want.npy"), c)
x2 = np.array([[1, -2, 0.5], [-1, 0, 3]], np.float32)
np.save(os.path.join(out, "x2.npy"), x2)
np.save(os.path.join(out, "relu_want.npy"), np.maximum(x2, 0))
np.save(os.path.join(out, "mask_want.npy"), np.ones((2, 3), bool))
