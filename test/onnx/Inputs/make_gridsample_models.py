"""Writes the models and data of test/onnx/gridsample.test: PyTorch 1.13's
F.grid_sample exported by torch.onnx.export (opset 16, GridSample) for
every mode and padding it has, align_corners both ways, over a dynamic
batch, with PyTorch's own outputs as the expected ones. The grid reaches
past [-1, 1] so the paddings differ, and holds points half way between
pixels so nearest's rounding (half to even) shows.

usage: make_gridsample_models.py OUTDIR
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
x = torch.randn(2, 3, 4, 5)
grid = torch.rand(2, 3, 6, 2) * 2.6 - 1.3
grid[0, 0, 0] = torch.tensor([-0.6, -1 / 3])  # x = 1.0, y = 1.0 (align_corners false): halves
grid[0, 0, 1] = torch.tensor([0.2, 0.25])     # x = 2.5, y = 2.0
np.save(os.path.join(out, "x.npy"), x.numpy())
np.save(os.path.join(out, "grid.npy"), grid.numpy())


class Sample(torch.nn.Module):
    def __init__(self, mode, padding, align):
        super().__init__()
        self.args = dict(mode=mode, padding_mode=padding, align_corners=align)

    def forward(self, x, grid):
        return F.grid_sample(x, grid, **self.args)


for mode in ("bilinear", "nearest", "bicubic"):
    for padding in ("zeros", "border", "reflection"):
        if mode == "bicubic" and padding != "zeros":
            continue  # nnc refuses these
        for align in (False, True):
            name = "%s_%s_%d" % (mode, padding, align)
            m = Sample(mode, padding, align)
            torch.onnx.export(m, (x, grid), os.path.join(out, name + ".onnx"), opset_version=16,
                              input_names=["x", "grid"], output_names=["y"],
                              dynamic_axes={"x": {0: "N"}, "grid": {0: "N"}, "y": {0: "N"}})
            np.save(os.path.join(out, name + "_want.npy"), m(x, grid).numpy())
m = Sample("bicubic", "border", False)
torch.onnx.export(m, (x, grid), os.path.join(out, "bicubic_border.onnx"), opset_version=16,
                  input_names=["x", "grid"], output_names=["y"])
