#!/usr/bin/env python3
"""PyTorch reference trajectories for the opt_*.nn tests.

Run ONCE with a Python that has torch (1.13 was used):
    /usr/bin/python3 test/catalog/Inputs/reference_optimizers.py [CONFIG...]
It prints, for each configuration, the parameters after the given number of
steps as the JSON the tests pass to json_close.py --expect. The tests do not
run this script (the test machines need not have torch); they hold its output.

The problem is Inputs/opt_problem.nn: w = [0.5, -0.3], b = 0.1 (float64),
loss = mean over the 3 samples of (tanh(w . x + b) - t)^2, one batch of all
samples per step (nnc averages the loss over the batch as PyTorch does).

Schedules are stepped once per optimizer step, so the lr of step t (t = 0
first) is the schedule's value at t: StepLR, ExponentialLR,
CosineAnnealingLR and LambdaLR (warm-up: min(1, (t + 1) / W)).
"""
import json
import math
import sys

import torch

torch.set_default_dtype(torch.float64)

X = torch.tensor([[1.0, 2.0], [0.5, -1.0], [-1.5, 0.3]])
T = torch.tensor([0.8, -0.5, 0.2])


def cosine_clamped(lr, steps, min_lr):
    # nnc's cosine: min + (lr - min)(1 + cos(pi min(t, T) / T)) / 2, flat at
    # min_lr after T steps (torch's CosineAnnealingLR would rise again).
    return lambda t: (min_lr + (lr - min_lr) * (1 + math.cos(math.pi * min(t, steps) / steps)) / 2) / lr


def warmup(w):
    return lambda t: min(1.0, (t + 1) / w)


# name: (steps, optimizer factory, scheduler factory or None)
CONFIGS = {
    "sgd": (4, lambda p: torch.optim.SGD(p, lr=0.1), None),
    "sgd_momentum": (4, lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), None),
    "sgd_nesterov": (4, lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True), None),
    "sgd_weight_decay": (4, lambda p: torch.optim.SGD(p, lr=0.1, weight_decay=0.1), None),
    "sgd_momentum_weight_decay": (4, lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.5, weight_decay=0.1), None),
    "adam": (5, lambda p: torch.optim.Adam(p, lr=0.1), None),
    "adam_betas_weight_decay": (5, lambda p: torch.optim.Adam(p, lr=0.05, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1), None),
    "adamw": (5, lambda p: torch.optim.AdamW(p, lr=0.1, weight_decay=0.1), None),
    "rmsprop": (4, lambda p: torch.optim.RMSprop(p, lr=0.01), None),
    "rmsprop_momentum": (4, lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.9), None),
    "adagrad": (4, lambda p: torch.optim.Adagrad(p, lr=0.1), None),
    "adagrad_accumulator_weight_decay": (4, lambda p: torch.optim.Adagrad(
        p, lr=0.1, initial_accumulator_value=0.1, weight_decay=0.1, eps=1e-6), None),
    "rmsprop_weight_decay": (4, lambda p: torch.optim.RMSprop(p, lr=0.01, weight_decay=0.1, eps=1e-4), None),
    "sgd_step": (5, lambda p: torch.optim.SGD(p, lr=0.1),
                 lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5)),
    "sgd_exponential": (4, lambda p: torch.optim.SGD(p, lr=0.1),
                        lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.8)),
    "sgd_cosine": (4, lambda p: torch.optim.SGD(p, lr=0.1),
                   lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=4, eta_min=0.01)),
    "sgd_cosine_clamped": (5, lambda p: torch.optim.SGD(p, lr=0.1),
                           lambda o: torch.optim.lr_scheduler.LambdaLR(o, cosine_clamped(0.1, 2, 0.01))),
    "sgd_warmup": (4, lambda p: torch.optim.SGD(p, lr=0.1),
                   lambda o: torch.optim.lr_scheduler.LambdaLR(o, warmup(3))),
    "adam_amsgrad": (5, lambda p: torch.optim.Adam(p, lr=0.1, amsgrad=True), None),
    "adamw_amsgrad": (5, lambda p: torch.optim.AdamW(p, lr=0.1, weight_decay=0.1, amsgrad=True), None),
    "adamax": (5, lambda p: torch.optim.Adamax(p, lr=0.1), None),
    "adamax_weight_decay": (5, lambda p: torch.optim.Adamax(p, lr=0.05, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1), None),
    "nadam": (5, lambda p: torch.optim.NAdam(p, lr=0.1), None),
    "nadam_weight_decay": (5, lambda p: torch.optim.NAdam(p, lr=0.05, betas=(0.8, 0.9), weight_decay=0.1, momentum_decay=0.01), None),
    "adadelta": (5, lambda p: torch.optim.Adadelta(p), None),
    "adadelta_weight_decay": (5, lambda p: torch.optim.Adadelta(p, lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1), None),
    "sgd_clip_norm": (4, lambda p: torch.optim.SGD(p, lr=0.5, momentum=0.9), None),
    "adam_clip_value": (5, lambda p: torch.optim.Adam(p, lr=0.1), None),
    "sgd_clip_value_norm": (4, lambda p: torch.optim.SGD(p, lr=0.5), None),
    "adam_exponential_warmup": (4, lambda p: torch.optim.Adam(p, lr=0.1),
                                lambda o: torch.optim.lr_scheduler.LambdaLR(
                                    o, lambda t: 0.8 ** t * warmup(3)(t))),
}


# Gradient clipping before each step (nnc's clip_value:, then clip_norm:).
CLIP = {
    "sgd_clip_norm": (None, 0.05),
    "adam_clip_value": (0.02, None),
    "sgd_clip_value_norm": (0.05, 0.06),
}


def run(name):
    steps, make_opt, make_sched = CONFIGS[name]
    w = torch.tensor([0.5, -0.3], requires_grad=True)
    b = torch.tensor(0.1, requires_grad=True)
    opt = make_opt([w, b])
    sched = make_sched(opt) if make_sched else None
    for _ in range(steps):
        opt.zero_grad()
        loss = ((torch.tanh(X @ w + b) - T) ** 2).mean()
        loss.backward()
        value, norm = CLIP.get(name, (None, None))
        if value is not None:
            torch.nn.utils.clip_grad_value_([w, b], value)
        if norm is not None:
            torch.nn.utils.clip_grad_norm_([w, b], norm)
        opt.step()
        if sched:
            sched.step()
    return steps, {"w": w.tolist(), "b": b.item()}


def main():
    names = sys.argv[1:] or list(CONFIGS)
    for name in names:
        steps, params = run(name)
        print(f"{name} ({steps} steps): {json.dumps(params)}")


if __name__ == "__main__":
    main()
