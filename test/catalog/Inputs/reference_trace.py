#!/usr/bin/env python3
"""PyTorch reference values for the trace tests (trace_*.nn): forward values
and gradients of one activation, read from `nnc train --trace`.

Run ONCE with a Python that has torch (1.13 was used):
    /usr/bin/python3 test/catalog/Inputs/reference_trace.py [NAME...]
For each NAME it prints the trace_close.py --expect arguments of its test:
the activation's values y and the loss's gradient d_z for its input z. The
tests hold the printed numbers; they do not run this script.

Every test has the same shape, in float64 (batch of one sample):
    z = x + b            (b: zeros, so z = x exactly, 0 included)
    y = ACTIVATION(z)
    loss = sum(y * C + y^2)
so d_z = (C + 2 y) * ACTIVATION'(z), with PyTorch's derivative at kinks.
"""
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

X = [-3.0, -1.2, -0.4, 0.0, 0.25, 1.0, 2.5]
C = [0.5, -1.0, 2.0, 1.5, -0.7, 0.3, 1.1]

ACTIVATIONS = {
    "softsign": F.softsign,
    "floor": torch.floor,
    # cast: z rounded to float32, squared there, and back to float64.
    "cast": lambda z: (z.float() * z.float()).double(),
    "selu": F.selu,
    "tan": torch.tan,
    "asin": torch.asin,
    "acos": torch.acos,
    "atan": torch.atan,
    "sinh": torch.sinh,
    "cosh": torch.cosh,
    "asinh": torch.asinh,
    "acosh": torch.acosh,
    "atanh": torch.atanh,
    # trace_cumsum.nn: inclusive from the start; exclusive from the end
    # (ONNX CumSum's exclusive and reverse: the sum of the elements after).
    "cumsum": lambda z: torch.cumsum(z, 0),
    "cumsum_exclusive_reverse": lambda z: F.pad(torch.cumsum(z.flip(0), 0).flip(0)[1:], (0, 1)),
}

# Points other than X, for the functions with a smaller domain or a wider
# range: near its edges (inside), near 0, and where y and d_z stay small
# enough for an absolute 1e-12.
POINTS = {
    "tan": [-1.3, -0.8, -1e-08, 0.0, 0.3, 1.0, 1.35],
    "asin": [-0.999, -0.9, -0.4, 0.0, 1e-08, 0.75, 0.9999],
    "acos": [-0.999, -0.9, -0.4, 0.0, 1e-08, 0.75, 0.9999],
    "atan": [-40.0, -1.2, -0.4, 0.0, 1e-08, 1.0, 300.0],
    "sinh": [-3.5, -1.2, -1e-08, 0.0, 0.25, 1.0, 3.0],
    "cosh": [-3.5, -1.2, -1e-08, 0.0, 0.25, 1.0, 3.0],
    "asinh": [-300.0, -1.2, -1e-08, 0.0, 0.25, 1.0, 40.0],
    "acosh": [1.000001, 1.01, 1.2, 2.0, 3.5, 10.0, 300.0],
    "atanh": [-0.995, -0.9, -0.4, 0.0, 1e-08, 0.75, 0.99],
}


def expects(name):
    z = torch.tensor(POINTS.get(name, X), requires_grad=True)
    y = ACTIVATIONS[name](z)
    y.retain_grad()
    loss = (y * torch.tensor(C) + y ** 2).sum()
    loss.backward()
    lines = [f"--expect 'y[{i}] = {v!r}'" for i, v in enumerate(y.tolist())]
    lines += [f"--expect 'd_z[{i}] = {v!r}'" for i, v in enumerate(z.grad.tolist())]
    return lines


def main():
    for name in sys.argv[1:] or list(ACTIVATIONS):
        print(f"{name}: torch {torch.__version__}")
        for line in expects(name):
            print(f"# RUN:   {line} \\")


if __name__ == "__main__":
    main()
