"""test/python/train_mnist.test: the probabilities a checkpoint gives in
Python (Model.open), written with the images for nnc predict."""
import os
import sys

import numpy as np

import nnc

source = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(source, "examples", "python"))
from train_mnist import read_idx  # noqa: E402

library, checkpoint, images, out = sys.argv[1:5]
x = read_idx(images)[..., None] / np.float32(255)
np.save(out + "/images.npy", x)
model = nnc.Model.open(library, checkpoint)
np.save(out + "/py_probs.npy", model.predict(image=x))
