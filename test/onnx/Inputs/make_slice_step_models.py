"""Writes the models and data of test/onnx/slice_steps.test: Slice with
steps other than 1 over a batched [N, 6, 5] input (every second row, the
columns reversed, every third from the end, starts and ends past the axis
clamped), with numpy's slicing as the expected outputs; and a step that
would pick 100 entries, which nnc refuses.

usage: make_slice_step_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
BIG = 2**63 - 1


def save(name, shape, out_shape, starts, ends, axes, steps):
    init = [numpy_helper.from_array(np.array(v, np.int64), n) for v, n in
            ((starts, "starts"), (ends, "ends"), (axes, "axes"), (steps, "steps"))]
    g = helper.make_graph([helper.make_node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"])],
                          "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)], init)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=7)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + ".onnx"))


x = np.random.default_rng(0).standard_normal((2, 6, 5)).astype(np.float32)
np.save(os.path.join(out, "x.npy"), x)
cases = {  # name: (starts, ends, axes, steps, numpy's slice)
    "rows2": ([0], [BIG], [1], [2], x[:, 0::2]),
    "reverse": ([-1], [-BIG], [2], [-1], x[:, :, ::-1]),
    "both": ([5, 10], [-BIG, 1], [1, 2], [-3, -2], x[:, 5::-3, 4:1:-2]),
    "clamped": ([1, -100], [100, 4], [1, 2], [4, 3], x[:, 1::4, 0:4:3]),
}
for name, (starts, ends, axes, steps, want) in cases.items():
    save(name, ["N", 6, 5], ["N"] + list(want.shape[1:]), starts, ends, axes, steps)
    np.save(os.path.join(out, name + "_want.npy"), np.ascontiguousarray(want))
save("many", ["N", 200], ["N", 100], [0], [BIG], [1], [2])
