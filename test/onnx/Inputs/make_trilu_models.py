"""Writes the models and data of test/onnx/trilu.test: Trilu (upper and
lower, k below, on and above the diagonal, and k past the matrix) over a
float input with a dynamic batch [N, 3, 4] and over a whole [3, 5] matrix,
with numpy's np.triu / np.tril as the expected outputs. The input holds an
infinity outside the kept triangle: Trilu writes 0 there, not inf * 0.

usage: make_trilu_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def save(name, shape, upper, k):
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)]
    init = []
    names = ["x"]
    if k is not None:
        init = [helper.make_tensor("k", TensorProto.INT64, [], [k])]
        names.append("k")
    g = helper.make_graph([helper.make_node("Trilu", names, ["y"], upper=upper)], "g", inputs,
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)], init)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)], ir_version=8)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + ".onnx"))


rng = np.random.default_rng(0)
xb = rng.standard_normal((2, 3, 4)).astype(np.float32)
xb[1, 2, 0] = np.inf  # below the diagonal: kept by tril, zeroed by triu
xm = rng.standard_normal((3, 5)).astype(np.float32)
xm[0, 4] = -np.inf  # above it
np.save(os.path.join(out, "xb.npy"), xb)
np.save(os.path.join(out, "xm.npy"), xm)
for upper in (0, 1):
    for k in (None, -1, 2, 7):
        f = np.triu if upper else np.tril
        kk = 0 if k is None else k
        tag = "%s_%s" % ("triu" if upper else "tril", "none" if k is None else str(k).replace("-", "m"))
        save("b_" + tag, ["N", 3, 4], upper, k)
        np.save(os.path.join(out, "b_%s_want.npy" % tag), f(xb, kk))
        save("m_" + tag, [3, 5], upper, k)
        np.save(os.path.join(out, "m_%s_want.npy" % tag), f(xm, kk))
