"""Writes token-id files by hand (no NumPy): PREFIX.i8.npy (int64, numpy's
default integer), PREFIX.i4.npy (int32), PREFIX.idx (IDX ubyte), all
holding [[1, 4, 0], [3, 3, 2]] of shape (2, 3); PREFIX.bad.npy, int64 with a
7 at sample 1, element 2 (outside class(5)); PREFIX.csv with columns
tokens_0..tokens_2 and label; PREFIX.labels.npy, int64 sequence labels
with -100 (ignored by a loss with ignore_index: -100)."""
import struct
import sys


def npy(path, descr, shape, fmt, values):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, repr(tuple(shape)))
    header += " " * (64 - (10 + len(header) + 1) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))


prefix = sys.argv[1]
tokens = [1, 4, 0, 3, 3, 2]
npy(prefix + ".i8.npy", "<i8", (2, 3), "q", tokens)
npy(prefix + ".i4.npy", "<i4", (2, 3), "i", tokens)
npy(prefix + ".bad.npy", "<i8", (2, 3), "q", tokens[:5] + [7])
with open(prefix + ".idx", "wb") as f:  # IDX: ubyte elements (0x08), 2 dims
    f.write(b"\0\0\x08\x02" + struct.pack(">II", 2, 3) + bytes(tokens))
with open(prefix + ".csv", "w") as f:
    f.write("tokens_0,tokens_1,tokens_2,label\n1,4,0,1\n3,3,2,0\n")
# Sequence labels with PyTorch's ignore value -100 at two positions.
npy(prefix + ".labels.npy", "<i8", (2, 3), "q", [1, -100, 0, 2, 2, -100])
