"""Compares .npy files pairwise: `same_npy.py A B [A B ...] [--tol T]`.
Prints one line per pair and exits 1 when a pair differs by more than T
(default 0: bit for bit)."""
import sys

import numpy as np

args = sys.argv[1:]
tol = 0.0
if "--tol" in args:
    i = args.index("--tol")
    tol = float(args[i + 1])
    del args[i:i + 2]
failed = False
for a, b in zip(args[::2], args[1::2]):
    x, y = np.load(a), np.load(b)
    if x.shape != y.shape:
        print("%s vs %s: shapes %s and %s" % (a, b, x.shape, y.shape))
        failed = True
        continue
    diff = float(np.max(np.abs(x.astype(np.float64) - y))) if x.size else 0.0
    ok = diff <= tol
    failed |= not ok
    print("%s: %s (max difference %g, %s)" % ("same" if ok else "DIFFERENT",
          a.rsplit("/", 1)[-1] + " " + b.rsplit("/", 1)[-1], diff, x.shape))
sys.exit(1 if failed else 0)
