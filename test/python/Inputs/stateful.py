"""test/python/stateful.test: carried state (a stateful LSTM) from Python."""
import sys

import numpy as np

import nnc

d = sys.argv[1]
stream = nnc.Model(d + "/stream.so", seed=5)
whole = nnc.Model(d + "/whole.so", seed=5)
print("carried:", stream.carried)
x = np.random.default_rng(2).normal(size=(3, 6, 2))
first = stream.predict(x[:, :3])
second = stream.predict(x[:, 3:])
both = whole.predict(x)
print("two calls vs one:", np.allclose(np.concatenate([first, second], axis=1), both,
                                        rtol=0, atol=1e-12))
h_n = stream.param("h.h_n")
print("h.h_n:", h_n.shape, "row 1's last layer is the last output:",
      np.allclose(h_n[1, 1], second[1, -1], rtol=0, atol=1e-12))
stream.reset_state()
print("after reset: as the first call", np.array_equal(stream.predict(x[:, :3]), first))
big = np.zeros((stream.max_batch + 1, 3, 2))
try:
    stream.predict(big)
except nnc.Error as e:
    print("batch above max with carried state:", e)
