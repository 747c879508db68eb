"""Writes the models and data of test/onnx/elements.test: GatherElements
(torch.gather) along the last and a middle axis over a batch, negative
indices included, and ScatterElements (torch.scatter; reduction none and
add) along the last axis over a batch, with numpy's expected outputs.

usage: make_elements_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
F, I = TensorProto.FLOAT, TensorProto.INT64


def save(name, node, inputs, out_shape):
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
                          [helper.make_tensor_value_info("y", F, out_shape)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 16)], ir_version=8)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + ".onnx"))


data = rng.standard_normal((2, 3, 5)).astype(np.float32)
np.save(os.path.join(out, "data.npy"), data)

# Gather along the last axis: [N, 3, 4] indices into 5, some negative.
idx = rng.integers(-5, 5, (2, 3, 4)).astype(np.int64)
np.save(os.path.join(out, "gather_last_idx.npy"), idx)
save("gather_last", helper.make_node("GatherElements", ["data", "idx"], ["y"], axis=2),
     [("data", F, ["N", 3, 5]), ("idx", I, ["N", 3, 4])], ["N", 3, 4])
np.save(os.path.join(out, "gather_last_want.npy"), np.take_along_axis(data, np.where(idx < 0, idx + 5, idx), 2))

# Gather along axis 1 with fewer columns than the data: [N, 2, 4] into 3.
idx1 = rng.integers(0, 3, (2, 2, 4)).astype(np.int64)
np.save(os.path.join(out, "gather_middle_idx.npy"), idx1)
save("gather_middle", helper.make_node("GatherElements", ["data", "idx"], ["y"], axis=1),
     [("data", F, ["N", 3, 5]), ("idx", I, ["N", 2, 4])], ["N", 2, 4])
np.save(os.path.join(out, "gather_middle_want.npy"), np.take_along_axis(data[:, :, :4], idx1, 1))

# Scatter along the last axis: [N, 3, 2] updates into 5 (distinct per row for none).
sidx = np.array([[[0, 4], [-1, 2], [3, 1]], [[2, 3], [0, 1], [4, -5]]], np.int64)
upd = rng.standard_normal((2, 3, 2)).astype(np.float32)
np.save(os.path.join(out, "scatter_idx.npy"), sidx)
np.save(os.path.join(out, "scatter_upd.npy"), upd)
want = data.copy()
np.put_along_axis(want, np.where(sidx < 0, sidx + 5, sidx), upd, 2)
np.save(os.path.join(out, "scatter_none_want.npy"), want)
dup = np.array([[[1, 1], [0, 0], [2, 2]], [[4, 4], [3, 3], [0, 1]]], np.int64)
np.save(os.path.join(out, "scatter_dup_idx.npy"), dup)
add = data.copy()
for n in range(2):
    for i in range(3):
        for j in range(2):
            add[n, i, dup[n, i, j]] += upd[n, i, j]
np.save(os.path.join(out, "scatter_add_want.npy"), add)
for name, red in (("scatter_none", "none"), ("scatter_add", "add")):
    save(name, helper.make_node("ScatterElements", ["data", "idx", "upd"], ["y"], axis=2, reduction=red),
         [("data", F, ["N", 3, 5]), ("idx", I, ["N", 3, 2]), ("upd", F, ["N", 3, 2])], ["N", 3, 5])
