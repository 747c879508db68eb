"""Cuts image INDEX out of an MNIST IDX file as a binary PGM and as the JSON
input of `nnc predict` (scaled by 1/255, as training does).
usage: mnist_image.py IDX INDEX OUT.pgm OUT.json"""
import json
import sys

idx, index, pgm, js = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
data = open(idx, "rb").read()
pixels = data[16 + index * 784:16 + (index + 1) * 784]
with open(pgm, "wb") as f:
    f.write(b"P5\n# digit %d\n28 28\n255\n" % index + pixels)
rows = [[[pixels[r * 28 + c] / 255.0] for c in range(28)] for r in range(28)]
with open(js, "w") as f:
    json.dump({"image": [rows]}, f)
