"""Writes ONNX models whose convolution weights are graph inputs (and, for
comparison, initializers), their inputs as .npy and PyTorch 1.13's outputs,
for test/onnx/weights_as_inputs.test.

usage: make_conv_weight_models.py OUTDIR

  ct_asym   ConvTranspose, W and B inputs, stride [2, 3], asymmetric pads
            [0, 2, 1, 1] (begin h, w, end h, w), output_padding [1, 0]
  ct_const  the same with W and B initializers (the layer path)
  conv1d    1-D Conv, W and B inputs, group 2, stride 2, pads [1, 2]
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
g = torch.Generator().manual_seed(5)


def rand(*shape):
    return (torch.randn(shape, generator=g) * 100).round() / 100


def save(name, node, inputs, values, inits, y):
    tensors = [helper.make_tensor_value_info(k, TensorProto.FLOAT, list(values[k].shape))
               for k in inputs]
    graph = helper.make_graph([node], "g", tensors,
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(y.shape))],
                              [numpy_helper.from_array(values[k].numpy(), k) for k in inits])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name + ".onnx"))
    for k in inputs:
        np.save(os.path.join(out, f"{name}_{k}.npy"), values[k].numpy())
    np.save(os.path.join(out, f"{name}_y.npy"), y.numpy())


# ConvTranspose: the unpadded output (output_padding [1, 0]) cropped to
# rows [0, OH) and columns [2, 2 + OW) as ONNX's pads say.
x, w, b = rand(1, 3, 4, 3), rand(3, 2, 3, 2), rand(2)
full = F.conv_transpose2d(x, w, b, stride=(2, 3), output_padding=(1, 0))
y = full[:, :, 0:full.shape[2] - 1, 2:full.shape[3] - 1]
node = helper.make_node("ConvTranspose", ["x", "W", "B"], ["y"], strides=[2, 3],
                        pads=[0, 2, 1, 1], output_padding=[1, 0])
values = {"x": x, "W": w, "B": b}
save("ct_asym", node, ["x", "W", "B"], values, [], y)
save("ct_const", node, ["x"], values, ["W", "B"], y)

x, w, b = rand(1, 4, 9), rand(6, 2, 3), rand(6)
y = F.conv1d(F.pad(x, [1, 2]), w, b, stride=2, groups=2)
node = helper.make_node("Conv", ["x", "W", "B"], ["y"], strides=[2], pads=[1, 2], group=2)
save("conv1d", node, ["x", "W", "B"], {"x": x, "W": w, "B": b}, [], y)
