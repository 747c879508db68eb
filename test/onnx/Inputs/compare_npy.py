"""compare_npy.py GOT.npy WANT.npy [RTOL ATOL]: same shape and dtype, and
|got - want| <= atol + rtol |want| everywhere; prints the worst error."""
import sys

import numpy as np

got, want = np.load(sys.argv[1]), np.load(sys.argv[2])
rtol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-4
atol = float(sys.argv[4]) if len(sys.argv) > 4 else 1e-5
if got.shape != want.shape or got.dtype != want.dtype:
    sys.exit(f"{sys.argv[1]}: {got.dtype}{list(got.shape)}, expected {want.dtype}{list(want.shape)}")
err = np.abs(got.astype(np.float64) - want.astype(np.float64))
bound = atol + rtol * np.abs(want.astype(np.float64))
if not np.all(err <= bound):
    sys.exit(f"{sys.argv[1]}: max error {err.max():.3g} exceeds {rtol} relative + {atol}")
print(f"match {list(got.shape)} {got.dtype}")
