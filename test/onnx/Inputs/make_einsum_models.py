"""Writes the models and data of test/onnx/einsum.test: Einsum equations
over a dynamic batch (attention scores, a product with a weight, a sum to
one number per sample, ellipses with the implicit output) and over whole
tensors (a diagonal, an outer product, a contraction over axis 0), with
numpy.einsum as the expected outputs; and three operands, which nnc
refuses.

usage: make_einsum_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
F = TensorProto.FLOAT


def save(name, eq, shapes, out_shape, init=()):
    names = ["x%d" % i for i in range(len(shapes))]
    inputs = [helper.make_tensor_value_info(n, F, s) for n, s in zip(names, shapes)]
    inits = [numpy_helper.from_array(a, "w%d" % i) for i, a in enumerate(init)]
    node = helper.make_node("Einsum", names + [i.name for i in inits], ["y"], equation=eq)
    g = helper.make_graph([node], "g", inputs, [helper.make_tensor_value_info("y", F, out_shape)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 12)], ir_version=7)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + ".onnx"))


def case(name, eq, shapes, init=()):
    xs = [rng.standard_normal([2 if d == "N" else d for d in s]).astype(np.float32) for s in shapes]
    y = np.einsum(eq, *[x.astype(np.float64) for x in xs + list(init)]).astype(np.float32)
    out_shape = list(y.shape)
    if shapes[0][0] == "N":
        out_shape[0] = "N"
    save(name, eq, shapes, out_shape, init)
    for i, x in enumerate(xs):
        np.save(os.path.join(out, "%s_x%d.npy" % (name, i)), x)
    np.save(os.path.join(out, name + "_want.npy"), y)


w = rng.standard_normal((4, 6)).astype(np.float32)
case("scores", "bhqd,bhkd->bhqk", [["N", 2, 3, 4], ["N", 2, 5, 4]])
case("weight", "bij,jk->bik", [["N", 3, 4]], init=[w])
case("persample", "bij->b", [["N", 3, 4]])
case("ellipsis", "...ij,...jk", [["N", 2, 3, 4], ["N", 2, 4, 5]])
case("diagonal", "ii->i", [[4, 4]])
case("outer", "ij,kl->ljki", [[2, 3], [4, 5]])
case("overaxis0", "ijk,ikl->jl", [[3, 2, 4], [3, 4, 5]])
save("three", "i,i,i->i", [[3], [3], [3]], [3])
