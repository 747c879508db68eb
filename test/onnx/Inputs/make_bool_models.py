"""Writes the models and data of test/onnx/bool_io.test: ONNX graphs with
bool outputs (comparisons, Not, And, Or, Xor) and bool inputs (a Where's
condition), their inputs as .npy, and numpy's expected outputs.

usage: make_bool_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
B, F, D = TensorProto.BOOL, TensorProto.FLOAT, TensorProto.DOUBLE


def tensor(name, shape, dtype=F):
    return helper.make_tensor_value_info(name, dtype, shape)


def save(name, nodes, inputs, outputs, opset=13):
    g = helper.make_graph(nodes, "g", inputs, outputs)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + ".onnx"))


def npy(name, a):
    np.save(os.path.join(out, name + ".npy"), a)


# compare: x, y [N, 2, 3] -> bool outputs of every comparison and logical
# op, and a float output selected by one of them.
N = helper.make_node
save("compare", [N("Greater", ["x", "y"], ["gt"]),
                 N("LessOrEqual", ["x", "y"], ["le"]),
                 N("Less", ["x", "y"], ["lt"]),
                 N("GreaterOrEqual", ["x", "y"], ["ge"]),
                 N("Equal", ["x", "y"], ["eq"]),
                 N("Not", ["eq"], ["ne"]),
                 N("And", ["ge", "le"], ["both"]),
                 N("Or", ["gt", "lt"], ["either"]),
                 N("Xor", ["gt", "ge"], ["xor"]),
                 N("Where", ["gt", "x", "y"], ["hi"])],
     [tensor("x", ["N", 2, 3]), tensor("y", ["N", 2, 3])],
     [tensor("gt", ["N", 2, 3], B), tensor("le", ["N", 2, 3], B), tensor("ne", ["N", 2, 3], B),
      tensor("both", ["N", 2, 3], B), tensor("either", ["N", 2, 3], B),
      tensor("xor", ["N", 2, 3], B), tensor("hi", ["N", 2, 3])])
x = np.array([[[1, 2, 3], [4, 5, 6]], [[-1, 0, 1], [2.5, 2.5, -3]]], np.float32)
y = np.array([[[3, 2, 1], [4, 6, 5]], [[-1, 1, 0], [2.5, 2, -2]]], np.float32)
npy("x", x)
npy("y", y)
for name, want in [("gt", x > y), ("le", x <= y), ("ne", x != y), ("both", x == y),
                   ("either", x != y), ("xor", x == y), ("hi", np.where(x > y, x, y))]:
    npy("compare_" + name, want)

# where: a bool graph input [2, 3] (whole tensors: y broadcasts [3]); outputs
# the selection (float) and Not of the condition (bool).
save("where", [N("Where", ["cond", "a", "b"], ["z"]), N("Not", ["cond"], ["notc"])],
     [tensor("cond", [2, 3], B), tensor("a", [2, 3]), tensor("b", [3])],
     [tensor("z", [2, 3]), tensor("notc", [2, 3], B)])
cond = np.array([[True, False, True], [False, False, True]])
a = np.arange(6, dtype=np.float32).reshape(2, 3)
b = np.array([-1, -2, -3], np.float32)
npy("cond", cond)
npy("cond_f32", cond.astype(np.float32))
npy("cond_i64", cond.astype(np.int64))
npy("a", a)
npy("b", b)
npy("where_z", np.where(cond, a, b))
npy("where_notc", ~cond)
with open(os.path.join(out, "cond_2.csv"), "w") as f:
    f.write("1,0,1,0,2,1\n")

# where64: a model in double with a batched bool input [N, 3].
save("where64", [N("Where", ["m", "p", "q"], ["r"])],
     [tensor("m", ["N", 3], B), tensor("p", ["N", 3], D), tensor("q", ["N", 3], D)],
     [tensor("r", ["N", 3], D)])
m = np.array([[True, False, False], [True, True, False]])
p = np.array([[1.25, 2, 3], [4, 5, 6]], np.float64)
q = -p
npy("m", m)
npy("p", p)
npy("q", q)
npy("where64_r", np.where(m, p, q))
