"""Writes the models and values of test/onnx/freeze.test: a Resize whose
scales and a Reshape whose shape are graph inputs (as the ONNX node tests
feed them), and the values to freeze them to, as .npy and as TensorProto
.pb files.

usage: make_freeze_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def tensor(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def save(name, nodes, inputs, outputs):
    g = helper.make_graph(nodes, "g", inputs, outputs)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + ".onnx"))


# x [N, 2, 3] -> Reshape(x, shape) -> Relu; shape is a graph input.
save("reshape", [helper.make_node("Reshape", ["x", "shape"], ["r"]),
                 helper.make_node("Relu", ["r"], ["y"])],
     [tensor("x", ["N", 2, 3]), tensor("shape", [3], TensorProto.INT64)],
     [tensor("y", ["N", 3, 2])])
np.save(os.path.join(out, "shape.npy"), np.array([-1, 3, 2], np.int64))
np.save(os.path.join(out, "shape_float.npy"), np.array([-1, 3, 2.5]))
np.save(os.path.join(out, "shape_long.npy"), np.array([-1, 3, 2, 1], np.int64))
with open(os.path.join(out, "shape.pb"), "wb") as f:
    f.write(numpy_helper.from_array(np.array([-1, 3, 2], np.int64)).SerializeToString())
with open(os.path.join(out, "shape_int32.pb"), "wb") as f:
    f.write(numpy_helper.from_array(np.array([-1, 3, 2], np.int32)).SerializeToString())
x = np.arange(-6, 6, dtype=np.float32).reshape(2, 2, 3)
np.save(os.path.join(out, "x.npy"), x)
np.save(os.path.join(out, "reshape_want.npy"), np.maximum(x.reshape(-1, 3, 2), 0))

# Resize of [1, 1, 2, 2] by scales [1, 1, 2, 3] (nearest, asymmetric).
save("resize", [helper.make_node("Resize", ["img", "", "scales"], ["out"], mode="nearest",
                                 coordinate_transformation_mode="asymmetric", nearest_mode="floor")],
     [tensor("img", [1, 1, 2, 2]), tensor("scales", [4])], [tensor("out", [1, 1, 4, 6])])
np.save(os.path.join(out, "scales.npy"), np.array([1, 1, 2, 3], np.float32))
img = np.array([[[[1, 2], [3, 4]]]], np.float32)
np.save(os.path.join(out, "img.npy"), img)
np.save(os.path.join(out, "resize_want.npy"), img.repeat(2, axis=2).repeat(3, axis=3))
