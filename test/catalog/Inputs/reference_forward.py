#!/usr/bin/env python3
"""PyTorch reference values for the forward tests (fwd_*.nn).

Run ONCE with a Python that has torch (1.13 was used):
    /usr/bin/python3 test/catalog/Inputs/reference_forward.py [NAME...]
It prints, for each NAME, the JSON the test passes to json_close.py
--expect; with --write-inputs DIR it writes the predict inputs
(Inputs/fwd_*.json). The tests hold the printed numbers; they do not run this script.
All computations are float64. Images are [H, W, C] per sample in nnc and
NCHW in torch; conv weights are [KH, KW, C_in, F] in nnc and [F, C_in, KH,
KW] in torch. TensorFlow-style 'same' padding (the odd pixel at the bottom /
right) is written as an explicit F.pad.
"""
import json
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

# predict input of the activation tests
X = torch.tensor([[-2.5, -0.7, -0.01, 0.3, 1.2, 3.1]])
# the data block of the loss tests
Y = torch.tensor([[0.5, -1.2, 2.0], [1.5, 0.3, -0.4], [-0.8, 0.9, 0.1]])
T = torch.tensor([[0.1, 0.2, 0.3], [2.0, -0.6, -0.1], [-0.2, 0.5, 1.3]])
TB = torch.tensor([[0.9, 0.1, 0.5], [0.2, 0.7, 1.0], [0.0, 0.3, 0.6]])
LABELS = torch.tensor([2, 0, 1])
P = torch.tensor([[0.2, 0.5, 0.3], [0.7, 0.1, 0.2], [0.0, 0.0, 1.0]])


def img(rows):  # nested [H][W][C] lists of one sample -> NCHW
    return torch.tensor(rows).permute(2, 0, 1).unsqueeze(0)


def hwc(t):  # NCHW of one sample -> nested [1][H][W][C] lists
    return t.squeeze(0).permute(1, 2, 0).unsqueeze(0).tolist()


# 5x5x2, all negative and distinct
NEG = [[[-0.11 - 0.01 * (5 * i + j), -0.6 - 0.013 * ((7 * i + 3 * j) % 25)] for j in range(5)] for i in range(5)]
# 5x5x1 and 7x6x2 images
IMG5 = [[[0.1 * (i + 1) * (j - 2) + 0.05 * i * i] for j in range(5)] for i in range(5)]
IMG76 = [[[0.3 * i - 0.2 * j + 0.1, (i * j) % 5 * 0.25 - 0.5] for j in range(6)] for i in range(7)]
# conv weights [KH=3, KW=2, C=2, F=2] and bias for fwd_conv2d
CW = [[[[0.1 * (kh + 1) - 0.05 * kw + 0.01 * c - 0.2 * f for f in range(2)] for c in range(2)]
       for kw in range(2)] for kh in range(3)]
CB = [0.3, -0.1]
# dense on a [4, 3] matrix per sample
DX = [[0.2, -0.4, 1.0], [0.5, 0.3, -0.2], [-1.1, 0.6, 0.4], [0.0, 0.9, -0.7]]
DW = [[0.5, -0.3, 0.2], [0.1, 0.8, -0.4]]
DB = [0.1, -0.2]
# batchnorm data: 4 samples of [3]
BX = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.0, 2.5], [-0.5, 3.0, 1.0], [2.5, 1.0, 0.5]])


def batchnorm():
    bn = torch.nn.BatchNorm1d(3, momentum=0.1, eps=1e-5)
    bn.train()
    bn(BX)  # one training forward moves the running statistics
    bn.eval()
    return {"bn.running_mean": bn.running_mean.tolist(), "bn.running_var": bn.running_var.tolist(),
            "y": bn(BX).tolist()}


