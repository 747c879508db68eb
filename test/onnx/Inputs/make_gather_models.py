"""Writes the models and values of test/onnx/gather_indices.test: Gather
whose indices are an integer graph input, along axis 1 of a [3, 5, 4] input
and along the last axis of a [4, 6] one, with numpy's answers (np.take).

usage: make_gather_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(5)


def tensor(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def save(name, axis, data_shape, idx_shape, out_shape):
    node = helper.make_node("Gather", ["data", "idx"], ["y"], axis=axis, name="g")
    g = helper.make_graph([node], "g", [tensor("data", data_shape),
                                        tensor("idx", idx_shape, TensorProto.INT64)],
                          [tensor("y", out_shape)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + ".onnx"))
    data = rng.standard_normal(data_shape).astype(np.float32)
    idx = rng.integers(0, data_shape[axis], idx_shape).astype(np.int64)
    np.save(os.path.join(out, name + ".data.npy"), data)
    np.save(os.path.join(out, name + ".idx.npy"), idx)
    np.save(os.path.join(out, name + ".want.npy"), np.take(data, idx, axis=axis))
    bad = idx.copy()
    bad.flat[0] = data_shape[axis]  # one past the end
    np.save(os.path.join(out, name + ".bad.npy"), bad)


save("axis1", 1, [3, 5, 4], [2, 2], [3, 2, 2, 4])
save("last", -1, [4, 6], [3], [4, 3])
