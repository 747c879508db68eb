"""Writes the models and data of test/onnx/int_io.test: ONNX graphs with
integer and float16 inputs and outputs, their inputs as .npy, and numpy's
expected outputs (ONNX's integer semantics: Div truncates toward zero, Mod
fmod=0 takes the divisor's sign and fmod=1 the dividend's, fixed-width
arithmetic wraps).

usage: make_int_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
N = helper.make_node


def tensor(name, dtype, shape):
    return helper.make_tensor_value_info(name, dtype, shape)


def save(name, nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + ".onnx"))


def npy(name, a):
    np.save(os.path.join(out, name + ".npy"), a)


# arith: int64 x, y [N, 6]: Add, Sub, Mul, Div, Mod (both signs conventions),
# Max; mixed signs so that truncation and floor differ.
I64, U8, I8, I32, F16, F = (TensorProto.INT64, TensorProto.UINT8, TensorProto.INT8,
                            TensorProto.INT32, TensorProto.FLOAT16, TensorProto.FLOAT)
ops = [("Add", "add", {}), ("Sub", "sub", {}), ("Mul", "mul", {}), ("Div", "div", {}),
       ("Mod", "mod", {"fmod": 0}), ("Mod", "fmod", {"fmod": 1}), ("Max", "max", {})]
save("arith", [N(op, ["x", "y"], [name], **attrs) for op, name, attrs in ops],
     [tensor("x", I64, ["N", 6]), tensor("y", I64, ["N", 6])],
     [tensor(name, I64, ["N", 6]) for _, name, _ in ops])
x = np.array([[7, -7, 7, -7, 0, 4503599627370496], [13, -13, 100, -1, 5, 3]], np.int64)
y = np.array([[2, 2, -2, -2, 3, 1], [4, 4, -7, 1000, -5, -2]], np.int64)
npy("x", x)
npy("y", y)
div = np.trunc(x / y).astype(np.int64)  # C's division
want = {"add": x + y, "sub": x - y, "mul": x * y, "div": div, "mod": np.mod(x, y),
        "fmod": np.fmod(x, y), "max": np.maximum(x, y)}
for name, w in want.items():
    npy("arith_" + name, w.astype(np.int64))

# wrap: uint8 a, b [N, 4]: Add and Sub wrap modulo 256, Max sees the wrapped
# sum; an int8 output of a Cast from int32 wraps modulo 256 too, and one of a
# float truncates toward zero.
save("wrap", [N("Add", ["a", "b"], ["sum"]), N("Sub", ["a", "b"], ["diff"]),
              N("Max", ["sum", "b"], ["maxsum"]),
              N("Cast", ["w"], ["narrow"], to=I8), N("Cast", ["f"], ["trunc"], to=I8)],
     [tensor("a", U8, ["N", 4]), tensor("b", U8, ["N", 4]), tensor("w", I32, ["N", 4]),
      tensor("f", F, ["N", 4])],
     [tensor("sum", U8, ["N", 4]), tensor("diff", U8, ["N", 4]), tensor("maxsum", U8, ["N", 4]),
      tensor("narrow", I8, ["N", 4]), tensor("trunc", I8, ["N", 4])])
a = np.array([[200, 10, 255, 0], [128, 1, 2, 3]], np.uint8)
b = np.array([[100, 20, 1, 0], [128, 2, 1, 250]], np.uint8)
w = np.array([[300, -129, 127, -1], [65535, 256, -256, 128]], np.int32)
f = np.array([[2.9, -2.9, 0.5, -0.5], [100.99, -100.99, 7, -128]], np.float32)
for name, v in [("a", a), ("b", b), ("w", w), ("f", f)]:
    npy(name, v)
npy("wrap_sum", a + b)
npy("wrap_diff", a - b)
npy("wrap_maxsum", np.maximum(a + b, b))
npy("wrap_narrow", w.astype(np.int8))
npy("wrap_trunc", np.trunc(f).astype(np.int8))

# half: float16 h [N, 3] times a float16 initializer, and a Cast of a float
# input to float16, as graph outputs (rounded to nearest even on the way out).
save("half", [N("Mul", ["h", "k"], ["hk"]), N("Cast", ["g"], ["g16"], to=F16)],
     [tensor("h", F16, ["N", 3]), tensor("g", F, ["N", 3])],
     [tensor("hk", F16, ["N", 3]), tensor("g16", F16, ["N", 3])],
     [numpy_helper.from_array(np.array([0.1, 3, -1.5], np.float16), "k")])
h = np.array([[0.1, 1000, 2.5], [20000, -3, 0.333]], np.float16)
g = np.array([[0.1, 1.0009765625, 65519], [1e-8, -2.0004883, 3.14159]], np.float32)
npy("h", h)
npy("g", g)
npy("half_hk", h * np.array([0.1, 3, -1.5], np.float16))

npy("half_g16", g.astype(np.float16))

# A float16 result that feeds more computation: refused at import.
save("half_chain", [N("Cast", ["g"], ["g16"], to=F16), N("Add", ["g16", "g16"], ["s"])],
     [tensor("g", F, ["N", 3])], [tensor("s", F16, ["N", 3])])

# Wrong input data: int32 for the int64 x, an int64 beyond 2^53.
npy("x_i32", x.astype(np.int32))
npy("x_big", np.array([[1, 2, 3, 4, 5, 6], [1, 2, 9007199254740993, 4, 5, 6]], np.int64))

# Neg of int8's minimum wraps back to it, and Max sees that.
save("negmax", [N("Neg", ["q"], ["n"]), N("Max", ["n", "q"], ["m"])],
     [tensor("q", I8, ["N", 3])], [tensor("m", I8, ["N", 3])])
q = np.array([[-128, 5, -3], [127, 0, -1]], np.int8)
npy("q", q)
with np.errstate(over="ignore"):
    npy("negmax_m", np.maximum(-q, q))

# An op nnc does not compute on integers (ReduceMean would need truncation).
save("int_mean", [N("ReduceMean", ["w"], ["r"], axes=[1])],
     [tensor("w", I32, ["N", 4])], [tensor("r", I32, ["N", 1])])
