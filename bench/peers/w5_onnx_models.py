"""Writes the W5 peers' networks as ONNX for the onnxruntime peer
(w5_onnxruntime.js): the same W3 MLP and W4 CNN as w5_latency.py (forward
and softmax, eval mode; w5_networks.py), exported by torch.onnx.export at
opset 17 with a batch of 1, as a PyTorch user would hand them to onnxruntime.

  w5_onnx_models.py OUTDIR   -> OUTDIR/w5-mlp.onnx, OUTDIR/w5-cnn.onnx"""
import os
import sys

import torch

from w5_networks import w5_networks

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
x = torch.rand(1, 1, 28, 28)
for name, net in w5_networks():
    path = os.path.join(out, name.lower() + ".onnx")
    torch.onnx.export(net, x, path, opset_version=17, input_names=["image"], output_names=["probs"])
    print(path)
