"""Writes the models and values of test/onnx/gather_scatter_nd.test:
GatherND, ScatterND and ReverseSequence nodes with numpy's answers (the
ONNX spec's reference loops, written out below), and a PyTorch module whose
slice assignment torch.onnx.export writes as ScatterND, with PyTorch's answer.

  gathernd_batch    GatherND, batch_dims 1, data [N, 3, 4] and indices
                    [N, 2, 1] both with the batch on axis 0 (per sample)
  gathernd_table    GatherND from a [4, 3, 2] initializer by int64 tuples
                    [N, 2, 2] fed per sample, negative entries included
  scatternd_{none,add,mul}  ScatterND into a [4, 3, 2] input by index
                    pairs [3, 2] fed as an input, updates [3, 2]
  slice_assign      PyTorch: y = x * 2; y[1:3] = v (ScatterND in ONNX)
  reverse_{time,batch}  ReverseSequence, time_axis 0 / batch_axis 1 and
                    the other way round, lengths fed as an input

usage: make_nd_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)
F, I = TensorProto.FLOAT, TensorProto.INT64


def tensor(name, shape, dtype=F):
    return helper.make_tensor_value_info(name, dtype, shape)


def save(name, nodes, inputs, outputs, initializers=(), opset=16):
    g = helper.make_graph(nodes, name, inputs, outputs, list(initializers))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + ".onnx"))


def npy(name, a):
    np.save(os.path.join(out, name + ".npy"), a)


def gather_nd(data, indices, b):
    """The ONNX spec's GatherND."""
    batch = int(np.prod(indices.shape[:b]))
    d = data.reshape((batch,) + data.shape[b:])
    i = indices.reshape((batch, -1, indices.shape[-1]))
    rows = [d[k][tuple(j)] for k in range(batch) for j in i[k]]
    return np.array(rows).reshape(indices.shape[:-1] + data.shape[b + indices.shape[-1]:])


def scatter_nd(data, indices, updates, reduction):
    """The ONNX spec's ScatterND."""
    y = data.copy()
    for j in np.ndindex(indices.shape[:-1]):
        at = tuple(indices[j])
        y[at] = updates[j] if reduction == "none" else (
            y[at] + updates[j] if reduction == "add" else y[at] * updates[j])
    return y


def reverse_sequence(x, lens, time_axis):
    y = x.copy()
    for n, length in enumerate(lens):
        if time_axis == 0:
            y[:length, n] = x[:length, n][::-1]
        else:
            y[n, :length] = x[n, :length][::-1]
    return y


# GatherND per sample: batch_dims 1 counts the batch.
data = rng.standard_normal((3, 3, 4)).astype(np.float32)
idx = np.array([[[2], [0]], [[1], [-1]], [[0], [0]]], np.int64)
save("gathernd_batch", [helper.make_node("GatherND", ["x", "i"], ["y"], batch_dims=1)],
     [tensor("x", ["N", 3, 4]), tensor("i", ["N", 2, 1], I)], [tensor("y", ["N", 2, 4])])
npy("gathernd_batch.x", data)
npy("gathernd_batch.i", idx)
npy("gathernd_batch.want", gather_nd(data, np.where(idx < 0, idx + 3, idx), 1))

# GatherND from a table: [N, 2, 2] tuples into [4, 3, 2].
table = rng.standard_normal((4, 3, 2)).astype(np.float32)
tuples = np.array([[[0, 1], [3, 2]], [[-1, 0], [2, -2]]], np.int64)
save("gathernd_table", [helper.make_node("GatherND", ["W", "i"], ["y"])],
     [tensor("i", ["N", 2, 2], I)], [tensor("y", ["N", 2, 2])],
     [numpy_helper.from_array(table, "W")])
npy("gathernd_table.i", tuples)
wrapped = np.where(tuples < 0, tuples + np.array([4, 3]), tuples)
npy("gathernd_table.want", gather_nd(table, wrapped, 0))

# ScatterND with each reduction: index pairs into [4, 3, 2], blocks of 2.
x = rng.standard_normal((4, 3, 2)).astype(np.float32)
pairs = np.array([[0, 1], [3, -1], [2, 0]], np.int64)
upd = rng.standard_normal((3, 2)).astype(np.float32)
for reduction in ["none", "add", "mul"]:
    name = "scatternd_" + reduction
    attrs = {} if reduction == "none" else {"reduction": reduction}
    save(name, [helper.make_node("ScatterND", ["x", "i", "u"], ["y"], **attrs)],
         [tensor("x", [4, 3, 2]), tensor("i", [3, 2], I), tensor("u", [3, 2])],
         [tensor("y", [4, 3, 2])])
    npy(name + ".want", scatter_nd(x, np.where(pairs < 0, pairs + np.array([4, 3]), pairs), upd,
                                   reduction))
npy("scatternd.x", x)
npy("scatternd.i", pairs)
npy("scatternd.u", upd)


# PyTorch's slice assignment.
class SliceAssign(torch.nn.Module):
    def forward(self, x, v):
        y = x * 2
        y[1:3] = v
        return y


xs, vs = torch.randn(4, 3), torch.randn(2, 3)
torch.onnx.export(SliceAssign(), (xs, vs), os.path.join(out, "slice_assign.onnx"), opset_version=13,
                  input_names=["x", "v"], output_names=["y"])
ops = {n.op_type for n in onnx.load(os.path.join(out, "slice_assign.onnx")).graph.node}
assert "ScatterND" in ops, ops
npy("slice_assign.x", xs.numpy())
npy("slice_assign.v", vs.numpy())
npy("slice_assign.want", SliceAssign()(xs, vs).numpy())

# ReverseSequence both ways.
lens = np.array([4, 1, 3], np.int64)
seq = rng.standard_normal((5, 3, 2)).astype(np.float32)
save("reverse_time", [helper.make_node("ReverseSequence", ["x", "n"], ["y"], time_axis=0, batch_axis=1)],
     [tensor("x", [5, 3, 2]), tensor("n", [3], I)], [tensor("y", [5, 3, 2])])
npy("reverse_time.x", seq)
npy("reverse_time.want", reverse_sequence(seq, lens, 0))
seqb = np.ascontiguousarray(seq.transpose(1, 0, 2))
save("reverse_batch", [helper.make_node("ReverseSequence", ["x", "n"], ["y"], time_axis=1, batch_axis=0)],
     [tensor("x", [3, 5, 2]), tensor("n", [3], I)], [tensor("y", [3, 5, 2])])
npy("reverse_batch.x", seqb)
npy("reverse_batch.want", reverse_sequence(seqb, lens, 1))
npy("reverse.n", lens)