REF = {
    "sigmoid": lambda: {"y": torch.sigmoid(X).tolist()},
    "tanh": lambda: {"y": torch.tanh(X).tolist()},
    "relu": lambda: {"y": F.relu(X).tolist()},
    "leaky_relu": lambda: {"y": F.leaky_relu(X, 0.2).tolist()},
    "leaky_relu_default": lambda: {"y": F.leaky_relu(X).tolist()},
    "elu": lambda: {"y": F.elu(X, 0.5).tolist()},
    "gelu": lambda: {"y": F.gelu(X).tolist()},
    "softplus": lambda: {"y": F.softplus(X).tolist()},
    "softsign": lambda: {"y": F.softsign(X).tolist()},
    "floor": lambda: {"y": torch.floor(X).tolist(), "up": torch.ceil(X).tolist()},
    "cast": lambda: {"y": X.float().double().tolist()},
    "selu": lambda: {"y": F.selu(X).tolist()},
    "erf": lambda: {"y": torch.erf(X).tolist()},
    # fwd_math.nn and fwd_math_f32.nn: asin, acos, atanh of X / 4 and acosh of
    # 1 + X^2 keep to their domains.
    "math": lambda: {"tan": torch.tan(X).tolist(), "asin": torch.asin(X / 4).tolist(),
                     "acos": torch.acos(X / 4).tolist(), "atan": torch.atan(X).tolist(),
                     "sinh": torch.sinh(X).tolist(), "cosh": torch.cosh(X).tolist(),
                     "asinh": torch.asinh(X).tolist(), "acosh": torch.acosh(1 + X * X).tolist(),
                     "atanh": torch.atanh(X / 4).tolist()},
    "softmax": lambda: {"y": F.softmax(X, dim=-1).tolist()},
    "log_softmax": lambda: {"y": F.log_softmax(X, dim=-1).tolist()},
    "swish_def": lambda: {"y": F.silu(X).tolist()},
    "mse": lambda: {"loss": F.mse_loss(Y, T).item()},
    "mse_sum": lambda: {"loss": F.mse_loss(Y, T, reduction="sum").item()},
    "l1": lambda: {"loss": F.l1_loss(Y, T).item()},
    "huber": lambda: {"loss": F.huber_loss(Y, T, delta=0.8).item()},
    "binary_cross_entropy": lambda: {"loss": F.binary_cross_entropy_with_logits(Y, TB).item()},
    "cross_entropy_labels": lambda: {"loss": F.cross_entropy(Y, LABELS).item()},
    "cross_entropy_probabilities": lambda: {"loss": F.cross_entropy(Y, P).item()},
    "cross_entropy_label_smoothing": lambda: {"loss": F.cross_entropy(Y, LABELS, label_smoothing=0.1).item()},
    "cross_entropy_sum": lambda: {"loss": F.cross_entropy(Y, LABELS, reduction="sum").item()},
    "maxpool_same": lambda: {"y": hwc(F.max_pool2d(F.pad(img(NEG), (0, 1, 0, 1), value=float("-inf")), 2))},
    "avgpool_same": lambda: {"y": hwc(F.avg_pool2d(F.pad(img(IMG5), (0, 1, 0, 1)), 2) * 4
                                      / (F.avg_pool2d(F.pad(torch.ones(1, 1, 5, 5), (0, 1, 0, 1)), 2) * 4))},
    "global_avgpool": lambda: {"y": img(IMG76).mean(dim=(2, 3)).tolist()},
    "conv2d": lambda: {"y": hwc(F.conv2d(F.pad(img(IMG76), (2, 1, 1, 0)),
                                         torch.tensor(CW).permute(3, 2, 0, 1), torch.tensor(CB),
                                         stride=(2, 1), dilation=(1, 2)))},
    # fwd_cumsum.nn: along each axis of DX, with exclusive (a zero first) and reverse.
    "cumsum": lambda: {"down": torch.cumsum(torch.tensor(DX), 0).unsqueeze(0).tolist(),
                       "across_exclusive": F.pad(torch.cumsum(torch.tensor(DX), 1)[:, :-1], (1, 0)).unsqueeze(0).tolist(),
                       "across_reverse": torch.cumsum(torch.tensor(DX).flip(1), 1).flip(1).unsqueeze(0).tolist(),
                       "up_exclusive": F.pad(torch.cumsum(torch.tensor(DX).flip(0), 0).flip(0)[1:], (0, 0, 0, 1)).unsqueeze(0).tolist()},
    "dense_matrix": lambda: {"y": F.linear(torch.tensor(DX), torch.tensor(DW), torch.tensor(DB)).unsqueeze(0).tolist()},
    "batchnorm": batchnorm,
}


# The predict inputs, written to Inputs/ by --write-inputs DIR.
INPUTS = {
    "fwd_vector.json": {"x": X.tolist()},
    "fwd_image_neg.json": {"x": [NEG]},
    "fwd_image5.json": {"x": [IMG5]},
    "fwd_image76.json": {"x": [IMG76]},
    "fwd_matrix.json": {"x": [DX]},
    "fwd_batchnorm.json": {"x": BX.tolist()},
}


def main():
    if sys.argv[1:2] == ["--write-inputs"]:
        for name, value in INPUTS.items():
            with open(f"{sys.argv[2]}/{name}", "w") as f:
                f.write(json.dumps(value) + "\n")
        return
    for name in sys.argv[1:] or list(REF):
        print(f"{name}: {json.dumps(REF[name]())}")


if __name__ == "__main__":
    main()
