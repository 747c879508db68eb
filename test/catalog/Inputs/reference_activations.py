#!/usr/bin/env python3
"""Writes the trace tests of the activations built from primitives
(compiler/sema/Activations.cpp) and of log1p, with PyTorch's values and
gradients, kinks included.

Run ONCE with a Python that has torch (1.13 was used), from the repository:
    /usr/bin/python3 test/catalog/Inputs/reference_activations.py [NAME...]
It (re)writes test/catalog/trace_NAME.nn for each NAME; the tests hold the
numbers and do not run this script.

Every test has trace_selu.nn's shape, in float64 (batch of one sample):
    z = x + b            (b: zeros, so z = x exactly, kinks included)
    y = ACTIVATION(z)
    loss = sum(y * C + y^2)
so d_z = (C + 2 y) * ACTIVATION'(z), with PyTorch's derivative at kinks.
"""
import os
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

X = [-3.0, -1.2, -0.4, 0.0, 0.25, 1.0, 2.5]
WIDE = [-30.0, -1.2, -0.4, 0.0, 0.25, 1.0, 25.0]  # past softplus's threshold both ways
HARD = [-4.0, -3.0, -1.0, 0.0, 1.0, 3.0, 4.0]     # hardswish / hardsigmoid kinks at -3, 3
C = [0.5, -1.0, 2.0, 1.5, -0.7, 0.3, 1.1, -0.4]

# name: (what the kink is, nnc expression of z, torch function, inputs)
CASES = {
    "leaky_relu": ("slope 0.1 at 0 (PyTorch takes the negative side)",
                   "leaky_relu(z, slope: 0.1)", lambda z: F.leaky_relu(z, 0.1), X),
    "elu": ("alpha at 0", "elu(z, alpha: 0.5)", lambda z: F.elu(z, 0.5), X),
    "softplus": ("1/2 at 0; x itself past the threshold 20",
                 "softplus(z)", F.softplus, WIDE),
    "softplus_beta": ("beta 2, threshold 4: linear from z > 2 on",
                      "softplus(z, beta: 2, threshold: 4)",
                      lambda z: F.softplus(z, beta=2, threshold=4),
                      [-3.0, -1.2, -0.4, 0.0, 1.0, 2.0, 2.5]),
    "gelu_tanh": ("smooth", "gelu(z, approximate: tanh)",
                  lambda z: F.gelu(z, approximate="tanh"), X),
    "silu": ("smooth", "silu(z)", F.silu, X),
    "mish": ("smooth", "mish(z)", F.mish, WIDE),
    "hardswish": ("-1/2 at -3 and 3/2 at 3", "hardswish(z)", F.hardswish, HARD),
    "hardsigmoid": ("0 at -3 and at 3", "hardsigmoid(z)", F.hardsigmoid, HARD),
    "hardtanh": ("0 at both bounds", "hardtanh(z)", F.hardtanh,
                 [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0]),
    "hardtanh_bounds": ("0 at both bounds", "hardtanh(z, min_val: -0.5, max_val: 2)",
                        lambda z: F.hardtanh(z, -0.5, 2.0), [-2.0, -1.0, -0.5, 0.0, 0.5, 2.0, 2.5]),
    "relu6": ("0 at 0 and at 6", "relu6(z)", F.relu6, [-1.0, 0.0, 0.5, 3.0, 6.0, 7.0, 2.5]),
    "logsigmoid": ("1/2 at 0", "logsigmoid(z)", F.logsigmoid, WIDE),
    "softmin": ("smooth, over the vector", "softmin(z)", lambda z: F.softmin(z, dim=-1), X),
    "glu": ("smooth; halves of 8", "glu(z)", lambda z: F.glu(z, dim=-1),
            [-3.0, -1.2, -0.4, 0.0, 0.25, 1.0, 2.5, 0.7]),
    "log1p": ("smooth; exact near 0", "log1p(z)", torch.log1p,
              [-0.9, -0.5, -1e-9, 0.0, 1e-12, 1.0, 25.0]),
}


