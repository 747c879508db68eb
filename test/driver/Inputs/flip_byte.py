"""Flips one bit of every object in a cache directory, 100 bytes from the
end (inside the object, past the entry's header): test/driver/object_cache.test."""
import glob
import os
import sys

for path in glob.glob(os.path.join(sys.argv[1], "*.o")):
    with open(path, "rb") as f:
        data = bytearray(f.read())
    data[-100] ^= 1
    with open(path, "wb") as f:
        f.write(data)
