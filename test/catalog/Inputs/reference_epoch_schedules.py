#!/usr/bin/env python3
"""PyTorch reference trajectories for the per-epoch schedule tests
(opt_*_epoch.nn, opt_plateau*.nn).

Run ONCE with a Python that has torch (1.13 was used):
    /usr/bin/python3 test/catalog/Inputs/reference_epoch_schedules.py [CONFIG...]
It prints, for each configuration, what the tests hold: the parameters after
each epoch, the learning rate of each step and, for ReduceLROnPlateau, the
test loss it was given after each epoch. The tests do not run this script.

The problem is Inputs/opt_epoch_problem.nn: w = [0.5, -0.3], b = 0.1
(float64), loss = mean over the batch of (tanh(w . x + b) - t)^2, five
samples in batches of two. Each epoch takes the batches `nnc train` takes:
its shuffle (compiler/driver/Sampling.cpp, SplitMix64 seeded with the run's
seed 1, Fisher-Yates over the previous epoch's order) is replayed here, and
the last partial batch is dropped. The scheduler steps once per epoch, after
the epoch's last optimizer step, as pytorch/examples' MNIST does
(scheduler.step() after each epoch; ReduceLROnPlateau gets the test loss).
"""
import json
import sys

import torch

torch.set_default_dtype(torch.float64)

X = torch.tensor([[1.0, 2.0], [0.5, -1.0], [-1.5, 0.3], [0.2, 0.7], [-0.4, -0.9]])
T = torch.tensor([0.8, -0.5, 0.2, 0.4, -0.1])
TEST_X = torch.tensor([[0.3, 1.0], [-1.0, 0.5], [0.8, -0.2]])
TEST_T = torch.tensor([0.5, 0.1, -0.3])
BATCH = 2
MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)


def shuffle(order, rng):
    # Fisher-Yates with a rejection-sampled bounded draw, as nnc's shuffle().
    for i in range(len(order), 1, -1):
        limit = MASK - MASK % i
        r = rng.next()
        while r >= limit:
            r = rng.next()
        order[i - 1], order[r % i] = order[r % i], order[i - 1]


def loss_of(w, b, x, t):
    return ((torch.tanh(x @ w + b) - t) ** 2).mean()


# name: (epochs, optimizer factory, scheduler factory)
CONFIGS = {
    # pytorch/examples' MNIST: Adadelta(lr=1.0), StepLR(step_size=1, gamma=0.7)
    "adadelta_step_epoch": (4, lambda p: torch.optim.Adadelta(p, lr=1.0),
                            lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=1, gamma=0.7)),
    "sgd_exponential_epoch": (4, lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
                              lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.8)),
    "adam_cosine_epoch": (3, lambda p: torch.optim.Adam(p, lr=0.1),
                          lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=3, eta_min=0.01)),
    "sgd_plateau": (10, lambda p: torch.optim.SGD(p, lr=0.8),
                    lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, factor=0.5, patience=1)),
    "sgd_plateau_cooldown_abs": (10, lambda p: torch.optim.SGD(p, lr=0.8),
                                 lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(
                                     o, factor=0.5, patience=0, cooldown=1, threshold=0.01,
                                     threshold_mode="abs", min_lr=0.15)),
    # mode max on the metric score = -loss: the test loss negated
    "sgd_plateau_max": (10, lambda p: torch.optim.SGD(p, lr=0.8),
                        lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(
                            o, mode="max", factor=0.3, patience=1, threshold=0.05)),
}


def run(name):
    epochs, make_opt, make_sched = CONFIGS[name]
    w = torch.tensor([0.5, -0.3], requires_grad=True)
    b = torch.tensor(0.1, requires_grad=True)
    opt = make_opt([w, b])
    sched = make_sched(opt)
    plateau = isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau)
    rng = SplitMix64(1)
    order = list(range(len(X)))
    params, lrs, test_losses = [], [], []
    for _ in range(epochs):
        shuffle(order, rng)
        for k in range(len(X) // BATCH):
            idx = order[k * BATCH:(k + 1) * BATCH]
            lrs.append(opt.param_groups[0]["lr"])
            opt.zero_grad()
            loss_of(w, b, X[idx], T[idx]).backward()
            opt.step()
        params.append({"w": w.tolist(), "b": b.item()})
        if plateau:
            with torch.no_grad():
                test_loss = loss_of(w, b, TEST_X, TEST_T).item()
            test_losses.append(test_loss)
            sched.step(-test_loss if sched.mode == "max" else test_loss)
        else:
            sched.step()
    return params, lrs, test_losses


def main():
    for name in sys.argv[1:] or list(CONFIGS):
        params, lrs, test_losses = run(name)
        print(f"{name}:")
        for epoch, p in enumerate(params, 1):
            print(f"  after epoch {epoch}: {json.dumps(p)}")
        print(f"  lr of each step: {json.dumps({'lr': lrs})}")
        if test_losses:
            print(f"  test loss after each epoch: {json.dumps({'test_loss': test_losses})}")


if __name__ == "__main__":
    main()
