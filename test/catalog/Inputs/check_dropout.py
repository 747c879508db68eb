#!/usr/bin/env python3
"""Checks a training-mode dropout trace (nnc train --trace) of all-ones
inputs: every value of the traced value NAME must be 0 or 1 / (1 - rate)
(inverted dropout, as torch.nn.Dropout), and the fraction of zeros must be
within 0.03 of the rate.

usage: nnc train M.nn --trace ... | check_dropout.py NAME RATE
"""
import json
import sys


def flatten(v):
    if isinstance(v, list):
        return [x for item in v for x in flatten(item)]
    return [float(v)]


def main():
    name, rate = sys.argv[1], float(sys.argv[2])
    prefix = f"  {name} = "
    values = None
    for line in sys.stdin:
        if line.startswith(prefix):
            values = flatten(json.loads(line[len(prefix):]))
            break
    if values is None:
        sys.exit(f"no trace of {name}")
    keep = 1 / (1 - rate)
    odd = [v for v in values if v != 0 and abs(v - keep) > 1e-12]
    zeros = sum(1 for v in values if v == 0) / len(values)
    if odd:
        sys.exit(f"{len(odd)} values are neither 0 nor {keep}, e.g. {odd[0]}")
    if abs(zeros - rate) > 0.03:
        sys.exit(f"{zeros:.3f} of the values are dropped, expected {rate}")
    print(f"ok: {len(values)} values, {zeros:.3f} dropped, the rest {keep}")


if __name__ == "__main__":
    main()
