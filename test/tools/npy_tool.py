"""Writes and reads NumPy .npy files (format 1.0) without NumPy, for tests.
  npy_tool.py write PATH DESCR SHAPE VALUES   e.g. write x.npy '<f8' 1,2 0.05,0.1
  npy_tool.py dump PATH      prints `descr shape` then the values, one a line
"""
import ast
import struct
import sys

FORMATS = {"<f2": "e", "<f4": "f", "<f8": "d", "|i1": "b", "<i2": "h", "<i4": "i", "<i8": "q",
           "|u1": "B", "<u2": "H", "<u4": "I", "<u8": "Q", "|b1": "?"}


def write(path, descr, shape, values):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, repr(tuple(shape)))
    header += " " * (64 - (10 + len(header) + 1) % 64) + "\n"
    fmt = FORMATS[descr]
    values = [bool(int(v)) if fmt == "?" else int(v) if fmt in "bhiqBHIQ" else float(v) for v in values]
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))


def dump(path):
    data = open(path, "rb").read()
    assert data[:6] == b"\x93NUMPY", "bad magic"
    (length,) = struct.unpack("<H", data[8:10])
    assert (10 + length) % 64 == 0, "data not 64-byte aligned"
    header = ast.literal_eval(data[10:10 + length].decode())
    fmt = FORMATS[header["descr"]]
    count = 1
    for d in header["shape"]:
        count *= d
    body = data[10 + length:]
    assert len(body) == count * struct.calcsize(fmt), "size mismatch"
    print(header["descr"], list(header["shape"]), header["fortran_order"])
    for v in struct.unpack("<%d%s" % (count, fmt), body):
        print(repr(v))


if sys.argv[1] == "write":
    shape = [int(d) for d in sys.argv[4].split(",") if d]
    write(sys.argv[2], sys.argv[3], shape, sys.argv[5].split(",") if sys.argv[5] else [])
else:
    dump(sys.argv[2])
