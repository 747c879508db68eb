#!/usr/bin/env python3
"""PyTorch reference values for comparisons and selection (fwd_compare.nn,
trace_where.nn, trace_maximum_minimum.nn, trace_clamp.nn).

Run ONCE with a Python that has torch (1.13 was used):
    /usr/bin/python3 test/catalog/Inputs/reference_selection.py [NAME...]
It prints, per NAME, what its test passes to json_close.py / trace_close.py.
All float64, one sample. The trace tests have the form z = x + b (b zeros,
so z = x exactly) and read y and d_NAME from `nnc train --trace`.
"""
import json
import sys

import torch

torch.set_default_dtype(torch.float64)

X6 = torch.tensor([[-2.5, -0.7, -0.01, 0.3, 1.2, 3.1]])  # Inputs/fwd_vector.json
# Ties and bounds on purpose: z[3] == w[3], z[5] == w[5]; -1 and 1.5 for clamp.
Z = [-3.0, -1.0, -0.4, 0.0, 0.25, 1.5, 2.5]
W = [-2.0, 0.5, -0.4, 0.0, 1.0, 1.5, -1.0]
C = [0.5, -1.0, 2.0, 1.5, -0.7, 0.3, 1.1]


def compare():
    x = X6
    return {"lt": (x < 0.3).double().tolist(), "le": (x <= 0.3).double().tolist(),
            "gt": (x > 0.3).double().tolist(), "ge": (x >= 0.3).double().tolist(),
            "eq": (x == 0.3).double().tolist(), "ne": (x != 0.3).double().tolist(),
            "leaky": torch.where(x > 0, x, 0.1 * x).tolist(),
            "masked": (x * (torch.tensor([1.0, 2, 3, 4, 5, 6]) >= 3).double()).tolist()}


def expects(pairs):
    lines = []
    for name, t in pairs:
        lines += [f"--expect '{name}[{i}] = {v!r}'" for i, v in enumerate(t.flatten().tolist())]
    return lines


def where():
    z = torch.tensor(Z, requires_grad=True)
    y = torch.where(z > 0, z * z, 3 * z)
    y.retain_grad()
    (y * torch.tensor(C) + y ** 2).sum().backward()
    return expects([("y", y), ("d_z", z.grad)])


def maximum_minimum():
    z = torch.tensor(Z, requires_grad=True)
    w = torch.tensor(W, requires_grad=True)
    hi = torch.maximum(z, w)
    lo = torch.minimum(z, w)
    (hi * torch.tensor(C) + lo ** 2).sum().backward()
    return expects([("hi", hi), ("lo", lo), ("d_z", z.grad), ("d_w", w.grad)])


def clamp():
    z = torch.tensor(Z, requires_grad=True)
    y = torch.clamp(z, min=-1.0, max=1.5)
    (y * torch.tensor(C) + y ** 2).sum().backward()
    return expects([("y", y), ("d_z", z.grad)])


REF = {"compare": lambda: [json.dumps(compare())], "where": where,
       "maximum_minimum": maximum_minimum, "clamp": clamp}


def main():
    print(f"torch {torch.__version__}")
    for name in sys.argv[1:] or list(REF):
        print(f"{name}:")
        for line in REF[name]():
            print(f"# RUN:   {line} \\")


if __name__ == "__main__":
    main()
