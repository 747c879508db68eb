#!/usr/bin/env python3
"""Checks numbers printed by `nnc train --trace` (and parameter JSON files)
against expected values, to a tolerance.

usage: trace_close.py TRACE [--json PREFIX=FILE ...] [--tol T]
                      [--expect 'EXPR = VALUE' ...] [--expect-all FILE ...]

TRACE is a file of `nnc train --trace` output ('-' for stdin). In the block
after the line 'trace of the first batch ...', every line `  NAME = [...]`
defines NAME, and `  dloss/dNAME = [...]` defines d_NAME, each as the flat
list of its numbers (batch first, row-major). Lines after the block (the
learned parameters, the outputs after training) are not read.
`--json after=p.json` defines after_PARAM for every parameter in p.json.
EXPR is a Python arithmetic expression over those names, e.g.
`out_h[0]`, `d_net_h[0] / d_out_h[0]` or `(0.40 - after_W_o[0]) / 0.5`.
`--expect-all FILE` checks every element of every NAME in the JSON object
FILE ({"NAME": [...], "d_NAME": [...]}, nested lists flattened; a key
"NAME[::K]" lists every K-th element), and that the trace's NAME has
exactly that many elements.
NaN matches NaN and an infinity the same infinity.
Prints 'ok: EXPR = GOT' per check, or 'MISMATCH: ...'; exits non-zero on any
mismatch, a name the trace lacks, or a trace with no values at all, so that
a lit test fails when a number drifts or the trace format changes.
"""
import argparse
import ast
import json
import math
import re
import sys

LINE = re.compile(r"^\s+(dloss/d)?([A-Za-z_][A-Za-z_0-9.]*) = (.+)$")


def flatten(v):
    if isinstance(v, list):
        return [x for item in v for x in flatten(item)]
    return [float(v)]


def parse_value(text):
    # nnc prints nan/inf as NaN/inf; JSON-like otherwise.
    text = re.sub(r"\b(-?)(NaN|nan)\b", r'"\1nan"', text)
    text = re.sub(r"\b(-?)(inf)\b", r'"\1inf"', text)
    return flatten(json.loads(text))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trace")
    ap.add_argument("--json", action="append", default=[], metavar="PREFIX=FILE")
    ap.add_argument("--expect", action="append", default=[], metavar="'EXPR = VALUE'")
    ap.add_argument("--expect-all", action="append", default=[], metavar="FILE")
    ap.add_argument("--tol", type=float, default=1e-9)
    args = ap.parse_args()

    text = sys.stdin.read() if args.trace == "-" else open(args.trace).read()
    names = {}
    in_trace = False
    for line in text.splitlines():
        if line.startswith("trace of"):
            in_trace = True
            continue
        if in_trace and not line[:1].isspace():
            in_trace = False
        m = LINE.match(line) if in_trace else None
        if not m:
            continue
        try:
            values = parse_value(m.group(3))
        except ValueError:
            continue  # not a tensor line (e.g. a progress message)
        key = ("d_" if m.group(1) else "") + m.group(2).replace(".", "_")
        names[key] = values
    for spec in args.json:
        prefix, _, path = spec.partition("=")
        for key, value in json.load(open(path)).items():
            names[prefix + "_" + key.replace(".", "_")] = flatten(value)
    if not names:
        print("MISMATCH: no trace values found")
        sys.exit(1)

    bad = 0
    expects = list(args.expect)
    for path in args.expect_all:
        for key, value in json.load(open(path)).items():
            # NAME, or NAME[::STRIDE] for every STRIDE-th element of a large one
            name, _, stride = key.partition("[::")
            stride = int(stride.rstrip("]")) if stride else 1
            want = flatten(value)
            count = len(range(0, len(names.get(name, [])), stride))
            if name in names and count != len(want):
                print(f"MISMATCH: {key} has {count} elements, expected {len(want)}")
                bad += 1
            expects += [f"{name}[{i * stride}] = {v!r}" for i, v in enumerate(want)]
    if not expects:
        print("MISMATCH: nothing to check")
        sys.exit(1)
    for spec in expects:
        expr, sep, want_text = spec.rpartition("=")
        if not sep:
            print(f"MISMATCH: bad --expect '{spec}' (want 'EXPR = VALUE')")
            bad += 1
            continue
        expr, want = expr.strip(), float(want_text)
        try:
            got = float(eval(compile(ast.parse(expr, mode="eval"), "<expect>", "eval"),
                             {"__builtins__": {}}, names))
        except (NameError, IndexError, ZeroDivisionError) as e:
            print(f"MISMATCH: {expr}: {e} (known: {', '.join(sorted(names))})")
            bad += 1
            continue
        same = got == want or (math.isnan(got) and math.isnan(want))  # inf, NaN
        if not (same or abs(got - want) <= args.tol):
            print(f"MISMATCH: {expr} = {got!r}, expected {want!r} (diff {abs(got - want):.3g})")
            bad += 1
        else:
            print(f"ok: {expr} = {got!r}")
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
