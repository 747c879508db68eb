"""Writes the model and data of test/onnx/batchnorm_training.test:
BatchNormalization at opset 15 with training_mode 1 over a [4, 3, 6] input
(momentum 0.7, epsilon 0.01), the scale, bias and running statistics as
initializers, with numpy's expected outputs by ONNX's reference rule: the
batch's mean and biased variance over every axis but 1 normalise x, and
the running statistics move towards them by 1 - momentum.

usage: make_bn_training_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
x = rng.standard_normal((4, 3, 6)).astype(np.float32) * 2 + 1
s, b = rng.standard_normal(3).astype(np.float32), rng.standard_normal(3).astype(np.float32)
mean, var = rng.standard_normal(3).astype(np.float32), rng.random(3).astype(np.float32) + 0.5
momentum, eps = 0.7, 0.01
node = helper.make_node("BatchNormalization", ["x", "s", "b", "mean", "var"],
                        ["y", "running_mean", "running_var"], training_mode=1,
                        momentum=momentum, epsilon=eps)
f = TensorProto.FLOAT
g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", f, [4, 3, 6])],
                      [helper.make_tensor_value_info("y", f, [4, 3, 6]),
                       helper.make_tensor_value_info("running_mean", f, [3]),
                       helper.make_tensor_value_info("running_var", f, [3])],
                      [numpy_helper.from_array(a, n) for a, n in
                       ((s, "s"), (b, "b"), (mean, "mean"), (var, "var"))])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 15)], ir_version=8)
onnx.checker.check_model(m)
onnx.save(m, os.path.join(out, "bn.onnx"))
xd = x.astype(np.float64)
bm, bv = xd.mean(axis=(0, 2)), xd.var(axis=(0, 2))
y = (xd - bm[:, None]) / np.sqrt(bv[:, None] + eps) * s[:, None] + b[:, None]
np.save(os.path.join(out, "x.npy"), x)
np.save(os.path.join(out, "y_want.npy"), y.astype(np.float32))
np.save(os.path.join(out, "mean_want.npy"), (mean * momentum + bm * (1 - momentum)).astype(np.float32))
np.save(os.path.join(out, "var_want.npy"), (var * momentum + bv * (1 - momentum)).astype(np.float32))
