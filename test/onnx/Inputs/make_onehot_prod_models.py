"""Writes the models and data of test/onnx/onehot_prod.test: OneHot over
a batch of float indices (fractions truncated, negative ones counted from
the end, one out of range: all off) with the classes on axis 1, and
ReduceProd over a batch (one axis, and two kept), a zero among the
factors, with numpy's expected outputs.

usage: make_onehot_prod_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
F = TensorProto.FLOAT


def save(name, node, shape, out_shape, init=()):
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", F, shape)],
                          [helper.make_tensor_value_info("y", F, out_shape)], list(init))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=7)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + ".onnx"))


idx = np.array([[-1, 2, 2.7], [-3.5, 11, 0]], np.float32)
init = [numpy_helper.from_array(np.array(10, np.int64), "depth"),
        numpy_helper.from_array(np.array([-2, 5], np.float32), "values")]
save("onehot", helper.make_node("OneHot", ["x", "depth", "values"], ["y"], axis=1), ["N", 3],
     ["N", 10, 3], init)
want = np.full((2, 10, 3), -2, np.float32)
for n in range(2):
    for j in range(3):
        i = int(np.trunc(idx[n, j]))
        i = i + 10 if i < 0 else i
        if 0 <= i < 10:
            want[n, i, j] = 5
np.save(os.path.join(out, "onehot_x.npy"), idx)
np.save(os.path.join(out, "onehot_want.npy"), want)

x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
x[1, 2, 1] = 0
np.save(os.path.join(out, "prod_x.npy"), x)
save("prod_last", helper.make_node("ReduceProd", ["x"], ["y"], axes=[2], keepdims=0), ["N", 3, 4], ["N", 3])
np.save(os.path.join(out, "prod_last_want.npy"), x.astype(np.float64).prod(axis=2).astype(np.float32))
save("prod_both", helper.make_node("ReduceProd", ["x"], ["y"], axes=[1, 2]), ["N", 3, 4], ["N", 1, 1])
np.save(os.path.join(out, "prod_both_want.npy"),
        x.astype(np.float64).prod(axis=(1, 2), keepdims=True).astype(np.float32))
