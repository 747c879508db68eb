"""MaxPool nodes with the Indices output for test/onnx/maxpool_indices.test,
with PyTorch's max_pool{1,2}d(return_indices=True) as the reference: its
index counts within each (n, c) plane (h * W + w), ONNX's through the whole
tensor, ((n * C + c) * H + h) * W + w, or with storage_order 1 column-major
in the plane ((n * C + c) * H * W + w * H + h). Writes NAME.onnx, NAME.x.npy,
NAME.values.npy and NAME.indices.npy; and dynamic_batch.onnx, which nnc
refuses (the sample's n is not known per sample).

usage: make_maxpool_indices_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper

out = sys.argv[1]
rng = np.random.default_rng(3)


def save(name, shape, kernel, strides=None, pads=None, dilations=None, ceil=0, order=0, x=None,
         batch=None):
    n = len(kernel)
    strides = strides or kernel
    pads = pads or [0] * (2 * n)
    dilations = dilations or [1] * n
    attrs = dict(kernel_shape=kernel, strides=strides, pads=pads, dilations=dilations,
                 ceil_mode=ceil, storage_order=order)
    node = helper.make_node("MaxPool", ["x"], ["y", "i"], **attrs)
    x = rng.permutation(np.prod(shape)).reshape(shape).astype(np.float32) if x is None else x
    pool = F.max_pool1d if n == 1 else F.max_pool2d
    y, idx = pool(torch.from_numpy(x), kernel, strides, pads[:n], dilations, bool(ceil),
                  return_indices=True)
    C, plane = shape[1], int(np.prod(shape[2:]))
    H, W = (1, shape[2]) if n == 1 else shape[2:]
    idx = idx.numpy()
    if order == 1:
        idx = (idx % W) * H + idx // W
    nc = np.arange(shape[0] * C).reshape(shape[0], C, *([1] * n))
    idx = idx + nc * plane
    dims = [batch or shape[0]] + list(shape[1:])
    ydims = [batch or shape[0]] + list(y.shape[1:])
    graph = helper.make_graph([node], name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, dims)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ydims),
                               helper.make_tensor_value_info("i", TensorProto.INT64, ydims)])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 12)])
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + ".onnx"))
    np.save(os.path.join(out, name + ".x.npy"), x)
    np.save(os.path.join(out, name + ".values.npy"), y.numpy())
    np.save(os.path.join(out, name + ".indices.npy"), idx.astype(np.int64))


save("pads_strides", (1, 3, 7, 6), [3, 3], [2, 2], [1, 1, 1, 1])
save("dilation_ceil", (1, 2, 8, 7), [2, 3], [2, 2], [0, 1, 0, 1], [2, 1], ceil=1)
save("column_major", (1, 2, 5, 6), [2, 2], [1, 2], order=1)
save("one_d", (1, 2, 9), [3], [2], [1, 1])
# Ties: the first maximum in the window's row-major order (padding never wins).
save("ties", (1, 1, 4, 4), [3, 3], [1, 1], [1, 1, 1, 1], x=np.zeros((1, 1, 4, 4), np.float32))
save("dynamic_batch", (1, 1, 4, 4), [2, 2], batch="N")
