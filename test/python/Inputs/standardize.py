"""test/python/standardize.test: a model compiled with --standardize, from Python."""
import sys

import numpy as np

import nnc

work, images_path = sys.argv[1], sys.argv[2]
raw = open(images_path, "rb").read()
count = int.from_bytes(raw[4:8], "big")
images = np.frombuffer(raw, np.uint8, offset=16).reshape(count, 28, 28, 1).astype(np.float32)

with nnc.Model.open(f"{work}/std.so", f"{work}/std.ckpt") as m:
    mean, std = m.param("image.mean"), m.param("image.std")
    print(f"statistics: image.mean {mean.item():.4f} image.std {std.item():.4f}")
    probs = m.predict(images)
want = np.load(f"{work}/nnc.npy")
diff = float(np.max(np.abs(probs - want)))
print(f"predict: {'same as' if diff <= 1e-6 else 'DIFFERENT from'} nnc predict "
      f"({len(images)} images, max difference {diff:g})")
try:
    nnc.Model.open(f"{work}/plain.so", f"{work}/std.ckpt")
    print("without --standardize: opened (WRONG)")
except nnc.Error as e:
    print(f"without --standardize: {e}")
