"""test/onnx/quantized.test: quantized ONNX graphs (QuantizeLinear and
DequantizeLinear per axis, QLinearMatMul, MatMulInteger, QLinearConv,
ConvInteger, DynamicQuantizeLinear) with their parameters as initializers, as quantized
models carry them, over a batch (axis 0 dynamic) where the graph allows it.
Each is imported and predicted by nnc and run by onnxruntime
(scripts/ort_run.js) on the same inputs; integer outputs must be equal,
float outputs within 1e-6.

usage: check_quantized_ort.py NNC WORKDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from nnc_and_ort import nnc_predict, onnxruntime_path, ort_predict
rng = np.random.default_rng(5)
F, U8, I8, I32 = TensorProto.FLOAT, TensorProto.UINT8, TensorProto.INT8, TensorProto.INT32


def const(name, a):
    return numpy_helper.from_array(np.asarray(a), name)


def tensor(name, dtype, shape):
    return helper.make_tensor_value_info(name, dtype, shape)


def graph(name, nodes, inputs, outputs, inits):
    m = helper.make_model(helper.make_graph(nodes, name, inputs, outputs, inits),
                          opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.checker.check_model(m)
    return m


MODELS = {}

# Per-axis QuantizeLinear to int8 and back: scales and zero points per channel.
MODELS["qdq_per_axis"] = (graph(
    "qdq", [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], axis=1),
            helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], axis=1)],
    [tensor("x", F, ["N", 3, 4])], [tensor("q", I8, ["N", 3, 4]), tensor("y", F, ["N", 3, 4])],
    [const("s", np.array([0.02, 0.05, 0.011], np.float32)), const("z", np.array([-3, 0, 7], np.int8))]),
    {"x": rng.uniform(-2, 2, (5, 3, 4)).astype(np.float32)})

# A quantized dense layer: x quantized to uint8, QLinearMatMul by a uint8
# weight, the result dequantized.
MODELS["qlinear_matmul"] = (graph(
    "qmm", [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
            helper.make_node("QLinearMatMul", ["xq", "xs", "xz", "w", "ws", "wz", "ys", "yz"], ["yq"]),
            helper.make_node("DequantizeLinear", ["yq", "ys", "yz"], ["y"])],
    [tensor("x", F, ["N", 6])], [tensor("yq", U8, ["N", 5]), tensor("y", F, ["N", 5])],
    [const("xs", np.float32(0.03)), const("xz", np.uint8(120)),
     const("w", rng.integers(0, 256, (6, 5)).astype(np.uint8)), const("ws", np.float32(0.004)),
     const("wz", np.uint8(131)), const("ys", np.float32(0.02)), const("yz", np.uint8(128))]),
    {"x": rng.uniform(-3, 3, (4, 6)).astype(np.float32)})

# MatMulInteger of a uint8 input by an int8 weight, zero points given.
MODELS["matmul_integer"] = (graph(
    "mmi", [helper.make_node("MatMulInteger", ["a", "b", "az", "bz"], ["y"])],
    [tensor("a", U8, ["N", 4])], [tensor("y", I32, ["N", 3])],
    [const("b", rng.integers(-128, 128, (4, 3)).astype(np.int8)), const("az", np.uint8(12)),
     const("bz", np.int8(-5))]),
    {"a": rng.integers(0, 256, (3, 4)).astype(np.uint8)})

# A quantized convolution: x quantized to uint8, QLinearConv by an int8
# weight with a scale per filter and an int32 bias, strided and padded. The
# weights stay within 7 bits, as onnxruntime's quantizer keeps them
# (reduce_range): its AVX2 uint8 x int8 kernel adds products in pairs that
# saturate at 2^15 - 1 (with weights up to 100 it gave values 7 quanta off the
# exact sum that nnc computes).
MODELS["qlinear_conv"] = (graph(
    "qconv", [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
              helper.make_node("QLinearConv", ["xq", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"], ["yq"],
                               strides=[2, 1], pads=[1, 1, 0, 1], kernel_shape=[3, 2]),
              helper.make_node("DequantizeLinear", ["yq", "ys", "yz"], ["y"])],
    [tensor("x", F, ["N", 2, 6, 5])], [tensor("yq", U8, ["N", 3, 3, 6]), tensor("y", F, ["N", 3, 3, 6])],
    [const("xs", np.float32(0.025)), const("xz", np.uint8(110)),
     const("w", rng.integers(-63, 64, (3, 2, 3, 2)).astype(np.int8)),
     const("ws", np.array([0.004, 0.007, 0.0025], np.float32)), const("wz", np.zeros(3, np.int8)),
     const("ys", np.float32(0.05)), const("yz", np.uint8(100)),
     const("b", np.array([300, -1200, 45], np.int32))]),
    {"x": rng.uniform(-2.5, 2.5, (3, 2, 6, 5)).astype(np.float32)})

# ConvInteger of a uint8 input by a uint8 weight, zero points given.
MODELS["conv_integer"] = (graph(
    "convi", [helper.make_node("ConvInteger", ["x", "w", "xz", "wz"], ["y"], pads=[1, 1, 1, 1])],
    [tensor("x", U8, ["N", 1, 4, 4])], [tensor("y", I32, ["N", 2, 4, 4])],
    [const("w", rng.integers(0, 256, (2, 1, 3, 3)).astype(np.uint8)), const("xz", np.uint8(3)),
     const("wz", np.uint8(128))]),
    {"x": rng.integers(0, 256, (2, 1, 4, 4)).astype(np.uint8)})

# DynamicQuantizeLinear: the range of the whole tensor sets the scale.
MODELS["dynamic"] = (graph(
    "dq", [helper.make_node("DynamicQuantizeLinear", ["x"], ["y", "s", "z"])],
    [tensor("x", F, [2, 5])], [tensor("y", U8, [2, 5]), tensor("s", F, []), tensor("z", U8, [])], []),
    {"x": rng.uniform(-1.5, 4, (2, 5)).astype(np.float32)})


def main():
    nnc, work = sys.argv[1], sys.argv[2]
    node_path = onnxruntime_path()
    ok = True
    for name, (m, feeds) in MODELS.items():
        d = os.path.join(work, name)
        path, specs = nnc_predict(nnc, d, m, feeds)
        ort_predict(node_path, path, os.path.join(d, "ort"), specs)
        for o in m.graph.output:
            got = np.load(os.path.join(d, "y.%s.npy" % o.name) if len(m.graph.output) > 1
                          else os.path.join(d, "y.npy"))
            want = np.load(os.path.join(d, "ort", o.name + ".npy"))
            same = got.shape == want.shape and got.dtype == want.dtype
            diff = np.max(np.abs(got.astype(np.float64) - want)) if same else float("inf")
            good = diff <= (1e-6 if want.dtype.kind == "f" else 0)
            ok = ok and good
            print("%s %s %s %s %s%s" % ("ok" if good else "MISMATCH", name, o.name, got.dtype,
                                        list(got.shape), "" if good else " max difference %g (want %s%s)"
                                        % (diff, want.dtype, list(want.shape))))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
