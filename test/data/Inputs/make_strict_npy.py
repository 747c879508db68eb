"""Writes the .npy files of test/data/strict_npy.test into DIR: valid ones
(format 1.0, 2.0 and 3.0, as numpy writes them) and ones a strict reader
refuses (a fractional shape, a version 9, bytes after the header's dict, an
unknown key, a missing key, a big-endian dtype, an int64 beyond 2^53), and
arrays with NaN and Inf for the finite-data rule."""
import struct
import sys

import numpy as np
from numpy.lib import format as npformat

out = sys.argv[1]
x = np.arange(4, dtype=np.float32).reshape(2, 2)
for v in ((1, 0), (2, 0), (3, 0)):
    with open(f"{out}/v{v[0]}.npy", "wb") as f:
        npformat.write_array(f, x, version=v)


def raw(name, header, data=x.tobytes(), version=b"\x01\x00"):
    h = header.encode("latin1")
    h += b" " * ((64 - (10 + len(h) + 1) % 64) % 64) + b"\n"
    with open(f"{out}/{name}.npy", "wb") as f:
        f.write(b"\x93NUMPY" + version + struct.pack("<H", len(h)) + h + data)


raw("shape_fraction", "{'descr': '<f4', 'fortran_order': False, 'shape': (2.5, 2), }")
raw("version9", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", version=b"\x09\x00")
raw("trailing_garbage", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), } xyz")
raw("unknown_key", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'extra': 1, }")
raw("missing_key", "{'descr': '<f4', 'shape': (2, 2), }")
raw("big_endian", "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }")
np.save(f"{out}/int64_huge.npy", np.array([[1, 2], [3, 2**60]], dtype=np.int64))
np.save(f"{out}/nan.npy", np.array([[0, 1], [2, np.nan]], dtype=np.float32))
np.save(f"{out}/inf.npy", np.array([[0, -np.inf], [2, 3]], dtype=np.float64))
np.save(f"{out}/t.npy", np.zeros(2, dtype=np.float32))
import os
os.makedirs(f"{out}/init", exist_ok=True)
np.save(f"{out}/init/w.npy", np.array([0.5, np.inf], dtype=np.float32))
