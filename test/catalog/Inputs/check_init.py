#!/usr/bin/env python3
"""Checks initial parameter values (a --params-out JSON file) against the
distribution they should have been drawn from.

usage: check_init.py FILE SPEC...
  SPEC is NAME=KIND(ARGS), ARGS numbers or expressions using sqrt and pi:
    const(v)                 every element is v
    uniform(low, high)       all in [low, high], the extremes near low and
                             high, mean and standard deviation as U(low, high)
    normal(mean, std)        mean and std; some (about 4.6%) beyond 2 std
    truncated_normal(mean, std)
                             none beyond 2 std of the mean; std as the
                             2-std truncated normal (0.8796 std)
    within(low, high)        all in [low, high], some in the top and some in
                             the bottom fifth (for small tensors)
Prints one 'ok' line per SPEC, or what is wrong, and exits non-zero if
anything is. Tolerances: the mean within 5 standard errors, the standard
deviation within 4% (for the 20000-element tensors the tests use, the
statistical error is about 0.5%).
"""
import json
import math
import sys


def flatten(v):
    if isinstance(v, list):
        return [x for item in v for x in flatten(item)]
    return [float(v)]


def stats(values):
    n = len(values)
    mean = sum(values) / n
    var = sum((v - mean) ** 2 for v in values) / (n - 1)
    return n, mean, math.sqrt(var)


def check(name, values, kind, args):
    problems = []
    n, mean, std = stats(values) if len(values) > 1 else (1, values[0], 0.0)
    lo, hi = min(values), max(values)

    def near(what, got, want, tol):
        if abs(got - want) > tol:
            problems.append(f"{what} {got:.6g}, expected {want:.6g} (tolerance {tol:.3g})")

    if kind == "const":
        (v,) = args
        bad = [x for x in values if x != v and abs(x - v) > 1e-7 * max(1.0, abs(v))]
        if bad:
            problems.append(f"{len(bad)} of {n} elements differ from {v}, e.g. {bad[0]}")
    elif kind == "uniform":
        a, b = args
        width = b - a
        slack = 1e-6 * max(1.0, abs(a), abs(b))  # f32 rounding of the bounds
        if lo < a - slack or hi > b + slack:
            problems.append(f"values in [{lo:.6g}, {hi:.6g}], outside [{a:.6g}, {b:.6g}]")
        if lo > a + 0.01 * width or hi < b - 0.01 * width:
            problems.append(f"values in [{lo:.6g}, {hi:.6g}] do not reach the bounds [{a:.6g}, {b:.6g}]")
        want_std = width / math.sqrt(12)
        near("mean", mean, (a + b) / 2, 5 * want_std / math.sqrt(n))
        near("std", std, want_std, 0.04 * want_std)
    elif kind == "within":
        a, b = args
        width = b - a
        slack = 1e-6 * max(1.0, abs(a), abs(b))
        if lo < a - slack or hi > b + slack:
            problems.append(f"values in [{lo:.6g}, {hi:.6g}], outside [{a:.6g}, {b:.6g}]")
        if lo > a + 0.2 * width or hi < b - 0.2 * width:
            problems.append(f"values in [{lo:.6g}, {hi:.6g}] do not come near the bounds [{a:.6g}, {b:.6g}]")
    elif kind in ("normal", "truncated_normal"):
        m, s = args
        beyond = sum(1 for x in values if abs(x - m) > 2 * s) / n
        if kind == "normal":
            want_std = s
            if not 0.03 < beyond < 0.065:
                problems.append(f"{beyond:.2%} beyond 2 std, expected about 4.6%")
        else:
            want_std = 0.8796 * s  # std of N(0, 1) truncated to [-2, 2]
            if beyond > 0:
                problems.append(f"{beyond:.3%} of the values are beyond 2 std (range [{lo:.6g}, {hi:.6g}])")
        near("mean", mean, m, 5 * want_std / math.sqrt(n))
        near("std", std, want_std, 0.04 * want_std)
    else:
        problems.append(f"unknown kind {kind}")
    if problems:
        for p in problems:
            print(f"{name}: {p}")
        return False
    print(f"ok: {name} ({n} values, mean {mean:.5g}, std {std:.5g}, range [{lo:.5g}, {hi:.5g}]) is {kind}{tuple(args)}")
    return True


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        sys.exit(2)
    params = json.load(open(sys.argv[1]))
    env = {"sqrt": math.sqrt, "pi": math.pi, "__builtins__": {}}
    good = True
    for spec in sys.argv[2:]:
        name, call = spec.split("=", 1)
        kind, rest = call.split("(", 1)
        args = [float(a) for a in eval("(" + rest.strip()[:-1] + ",)", env)]
        if name not in params:
            print(f"missing: {name}")
            good = False
            continue
        good &= check(name, flatten(params[name]), kind.strip(), args)
    sys.exit(0 if good else 1)


if __name__ == "__main__":
    main()
