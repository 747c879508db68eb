"""Writes the models and values of test/onnx/gather_computed.test: Gather
whose indices are computed in the graph, with numpy's answers (np.take, the
negative indices wrapped as ONNX says):

  argmax_axis0  ArgMax over a batch, minus 3 (so -3..2), gathering the rows
                of a [6, 3] weight (axis 0)
  argmax_axis1  ArgMax (keepdims) minus 4 (-4..1), gathering along axis 1 of
                a [3, 6, 2] input: a [2, 1] index tensor in the middle
  negated       an int64 input used as numbers (negated: -5..0) and, in a
                second output, directly as indices (0..5), both gathering
                the rows of a [6, 3] weight
  too_large     an int64 [N, 20000] index tensor into 20000 positions: the
                comparison would have 4e8 entries per sample (refused)

usage: make_gather_computed_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(18)
F, I = TensorProto.FLOAT, TensorProto.INT64


def tensor(name, shape, dtype=F):
    return helper.make_tensor_value_info(name, dtype, shape)


def save(name, nodes, inputs, outputs, initializers=()):
    g = helper.make_graph(nodes, name, inputs, outputs, list(initializers))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + ".onnx"))


def npy(name, a):
    np.save(os.path.join(out, name + ".npy"), a)


def take(data, idx, axis):
    return np.take(data, np.where(idx < 0, idx + data.shape[axis], idx), axis=axis)


def const(name, a):
    return numpy_helper.from_array(np.asarray(a), name)


W = rng.standard_normal((6, 3)).astype(np.float32)

# ArgMax over a batch, minus 3, into the rows of a weight.
x0 = rng.standard_normal((4, 6)).astype(np.float32)
x0[0, 0] = x0[1, 5] = 9  # the first and the last row (-3 and 2) at least once
save("argmax_axis0",
     [helper.make_node("ArgMax", ["x"], ["i"], axis=1, keepdims=0),
      helper.make_node("Sub", ["i", "three"], ["j"]),
      helper.make_node("Gather", ["W", "j"], ["y"], axis=0)],
     [tensor("x", ["N", 6])], [tensor("y", ["N", 3])],
     [const("W", W), const("three", np.int64(3))])
npy("argmax_axis0.x", x0)
npy("argmax_axis0.want", take(W, x0.argmax(1) - 3, 0))

# ArgMax (keepdims) minus 4 along axis 1 of an input: whole tensors.
x1 = rng.standard_normal((2, 6)).astype(np.float32)
x1[0, 0] = x1[1, 5] = 9  # -4 and 1
d1 = rng.standard_normal((3, 6, 2)).astype(np.float32)
save("argmax_axis1",
     [helper.make_node("ArgMax", ["x"], ["i"], axis=1, keepdims=1),
      helper.make_node("Sub", ["i", "four"], ["j"]),
      helper.make_node("Gather", ["d", "j"], ["y"], axis=1)],
     [tensor("x", [2, 6]), tensor("d", [3, 6, 2])], [tensor("y", [3, 2, 1, 2])],
     [const("four", np.int64(4))])
npy("argmax_axis1.x", x1)
npy("argmax_axis1.d", d1)
npy("argmax_axis1.want", take(d1, x1.argmax(1)[:, None] - 4, 1))

# An int64 input negated (numbers), and the same input as indices.
idx = np.array([[0, 1, 2], [3, 4, 5], [5, 0, 3], [2, 2, 1]], np.int64)
save("negated",
     [helper.make_node("Neg", ["idx"], ["k"]),
      helper.make_node("Gather", ["W", "k"], ["y"], axis=0),
      helper.make_node("Gather", ["W", "idx"], ["z"], axis=0)],
     [tensor("idx", ["N", 3], I)], [tensor("y", ["N", 3, 3]), tensor("z", ["N", 3, 3])],
     [const("W", W)])
npy("negated.idx", idx)
npy("negated.y_want", take(W, -idx, 0))
npy("negated.z_want", take(W, idx, 0))

# Too large: [20000] indices per sample into 20000 positions.
save("too_large",
     [helper.make_node("Neg", ["idx"], ["k"]),
      helper.make_node("ConstantOfShape", ["n"], ["table"],
                       value=numpy_helper.from_array(np.array([1], np.float32))),
      helper.make_node("Gather", ["table", "k"], ["y"], axis=0)],
     [tensor("idx", ["N", 20000], I)], [tensor("y", ["N", 20000])],
     [const("n", np.array([20000], np.int64))])
