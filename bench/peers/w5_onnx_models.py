"""Writes the W5 peers' networks as ONNX for the onnxruntime peer
(w5_onnxruntime.js): the same W3 MLP and W4 CNN as w5_latency.py (forward
and softmax, eval mode), exported by torch.onnx.export at opset 17 with a
batch of 1, as a PyTorch user would hand them to onnxruntime.

  w5_onnx_models.py OUTDIR   -> OUTDIR/w5-mlp.onnx, OUTDIR/w5-cnn.onnx"""
import os
import sys

import torch

from w4_mnist_cnn import make_net

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
mlp = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 512), torch.nn.ReLU(),
                          torch.nn.Linear(512, 10), torch.nn.Softmax(dim=1))
cnn = torch.nn.Sequential(make_net(), torch.nn.Softmax(dim=1))
x = torch.rand(1, 1, 28, 28)
for name, net in (("w5-mlp", mlp), ("w5-cnn", cnn)):
    net.eval()
    torch.onnx.export(net, x, os.path.join(out, name + ".onnx"), opset_version=17,
                      input_names=["image"], output_names=["probs"])
    print(os.path.join(out, name + ".onnx"))
