"""Grouped transposed convolutions for test/onnx/convtranspose_group.test:
torch.nn.ConvTranspose{1,2,3}d with groups, exported by torch.onnx.export
(weights as initializers), and ConvTranspose nodes whose grouped weight
and bias are graph inputs (one image, one volume); PyTorch's outputs as
the reference.

usage: make_convtranspose_group_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper

out = sys.argv[1]
torch.manual_seed(0)


def export(name, module, x):
    module.eval()
    torch.onnx.export(module, (x,), os.path.join(out, name + ".onnx"), opset_version=13,
                      input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
    np.save(os.path.join(out, name + ".x.npy"), x.numpy())
    with torch.no_grad():
        np.save(os.path.join(out, name + ".y.npy"), module(x).numpy())


export("groups2", torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
       torch.randn(2, 4, 5, 4))
export("groups3_dilated", torch.nn.ConvTranspose2d(6, 3, (2, 3), stride=(1, 2), dilation=(2, 1),
                                                   groups=3, bias=False), torch.randn(2, 6, 4, 3))
export("groups2_1d", torch.nn.ConvTranspose1d(4, 4, 3, stride=2, groups=2), torch.randn(3, 4, 6))
export("groups2_3d", torch.nn.ConvTranspose3d(4, 6, (2, 3, 2), stride=(2, 1, 2), padding=(1, 1, 0),
                                              output_padding=(1, 0, 1), dilation=(1, 2, 1), groups=2),
       torch.randn(2, 4, 3, 4, 3))
export("groups3_3d", torch.nn.ConvTranspose3d(3, 3, 2, groups=3, bias=False), torch.randn(1, 3, 2, 3, 2))

def weight_input(name, x, w, b, strides, transposed):
    """A ConvTranspose node (group 2) whose weight and bias are graph inputs."""
    node = helper.make_node("ConvTranspose", ["x", "W", "B"], ["y"], group=2, strides=strides)
    y = transposed(x, w, b, stride=tuple(strides), groups=2)
    value = lambda n, t: helper.make_tensor_value_info(n, TensorProto.FLOAT, list(t.shape))  # noqa: E731
    graph = helper.make_graph([node], "g", [value("x", x), value("W", w), value("B", b)], [value("y", y)])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + ".onnx"))
    for k, v in {"x": x, "W": w, "B": b, "y": y}.items():
        np.save(os.path.join(out, "%s.%s.npy" % (name, k)), v.numpy())


# The weight and bias fed as graph inputs, over an image and over a volume
# (weight [C, F / group, KD, KH, KW]).
weight_input("weight_input", torch.randn(1, 4, 3, 3), torch.randn(4, 3, 2, 2), torch.randn(6), [2, 1],
             F.conv_transpose2d)
weight_input("weight_input_3d", torch.randn(1, 4, 2, 3, 3), torch.randn(4, 2, 2, 2, 1), torch.randn(4),
             [1, 2, 1], F.conv_transpose3d)
