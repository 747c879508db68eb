"""Writes the models and data of test/onnx/hardmax.test: Hardmax over each
axis of a [2, 3, 4] input (negative axes too), at opset 11 (the input coerced
to the 2-D [before axis, from axis on]) and at opset 13 (one axis), with
numpy's expected outputs; and an axis of size 1.

usage: make_hardmax_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def save(name, shape, opset, axis):
    g = helper.make_graph([helper.make_node("Hardmax", ["x"], ["y"], axis=axis)], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=7)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + ".onnx"))


def coerced(x, axis):  # opset < 13: rows of the [before, after] matrix
    rows = x.reshape(int(np.prod(x.shape[:axis])), -1)
    y = np.zeros_like(rows)
    y[np.arange(rows.shape[0]), rows.argmax(1)] = 1
    return y.reshape(x.shape)


def along(x, axis):  # opset 13: along the axis
    y = np.zeros_like(x)
    np.put_along_axis(y, np.expand_dims(x.argmax(axis), axis), 1, axis)
    return y


x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
np.save(os.path.join(out, "x.npy"), x)
for opset in (11, 13):
    for axis in (0, 1, 2, -1, -2):
        name = "o%d_a%s" % (opset, str(axis).replace("-", "m"))
        save(name, [2, 3, 4], opset, axis)
        want = coerced(x, axis % 3) if opset < 13 else along(x, axis)
        np.save(os.path.join(out, name + "_want.npy"), want)
save("o13_one", [2, 1, 4], 13, 1)
np.save(os.path.join(out, "x1.npy"), x[:, :1, :])
np.save(os.path.join(out, "o13_one_want.npy"), np.ones((2, 1, 4), np.float32))
