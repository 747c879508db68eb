"""Writes the models of test/onnx/per_sample.test that --per-sample must
refuse: an input with a fixed axis 0, and a graph that sums over its
dynamic axis 0 (its output has no batch of one on axis 0); and one it takes
with a warning: a softmax over the dynamic axis 0, which mixes samples.

usage: make_per_sample_models.py OUTDIR
"""
import os
import sys

import onnx
from onnx import TensorProto, helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
F = TensorProto.FLOAT


def save(name, node, shape, out_shape):
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", F, shape)],
                          [helper.make_tensor_value_info("y", F, out_shape)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=7)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + ".onnx"))


save("fixed", helper.make_node("Softmax", ["x"], ["y"], axis=0), [4, 3], [4, 3])
save("summed", helper.make_node("ReduceSum", ["x"], ["y"], keepdims=0), ["N", 3], [3])
save("mixed", helper.make_node("Softmax", ["x"], ["y"], axis=0), ["N", 3], ["N", 3])
