#!/usr/bin/env python3
"""Compares the numbers in a JSON file with expected ones, to a tolerance.

usage: json_close.py FILE (--expect JSON | --expect-file PATH) [--tol T]
Every key of the expected object must be in FILE (nested arrays compared
element by element). Prints 'ok: N values within T' or each mismatch, and
exits non-zero on any difference, so a lit test fails when a number drifts.
"""
import argparse
import json
import sys


def flatten(v):
    if isinstance(v, list):
        return [x for item in v for x in flatten(item)]
    return [float(v)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--expect")
    ap.add_argument("--expect-file")
    ap.add_argument("--tol", type=float, default=1e-9)
    args = ap.parse_args()
    text = sys.stdin.read() if args.file == "-" else open(args.file).read()
    got = json.loads(text)
    want = json.loads(args.expect if args.expect is not None else open(args.expect_file).read())
    count, bad = 0, 0
    for key, value in want.items():
        if key not in got:
            print(f"missing: {key}")
            bad += 1
            continue
        g, w = flatten(got[key]), flatten(value)
        if len(g) != len(w):
            print(f"{key}: {len(g)} values, expected {len(w)}")
            bad += 1
            continue
        for i, (a, b) in enumerate(zip(g, w)):
            count += 1
            if abs(a - b) > args.tol:
                print(f"{key}[{i}]: got {a!r}, expected {b!r} (diff {abs(a - b):.3g})")
                bad += 1
    if bad:
        sys.exit(1)
    print(f"ok: {count} values within {args.tol:g}")


if __name__ == "__main__":
    main()
