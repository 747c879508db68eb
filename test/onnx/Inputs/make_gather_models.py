"""Writes the models and values of test/onnx/gather_indices.test: Gather
whose indices are an integer graph input (negative ones too, which ONNX
counts from the end), along axis 1 of a [3, 5, 4] input and along the last
axis of a [4, 6] one, with numpy's answers (np.take); and an embedding, a
Gather from a [6, 3] weight, whose token ids past the table are refused.

usage: make_gather_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(5)


def tensor(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def save(name, axis, data_shape, idx_shape, out_shape, weight=False):
    node = helper.make_node("Gather", ["data", "idx"], ["y"], axis=axis, name="g")
    data = rng.standard_normal(data_shape).astype(np.float32)
    inputs = [] if weight else [tensor("data", data_shape)]
    inits = [numpy_helper.from_array(data, "data")] if weight else []
    g = helper.make_graph([node], "g", inputs + [tensor("idx", idx_shape, TensorProto.INT64)],
                          [tensor("y", out_shape)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + ".onnx"))
    size = data_shape[axis]
    shape = [2 if d == "N" else d for d in idx_shape]  # a batch of 2
    idx = rng.integers(0 if weight else -size, size, shape).astype(np.int64)
    idx.flat[0] = 0 if weight else -size  # the first entry, counted from the end
    np.save(os.path.join(out, name + ".data.npy"), data)
    np.save(os.path.join(out, name + ".idx.npy"), idx)
    np.save(os.path.join(out, name + ".want.npy"), np.take(data, idx, axis=axis))
    bad = idx.copy()
    bad.flat[0] = size  # one past the end
    np.save(os.path.join(out, name + ".bad.npy"), bad)
    bad.flat[0] = -1
    np.save(os.path.join(out, name + ".negative.npy"), bad)


save("axis1", 1, [3, 5, 4], [2, 2], [3, 2, 2, 4])
save("last", -1, [4, 6], [3], [4, 3])
save("embedding", 0, [6, 3], ["N", 4], ["N", 4, 3], weight=True)