def numbers(name):
    _, _, fn, xs = CASES[name]
    z = torch.tensor(xs, requires_grad=True)
    y = fn(z)
    c = torch.tensor(C[: y.numel()])
    loss = (y * c + y ** 2).sum()
    loss.backward()
    return y.tolist(), z.grad.tolist(), c.tolist()


# PyTorch 1.13's hardsigmoid backward multiplies by 1/6 rounded to f32
# (`one_sixth(1.0f / 6.0f)` in aten/src/ATen/native/cpu/Activation.cpp),
# f64 included; nnc's slope is 1/6 in the tensor's dtype, 1.3e-8 away.
TOLERANCE = {"hardsigmoid": 1e-7}


def test_text(name):
    kink, expr, _, xs = CASES[name]
    tol = TOLERANCE.get(name, 1e-12)
    y, dz, c = numbers(name)
    n = len(xs)
    title = "".join(part.capitalize() for part in name.split("_"))
    lines = [
        f"# {name}'s values and gradients from `nnc train --trace` against PyTorch",
        f"# autograd (f64, {tol:g}), z = x exactly; derivative: {kink}.",
        "# The numbers were computed once by Inputs/reference_activations.py",
        f"# {name} (torch {torch.__version__.split('+')[0]}).",
    ] + ([
        "# PyTorch's f64 backward multiplies by 1/6 rounded to f32; nnc's slope is",
        "# 1/6 in f64, 1.3e-8 away: hence the tolerance.",
    ] if name in TOLERANCE else []) + [
        "# RUN: %nnc train %s --steps 1 --trace --quiet > %t.trace",
        f"# RUN: %python %tools/trace_close.py %t.trace --tol {tol:g} \\",
    ]
    expects = [f"y[{i}] = {v!r}" for i, v in enumerate(y)]
    expects += [f"d_z[{i}] = {v!r}" for i, v in enumerate(dz)]
    for k, e in enumerate(expects):
        tail = " | FileCheck %s" if k == len(expects) - 1 else " \\"
        lines.append(f"# RUN:   --expect '{e}'{tail}")
    lines += [
        f"# CHECK-COUNT-{len(expects)}: ok:",
        "# CHECK-NOT:     MISMATCH",
        f"model Trace{title}",
        f"input x: f64[{n}]",
        f"param b: f64[{n}] = [{', '.join('0' for _ in xs)}]",
        "z = x + b",
        f"y = {expr}",
        "output y",
        f"loss sum(y * [{', '.join(repr(v) for v in c)}] + y^2)",
        "optimizer sgd(lr: 0.1)",
        f"data {{ x: [[{', '.join(repr(v) for v in xs)}]] }}",
    ]
    return "\n".join(lines) + "\n"


def prelu():
    """trace_prelu.nn's numbers (printed; that test is written by hand):
    nnc's channels are the last axis, PyTorch's axis 1."""
    x = torch.tensor([[-3.0, -1.2, 0.0], [0.0, 0.25, -2.5]], requires_grad=True)
    w = torch.full((3,), 0.2, requires_grad=True)
    y = F.prelu(x.unsqueeze(0).permute(0, 2, 1), w).permute(0, 2, 1)[0]
    c = torch.tensor([[0.5, -1.0, 2.0], [1.5, -0.7, 0.3]])
    (y * c + y ** 2).sum().backward()
    print("y =", y.tolist())
    print("d_z =", x.grad.tolist())
    print("y.weight after one SGD step (lr 0.1) =", (w - 0.1 * w.grad).tolist())


def main():
    if sys.argv[1:] == ["prelu"]:
        prelu()
        return
    here = os.path.dirname(os.path.abspath(__file__))
    for name in sys.argv[1:] or list(CASES):
        path = os.path.join(here, "..", f"trace_{name}.nn")
        with open(path, "w") as f:
            f.write(test_text(name))
        print(f"wrote {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
