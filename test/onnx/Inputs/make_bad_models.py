"""Writes hostile and unsupported ONNX files for test/onnx/bad_input.test,
one per class of problem, built with onnx.helper.

usage: make_bad_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def save(name, model, check=True):
    if check:
        onnx.checker.check_model(model)
    with open(os.path.join(out, name + ".onnx"), "wb") as f:
        f.write(model.SerializeToString())


def model(nodes, inputs, outputs, inits=(), opset=13, ir=8):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=ir)


def tensor(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


weight = numpy_helper.from_array(np.ones((3, 4), np.float32), "fc.weight")
good = model([helper.make_node("MatMul", ["x", "fc.weight"], ["y"])],
             [tensor("x", ["N", 3])], [tensor("y", ["N", 4])], [weight])
save("good", good)
data = good.SerializeToString()
with open(os.path.join(out, "truncated.onnx"), "wb") as f:
    f.write(data[: len(data) // 2])
with open(os.path.join(out, "garbage.onnx"), "wb") as f:
    f.write(b"model Fake\ninput x: f32[3]\n" * 10)
open(os.path.join(out, "empty.onnx"), "wb").close()

save("unsupported_op", model([helper.make_node("NonZero", ["x"], ["y"], name="nonzero_0")],
                             [tensor("x", ["N", 3, 3])], [tensor("y", ["N"])]))
save("opset18", model([helper.make_node("Relu", ["x"], ["y"])],
                      [tensor("x", ["N", 3])], [tensor("y", ["N", 3])], opset=18), check=False)
save("dynamic_dim", model([helper.make_node("Relu", ["x"], ["y"])],
                          [tensor("x", ["N", "seq", 4])], [tensor("y", ["N", "seq", 4])]))
# An initializer with the name of a graph input (a default value, IR >= 4).
save("shadow", model([helper.make_node("MatMul", ["x", "fc.weight"], ["y"])],
                     [tensor("x", ["N", 3]), tensor("fc.weight", [3, 4])],
                     [tensor("y", ["N", 4])], [weight]))
# A tensor that declares 12 elements and holds 5.
short = onnx.TensorProto()
short.name, short.data_type = "fc.weight", TensorProto.FLOAT
short.dims.extend([3, 4])
short.raw_data = np.ones(5, np.float32).tobytes()
save("size_mismatch", model([helper.make_node("MatMul", ["x", "fc.weight"], ["y"])],
                            [tensor("x", ["N", 3])], [tensor("y", ["N", 4])], [short]), check=False)
# External data: the checker looks for the file, so it is left unchecked.
ext = onnx.TensorProto()
ext.name, ext.data_type = "fc.weight", TensorProto.FLOAT
ext.dims.extend([3, 4])
ext.data_location = TensorProto.EXTERNAL
entry = ext.external_data.add()
entry.key, entry.value = "location", "weights.bin"
save("external", model([helper.make_node("MatMul", ["x", "fc.weight"], ["y"])],
                       [tensor("x", ["N", 3])], [tensor("y", ["N", 4])], [ext]), check=False)
save("huge_shape", model([helper.make_node("Relu", ["x"], ["y"])],
                         [tensor("x", ["N", 100000, 100000, 100])],
                         [tensor("y", ["N", 100000, 100000, 100])]))
# Two nodes that feed each other.
save("cycle", model([helper.make_node("Relu", ["b"], ["a"]), helper.make_node("Relu", ["a"], ["b"])],
                    [tensor("x", ["N", 3])], [tensor("a", ["N", 3])]), check=False)
# ceil_mode whose last window starts in the padding: the op is known, the
# attribute values are not (ONNX keeps that window, PyTorch drops it).
save("ceil_pool", model([helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2],
                                          pads=[1, 1, 1, 1], ceil_mode=1, name="pool_0")],
                        [tensor("x", ["N", 4, 5, 5])], [tensor("y", ["N", 4, 4, 4])]))
# Dropout in training mode: random masks an imported model cannot reproduce.
save("dropout_training", model([helper.make_node("Dropout", ["x", "ratio", "training"], ["y"], name="drop_0")],
                               [tensor("x", ["N", 3])], [tensor("y", ["N", 3])],
                               [numpy_helper.from_array(np.array(0.3, np.float32), "ratio"),
                                numpy_helper.from_array(np.array(True), "training")]))
# LSTM (X [T=2, N=3, I=2], hidden 3) with an initial_h for 2 sequences, not 3;
# and one with sequence_lens for 2 sequences, not 3.
lstm_weights = [numpy_helper.from_array(np.full((1, 12, 2), 0.1, np.float32), "W"),
                numpy_helper.from_array(np.full((1, 12, 3), 0.1, np.float32), "R")]
save("lstm_initial_h", model([helper.make_node("LSTM", ["x", "W", "R", "", "", "h0"], ["", "y"],
                                               hidden_size=3, name="lstm_0")],
                             [tensor("x", [2, 3, 2])], [tensor("y", [1, 3, 3])],
                             lstm_weights + [numpy_helper.from_array(np.zeros((1, 2, 3), np.float32), "h0")]),
     check=False)
save("lstm_lens", model([helper.make_node("LSTM", ["x", "W", "R", "", "lens"], ["", "", "c"], hidden_size=3)],
                        [tensor("x", [2, 3, 2]), tensor("lens", [2], TensorProto.INT32)],
                        [tensor("c", [1, 3, 3])], lstm_weights), check=False)
# Recurrent attributes out of ONNX's range: two activations for an LSTM
# (it takes f, g, h), an activation ONNX does not define, a clip of 0.
for name, attrs in [("lstm_two_activations", dict(activations=["Sigmoid", "Tanh"])),
                    ("lstm_gelu", dict(activations=["Sigmoid", "Gelu", "Tanh"])),
                    ("lstm_clip_zero", dict(clip=0.0)),
                    ("lstm_extra_alpha", dict(activations=["Sigmoid", "Tanh", "LeakyRelu"],
                                              activation_alpha=[0.1, 0.2]))]:
    save(name, model([helper.make_node("LSTM", ["x", "W", "R"], ["", "y"], hidden_size=3,
                                       name="lstm_0", **attrs)],
                     [tensor("x", [2, 3, 2])], [tensor("y", [1, 3, 3])], lstm_weights), check=False)
save("gathernd_batch_dims", model([helper.make_node("GatherND", ["x", "i"], ["y"], batch_dims=2,
                                                    name="gnd_0")],
                                  [tensor("x", [2, 3]), tensor("i", [2, 1], TensorProto.INT64)],
                                  [tensor("y", [2])]), check=False)
save("scatternd_updates", model([helper.make_node("ScatterND", ["x", "i", "u"], ["y"], name="snd_0")],
                                [tensor("x", [4, 3]), tensor("i", [2, 1], TensorProto.INT64),
                                 tensor("u", [2, 4])], [tensor("y", [4, 3])]), check=False)
save("quantize_int32", model([helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"], name="q_0")],
                             [tensor("x", ["N", 3])], [tensor("y", ["N", 3], TensorProto.INT32)],
                             [numpy_helper.from_array(np.float32(0.1), "s"),
                              numpy_helper.from_array(np.int32(0), "z")]), check=False)
save("tile_zero", model([helper.make_node("Tile", ["x", "reps"], ["y"], name="tile_0")],
                        [tensor("x", ["N", 3])], [tensor("y", ["N", 0])],
                        [numpy_helper.from_array(np.array([1, 0], np.int64), "reps")]))
save("custom_domain", model([helper.make_node("Gelu", ["x"], ["y"], domain="com.microsoft")],
                            [tensor("x", ["N", 3])], [tensor("y", ["N", 3])]), check=False)
save("bf16_input", model([helper.make_node("Identity", ["x"], ["y"])],
                         [tensor("x", ["N", 3], TensorProto.BFLOAT16)],
                         [tensor("y", ["N", 3], TensorProto.BFLOAT16)]))
# Labels of a loss: accepted as class(C) inputs (losses.test), refused when
# the integers are also computed with, or come from a constant.
sce = model([helper.make_node("SoftmaxCrossEntropyLoss", ["x", "y"], ["z", "log_prob"], reduction="mean",
                              ignore_index=-1)],
            [tensor("x", [3, 5, 2]), tensor("y", [3, 2], TensorProto.INT64)],
            [tensor("z", []), tensor("log_prob", [3, 5, 2])])
save("sce_log_prob", sce)
save("nll_none", model([helper.make_node("NegativeLogLikelihoodLoss", ["x", "y"], ["z"], reduction="none")],
                       [tensor("x", ["N", 5, 2]), tensor("y", ["N", 2], TensorProto.INT64)],
                       [tensor("z", ["N", 2])]))
save("labels_computed", model([helper.make_node("NegativeLogLikelihoodLoss", ["x", "y"], ["z"], reduction="sum"),
                               helper.make_node("Add", ["y", "y"], ["y2"])],
                              [tensor("x", [3, 5]), tensor("y", [3], TensorProto.INT64)],
                              [tensor("z", []), tensor("y2", [3], TensorProto.INT64)]))
save("labels_constant", model([helper.make_node("NegativeLogLikelihoodLoss", ["x", "y"], ["z"], reduction="sum")],
                              [tensor("x", [3, 5])], [tensor("z", [])],
                              [numpy_helper.from_array(np.array([1, 2, 3], np.int64), "y")]))
# Mod with fmod 0 is defined for integers only.
save("mod_float", model([helper.make_node("Mod", ["x", "y"], ["z"], name="mod_0")],
                        [tensor("x", ["N", 3]), tensor("y", ["N", 3])], [tensor("z", ["N", 3])]))
# A Conv whose weight is a graph input takes one image (N = 1): nnc's conv2d
# takes one [H, W, C] image per sample, and the weight is not batched.
save("conv_weight_input_batch", model([helper.make_node("Conv", ["x", "W"], ["y"])],
                                      [tensor("x", [2, 1, 5, 5]), tensor("W", [1, 1, 3, 3])],
                                      [tensor("y", [2, 1, 3, 3])]))
