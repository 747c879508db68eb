"""compare_npy.py GOT.npy WANT.npy [RTOL ATOL]: same shape and dtype, and
|got - want| <= atol + rtol |want| everywhere (an infinity or NaN matches
only the same); prints the worst error."""
import sys

import numpy as np

got, want = np.load(sys.argv[1]), np.load(sys.argv[2])
rtol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-4
atol = float(sys.argv[4]) if len(sys.argv) > 4 else 1e-5
if got.shape != want.shape or got.dtype != want.dtype:
    sys.exit(f"{sys.argv[1]}: {got.dtype}{list(got.shape)}, expected {want.dtype}{list(want.shape)}")
g, w = got.astype(np.float64), want.astype(np.float64)
same = (g == w) | (np.isnan(g) & np.isnan(w))
with np.errstate(invalid="ignore"):
    err = np.where(same, 0.0, np.abs(g - w))
err[np.isnan(err)] = np.inf
bound = atol + rtol * np.abs(np.where(np.isfinite(w), w, 0.0))
if not np.all(err <= bound):
    sys.exit(f"{sys.argv[1]}: max error {err.max():.3g} exceeds {rtol} relative + {atol}")
print(f"match {list(got.shape)} {got.dtype}")
