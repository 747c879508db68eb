"""Writes PREFIX.tokens.npy (int64 [256, 200]) and PREFIX.labels.npy (int64
[256]) without NumPy: 'spam' messages (label 1) use word ids 2..49, 'ham'
(label 0) ids 50..99, each of random length, padded with 0. Seeded."""
import random
import struct
import sys


def npy(path, shape, values):
    header = "{'descr': '<i8', 'fortran_order': False, 'shape': %s, }" % repr(tuple(shape))
    header += " " * (64 - (10 + len(header) + 1) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%dq" % len(values), *values))


rng = random.Random(0)
tokens, labels = [], []
for i in range(256):
    spam = i % 2
    n = rng.randint(5, 200)
    lo, hi = (2, 49) if spam else (50, 99)
    tokens += [rng.randint(lo, hi) for _ in range(n)] + [0] * (200 - n)
    labels.append(spam)
npy(sys.argv[1] + ".tokens.npy", (256, 200), tokens)
npy(sys.argv[1] + ".labels.npy", (256,), labels)
