"""test/python/two_models_threads.test: two models (two libraries, each with
its own libnnrt) and two instances of each, trained in four Python threads
at once; each instance must end exactly where the same steps run one at a
time end. A third library is a copy of the first (same prefix and symbols)."""
import sys
import threading

import numpy as np

import nnc

d = sys.argv[1]
rng = np.random.default_rng(0)
x_mlp = rng.uniform(-1, 1, (16, 3)).astype(np.float32)
t_mlp = (x_mlp[:, :2] > 0).astype(np.float32)
x_cls = rng.normal(size=(32, 4))
y_cls = rng.integers(0, 10, 32).astype(np.int32)

STEPS = 300


order = []  # which instance finished each step, in the order they did


def train(model, x, t, losses, who=None):
    for i in range(STEPS):
        losses.append(model.train_step(x, t))
        order.append(who)


def jobs():
    """(library, seed, x, t) for the four instances."""
    return [(d + "/mlp26.so", 1, x_mlp, t_mlp), (d + "/mlp26.so", 2, x_mlp, t_mlp),
            (d + "/labels.so", 1, x_cls, y_cls), (d + "/labels_copy.so", 1, x_cls, y_cls)]


# One at a time.
alone = []
for library, seed, x, t in jobs():
    m = nnc.Model(library, seed=seed, threads=1)
    losses = []
    train(m, x, t, losses)
    alone.append((losses, {s.name: m.param(s.name) for s in m.state}))

# All four at once, each in its own thread (kernels on 2 threads each).
# Python switches threads only every 1000 s here, so the threads take
# turns only when one gives up the GIL, as it does inside each step: were
# the GIL held in train_step, each thread would run all its steps at once.
order.clear()
sys.setswitchinterval(1000)
models = [nnc.Model(lib, seed=seed, threads=2) for lib, seed, _, _ in jobs()]
results = [[] for _ in models]
threads = [threading.Thread(target=train, args=(m, x, t, r, i))
           for i, (m, (_, _, x, t), r) in enumerate(zip(models, jobs(), results))]
for th in threads:
    th.start()
for th in threads:
    th.join()
sys.setswitchinterval(0.005)
turns = sum(a != b for a, b in zip(order, order[1:]))
print("steps interleaved across threads:", turns > len(models))

for i, (m, r) in enumerate(zip(models, results)):
    losses, params = alone[i]
    same = r == losses and all(np.array_equal(m.param(k), v) for k, v in params.items())
    print("instance %d (%s, seed %d): %d steps, loss %.6f -> %.6f, same as alone: %s"
          % (i, m.name, jobs()[i][1], len(r), r[0], r[-1], same))
print("seeds differ:", alone[0][0][0] != alone[1][0][0])
print("the copy is the same model:", alone[2][0] == alone[3][0])
print("libraries:", len(nnc._libraries))
