"""PyTorch's side of test/onnx/finetune.test: N full-batch steps of
torch.optim.SGD on an exported model in eval() mode (dropout off, batch norm
frozen), the loss nnc import --loss adds (cross-entropy, or mse for
newer_ops). Writes the labels and the trained
model's outputs on the batch.

usage: finetune_reference.py OUTDIR NAME STEPS LR
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_models import build  # noqa: E402

outdir, name, steps, lr = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
model, xs = build(name)
torch.manual_seed(1)
out = model(*xs)
# mse (newer_ops): float targets of the output's shape; else class labels.
regression = name == "newer_ops"
if regression:
    labels = torch.randn(out.shape)
    np.save(os.path.join(outdir, name + ".labels.npy"), labels.numpy())
else:
    labels = torch.randint(0, out.shape[-1], out.shape[:-1])
    np.save(os.path.join(outdir, name + ".labels.npy"), labels.numpy().astype(np.int32))
opt = torch.optim.SGD(model.parameters(), lr=lr)


def loss_of(y):
    # nnc's cross_entropy of the logits: a log-softmax output is already
    # log-probabilities, a softmax output's log is.
    if regression:
        return F.mse_loss(y, labels)
    if name == "pytorch_mnist":
        return F.nll_loss(y, labels)
    if name == "keras_convnet":
        return F.nll_loss(torch.log(y), labels)
    return F.cross_entropy(y.reshape(-1, y.shape[-1]), labels.reshape(-1))


for step in range(steps):
    opt.zero_grad()
    loss = loss_of(model(*xs))
    loss.backward()
    opt.step()
    print("step %d loss %.6f" % (step + 1, loss.item()))
with torch.no_grad():
    np.save(os.path.join(outdir, name + ".trained.npy"), model(*xs).numpy())
