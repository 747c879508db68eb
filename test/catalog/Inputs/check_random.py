#!/usr/bin/env python3
"""Checks the draws of `normal(shape)` and `uniform(shape)` in a trace
(nnc train --trace) or in nnc predict's outputs against the keying
docs/language.md documents, recomputed here with Philox4x32-10 in Python:
key = the seed, counter = (index low, index high, stream low, stream high),
stream = step * 2^24 + the node id, index = the element's position in the
batch buffer. Every value must have the same bits (normal's log and cos
are the generated code's polynomials, mirrored here, and must agree with
libm's to 4e-15); then the moments of the whole draw must be within 5
standard errors of the distribution's.

usage: check_random.py IR TRACE NAME [--seed S] [--step T] [--no-moments]
  IR     nnc check --emit=ir of the model (gives the node's id, parameters
         and dtype: `%5 = random_normal %3, %4 mean 0 std 1 : f64[B, 3]  # eps`)
  TRACE  a trace with a line `  NAME = [...]` (the first one is read), or the
         JSON object nnc predict -o writes
"""
import argparse
import json
import math
import re
import struct
import sys

M0, M1, W0, W1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85
MASK = 0xFFFFFFFF


def philox(counter, seed):
    c0, c1, c2, c3 = counter
    k0, k1 = seed & MASK, (seed >> 32) & MASK
    for r in range(10):
        if r:
            k0, k1 = (k0 + W0) & MASK, (k1 + W1) & MASK
        p0, p1 = M0 * c0, M1 * c2
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & MASK, (p0 >> 32) ^ c3 ^ k1, p0 & MASK
    return c0, c1, c2, c3


def unit(hi, lo):
    return ((hi << 32 | lo) >> 11) * 2.0 ** -53


def to_f32(v):
    return struct.unpack("f", struct.pack("f", v))[0]


def below_f32(top, low):
    """nextafterf(top, low) for low < top: the float just below top."""
    if top == 0:
        return -struct.unpack("<f", struct.pack("<I", 1))[0]
    bits = struct.unpack("<I", struct.pack("<f", top))[0]
    bits += -1 if top > 0 else 1
    return struct.unpack("<f", struct.pack("<I", bits))[0]


def horner(x, coeffs):
    p = coeffs[-1]
    for c in reversed(coeffs[:-1]):
        p = p * x + c
    return p


ATANH = [1 / (2 * k + 1) for k in range(12)]
COS = [(-1) ** k / math.factorial(2 * k) for k in range(9)]
SIN = [(-1) ** k / math.factorial(2 * k + 1) for k in range(9)]


def log_unit(u):
    """ln u for u in (0, 1], operation for operation as the generated code
    (codegen/RandomKernel.cpp logUnit)."""
    m, e = math.frexp(u)
    m, e = 2 * m, e - 1  # m in [1, 2)
    if m > 1.4142135623730951:
        m, e = m * 0.5, e + 1
    s = (m - 1.0) / (m + 1.0)
    log_m = (2.0 * s) * horner(s * s, ATANH)
    return e * 6.93147180369123816490e-01 + (e * 1.90821492927058770002e-10 + log_m)


def cos_turns(t):
    """cos(2 pi t) for t in [0, 1), as cosTurns in the generated code."""
    q = math.floor(t * 4.0 + 0.5)
    a = (t - q * 0.25) * 6.28318530717958647692
    a2 = a * a
    v = a * horner(a2, SIN) if q % 2 else horner(a2, COS)
    return -v if (q + 1) & 2 else v


