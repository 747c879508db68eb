"""Writes two small .npy files (format 1.0) by hand, without NumPy:
PREFIX.x.npy: int32 (2, 2) [[1, 2], [3, 4]];  PREFIX.t.npy: float32 (2, 1) [[1.5], [-0.5]]."""
import struct
import sys


def npy(path, descr, shape, fmt, values, fortran=False):
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
        descr, "True" if fortran else "False", repr(tuple(shape)))
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * pad + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))


prefix = sys.argv[1]
fortran = "--fortran" in sys.argv
npy(prefix + ".x.npy", "<i4", (2, 2), "i", [1, 2, 3, 4], fortran)
npy(prefix + ".t.npy", "<f4", (2, 1), "f", [1.5, -0.5])
