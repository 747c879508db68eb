#!/usr/bin/env python3
"""Writes a matmul test case: a model computing y = x @ W with a constant W,
an input file for `nnc predict`, and the expected output (exact float64
products, summed in plain Python).

usage: matmul_case.py DIR --rows R --inner K --cols N [--batch B] [--dtype f32|f64]
Creates DIR/case.nn, DIR/input.json, DIR/expect.json. Values are small
integers divided by 8, so every product and partial sum is exact in float64
and float32 stays within a few ulps; the shapes straddle the kernel's tile
and block sizes.
"""
import argparse
import json
import os
import random


def matrix(rng, rows, cols):
    return [[rng.randint(-8, 8) / 8 for _ in range(cols)] for _ in range(rows)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--inner", type=int, required=True)
    ap.add_argument("--cols", type=int, required=True)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--dtype", default="f64")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    w = matrix(rng, a.inner, a.cols)
    xs = [matrix(rng, a.rows, a.inner) for _ in range(a.batch)]
    ys = [[[sum(row[k] * w[k][j] for k in range(a.inner)) for j in range(a.cols)]
           for row in x] for x in xs]
    os.makedirs(a.dir, exist_ok=True)
    with open(os.path.join(a.dir, "case.nn"), "w") as f:
        f.write("model MatmulCase\n")
        f.write(f"input x: {a.dtype}[{a.rows}, {a.inner}]\n")
        f.write(f"const W: {a.dtype}[{a.inner}, {a.cols}] = {json.dumps(w)}\n")
        f.write("output y = x @ W\n")
    with open(os.path.join(a.dir, "input.json"), "w") as f:
        json.dump({"x": xs}, f)
    with open(os.path.join(a.dir, "expect.json"), "w") as f:
        json.dump({"y": ys}, f)


if __name__ == "__main__":
    main()
