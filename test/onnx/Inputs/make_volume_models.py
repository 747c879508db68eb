"""Writes the 3-D models test/onnx/volumes.test refuses: a MaxPool with
ceil_mode 1 and a Conv whose weight is a graph input (not a constant).

usage: make_volume_models.py OUTDIR
"""
import os
import sys

import onnx
from onnx import TensorProto, helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def save(name, nodes, inputs, output_shape):
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, output_shape)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + ".onnx"))


save("ceil", [helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[2, 2, 2], ceil_mode=1)],
     [("x", ["N", 2, 5, 5, 5])], ["N", 2, 3, 3, 3])
save("weight_input", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv")],
     [("x", [1, 2, 4, 4, 4]), ("w", [3, 2, 2, 2, 2])], [1, 3, 3, 3, 3])
