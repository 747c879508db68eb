"""Writes the models and data of test/onnx/topk.test: TopK over a batch
along the last axis and along a middle one, largest and smallest, with
ties (the lower index first, as ONNX says) and infinities in the input,
and numpy's stable sort as the expected values and int64 indices.

usage: make_topk_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
x = np.array([[[3, 1, 3, -np.inf, 2, 3],
               [0, -1, -np.inf, -np.inf, 5, 5],
               [np.inf, 2, 2, 2, -7, 0]],
              [[1, 1, 1, 1, 1, 1],
               [-2, 4, -2, 9, -np.inf, 0.5],
               [6, 5, 4, 3, 2, 1]]], np.float32)
np.save(os.path.join(out, "x.npy"), x)


def save(name, k, axis, largest):
    out_shape = ["N"] + list(x.shape[1:])
    out_shape[axis] = k
    g = helper.make_graph(
        [helper.make_node("TopK", ["x", "k"], ["values", "indices"], axis=axis, largest=largest)], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 6])],
        [helper.make_tensor_value_info("values", TensorProto.FLOAT, out_shape),
         helper.make_tensor_value_info("indices", TensorProto.INT64, out_shape)],
        [numpy_helper.from_array(np.array([k], np.int64), "k")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)], ir_version=7)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + ".onnx"))
    key = -x if largest else x
    order = np.argsort(key, axis=axis, kind="stable")
    idx = np.take(order, np.arange(k), axis=axis)
    np.save(os.path.join(out, name + "_values.npy"), np.take_along_axis(x, idx, axis=axis))
    np.save(os.path.join(out, name + "_indices.npy"), idx.astype(np.int64))


save("last_largest", 4, 2, 1)
save("last_smallest", 3, 2, 0)
save("middle_largest", 2, 1, 1)
