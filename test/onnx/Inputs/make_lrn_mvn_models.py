"""Writes the models and data of test/onnx/lrn_mvn.test: LRN with an even
size (the window one channel longer after than before, ONNX's rule) over a
batched [N, 5, 3, 3] image and a batched [N, 5, 4] sequence, and
MeanVarianceNormalization over axes [1, 2] of a batch, with numpy's
expected outputs written from the ONNX operator definitions.

usage: make_lrn_mvn_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
F = TensorProto.FLOAT


def save(name, node, shape):
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", F, shape)],
                          [helper.make_tensor_value_info("y", F, shape)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=7)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + ".onnx"))


def lrn(x, size, alpha, beta, bias):
    sq = np.zeros_like(x)
    C = x.shape[1]
    for c in range(C):
        lo, hi = max(0, c - (size - 1) // 2), min(C - 1, c + int(np.ceil((size - 1) / 2)))
        sq[:, c] = (x[:, lo:hi + 1] ** 2).sum(axis=1)
    return x / (bias + alpha / size * sq) ** beta


for name, shape in (("lrn_image", [2, 5, 3, 3]), ("lrn_sequence", [2, 5, 4])):
    x = rng.standard_normal(shape)
    save(name, helper.make_node("LRN", ["x"], ["y"], size=4, alpha=0.3, beta=0.6, bias=1.5),
         ["N"] + shape[1:])
    np.save(os.path.join(out, name + "_x.npy"), x.astype(np.float32))
    np.save(os.path.join(out, name + "_want.npy"), lrn(x, 4, 0.3, 0.6, 1.5).astype(np.float32))
x = rng.standard_normal((2, 3, 4)) * 3 + 1
save("mvn", helper.make_node("MeanVarianceNormalization", ["x"], ["y"], axes=[1, 2]), ["N", 3, 4])
m = x.mean(axis=(1, 2), keepdims=True)
np.save(os.path.join(out, "mvn_x.npy"), x.astype(np.float32))
np.save(os.path.join(out, "mvn_want.npy"),
        ((x - m) / (np.sqrt((x ** 2).mean(axis=(1, 2), keepdims=True) - m ** 2) + 1e-9)).astype(np.float32))