def draw(kind, a, b, dtype, seed, stream, index):
    w = philox((index & MASK, index >> 32, stream & MASK, stream >> 32), seed)
    if kind == "random_normal":
        u1, u2 = 1.0 - unit(w[0], w[1]), unit(w[2], w[3])
        z = math.sqrt(-2.0 * log_unit(u1)) * cos_turns(u2)
        libm = math.sqrt(-2.0 * math.log(u1)) * math.cos(6.28318530717958647692 * u2)
        if abs(z - libm) > 4e-15 * max(1.0, abs(z)):
            sys.exit(f"the polynomial Box-Muller gives {z!r}, libm's {libm!r}")
        v = a + b * z
        return to_f32(v) if dtype == "f32" else v
    v = a + (b - a) * unit(w[0], w[1])
    top = to_f32(b) if dtype == "f32" else b
    v = to_f32(v) if dtype == "f32" else v
    if v >= top:  # moved just below high: the interval stays half-open
        v = math.nextafter(top, a) if dtype == "f64" else below_f32(top, a)
    return v


def flatten(v):
    return [x for item in v for x in flatten(item)] if isinstance(v, list) else [float(v)]


def read_values(path, name):
    """NAME's values from a JSON object (nnc predict -o) or the first line
    `  NAME = [...]` of a trace; None when absent."""
    text = open(path).read()
    if text.startswith("{"):
        v = json.loads(text).get(name)
        return None if v is None else flatten(v)
    prefix = f"  {name} = "
    return next((flatten(json.loads(line[len(prefix):])) for line in text.splitlines()
                 if line.startswith(prefix)), None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ir")
    ap.add_argument("trace")
    ap.add_argument("name")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--step", type=int, default=0)
    ap.add_argument("--no-moments", action="store_true")
    args = ap.parse_args()

    node = re.compile(r"%(\d+) = (random_normal|random_uniform) %\d+, %\d+ \w+ (\S+) \w+ (\S+)"
                      r" : (f32|f64)\[B(?:, [\d, ]+)?\]  # " + re.escape(args.name) + "$")
    found = [node.search(line) for line in open(args.ir)]
    found = [m for m in found if m]
    if len(found) != 1:
        sys.exit(f"{len(found)} random nodes named {args.name} in {args.ir}")
    nid, kind, a, b, dtype = found[0].groups()
    a, b, nid = float(a), float(b), int(nid)
    values = read_values(args.trace, args.name)
    if values is None:
        sys.exit(f"no values of {args.name} in {args.trace}")
    stream = (args.step << 24) + nid
    if dtype == "f32":  # printed as the shortest text that reads back as the float
        values = [to_f32(v) for v in values]
    for i, got in enumerate(values):
        want = draw(kind, a, b, dtype, args.seed, stream, i)
        if got != want:
            sys.exit(f"{args.name}[{i}] = {got!r}, the documented draw is {want!r}")
    print(f"ok: {len(values)} values of {args.name} are the documented draws"
          f" (node {nid}, seed {args.seed}, step {args.step})")
    top = to_f32(b) if dtype == "f32" else b
    if kind == "random_uniform" and (min(values) < a or max(values) >= top):
        sys.exit(f"a value outside [{a}, {b}): {min(values)}, {max(values)}")
    if args.no_moments:
        return
    n = len(values)
    mean = sum(values) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    if kind == "random_normal":
        want_mean, want_std = a, b
    else:
        want_mean, want_std = (a + b) / 2, (b - a) / math.sqrt(12)
    # Standard errors: std / sqrt(n) for the mean; for the standard
    # deviation std / sqrt(2n) (normal) or std * sqrt(0.8 / (4n)) (uniform,
    # excess kurtosis -1.2).
    se_std = want_std / math.sqrt(2 * n) if kind == "random_normal" else \
        want_std * math.sqrt(0.8 / (4 * n))
    if abs(mean - want_mean) > 5 * want_std / math.sqrt(n):
        sys.exit(f"mean {mean} is more than 5 standard errors from {want_mean}")
    if abs(std - want_std) > 5 * se_std:
        sys.exit(f"std {std} is more than 5 standard errors from {want_std}")
    print(f"ok: mean {mean:.4f} (expected {want_mean}), std {std:.4f} (expected {want_std:.4f})")


if __name__ == "__main__":
    main()
