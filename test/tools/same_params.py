#!/usr/bin/env python3
"""Checks that pairs of tensors in a parameter JSON file (--params-out) are
equal within --tol: `same_params.py FILE --pair a=b --pair c=d --tol 1e-15`.
Prints one line per pair and `same` or `differ` at the end."""
import argparse
import json


def flat(v):
    return [x for item in v for x in flat(item)] if isinstance(v, list) else [v]


parser = argparse.ArgumentParser()
parser.add_argument("file")
parser.add_argument("--pair", action="append", required=True)
parser.add_argument("--tol", type=float, required=True)
args = parser.parse_args()
params = json.load(open(args.file))
worst = 0.0
for pair in args.pair:
    a, b = pair.split("=")
    x, y = flat(params[a]), flat(params[b])
    assert len(x) == len(y), f"{a} and {b} differ in size"
    err = max(abs(p - q) for p, q in zip(x, y))
    worst = max(worst, err)
    print(f"{a} vs {b}: {len(x)} elements, max difference {err:.3g}")
print("same" if worst <= args.tol else "differ")
