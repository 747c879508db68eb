"""torch.det exported by torch.onnx.export (ONNX's Det) over a batch of
3 x 3 and of 4 x 4 matrices for test/onnx/det.test, with PyTorch's answers;
and a 5 x 5 one, which nnc refuses.

usage: make_det_models.py OUTDIR
"""
import os
import sys

import numpy as np
import torch

out = sys.argv[1]
torch.manual_seed(3)


class Det(torch.nn.Module):
    def forward(self, x):
        return torch.det(x * 1.5)


for n in (3, 4, 5):
    x = torch.randn(6, n, n)
    name = "det%d" % n
    torch.onnx.export(Det(), (x,), os.path.join(out, name + ".onnx"), opset_version=13,
                      input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
    np.save(os.path.join(out, name + ".x.npy"), x.numpy())
    np.save(os.path.join(out, name + ".want.npy"), Det()(x).numpy())
