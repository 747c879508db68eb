"""test/python/mazur.test: the lecture model from Python, checked against nnc
train's losses (bit for bit: f64, one sample) and the lecture's numbers.
Writes the .npy and checkpoint files the test's nnc predict lines read."""
import csv
import sys

import numpy as np

import nnc

d = sys.argv[1]
m = nnc.Model(d + "/mazur.so", seed=0)
print("inputs", m.inputs, "targets", m.targets, "outputs", m.outputs)
print("steps return", m.step_results)
x = np.array([[0.05, 0.10]])
t = np.array([[0.01, 0.99]])
print("before training %.9f %.9f" % tuple(m.predict(x)[0]))

with open(d + "/nnc.csv") as f:
    expected = [float(row["loss"]) for row in csv.DictReader(f)]
losses = [m.train_step(x, t) for _ in expected]
print("first losses", losses[:3])
print("losses equal nnc train's:", losses == expected, "lr", m.metrics)
m.save(d + "/py5.ckpt")
print("W_h after", len(losses), "steps", m.param("W_h").tolist())

for _ in range(10000 - len(losses)):
    m.train_step(x=x, t=t)
print("after 10000 steps %.10f %.10f" % tuple(m.predict(x=x)[0]))

# A few samples for the nnc predict comparisons.
xs = np.random.default_rng(1).uniform(-1, 1, (7, 2))
np.save(d + "/x.npy", xs)
np.save(d + "/py10000.npy", m.predict(xs))
m.save(d + "/py10000.ckpt")
with nnc.Model.open(d + "/mazur.so", d + "/nnc5.ckpt") as opened:
    np.save(d + "/py_open_nnc5.npy", opened.predict(xs))
