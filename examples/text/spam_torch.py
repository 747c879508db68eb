#!/usr/bin/python3
"""PyTorch baseline for examples/text_classifier.nn: the same model, for comparison.

    python3 examples/text/spam_torch.py "$(scripts/fetch_spam_assassin.sh)/tokens"

Reads the arrays written by examples/text/tokenize_spam.py. Model: Embedding(V, D,
padding_idx=0) -> plain mean over all T positions (pads included, as the .nn model
does it: pads embed to 0, so they only scale the mean) -> Linear(D, 2) -> cross
entropy; Adam, batch 64, one thread, so the numbers compare with nnc's on a core.
"""
import argparse
import os
import time

import numpy as np
import torch
from torch import nn


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", help="directory written by tokenize_spam.py")
    ap.add_argument("--dim", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=1e-2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(1)

    load = lambda n: torch.from_numpy(np.load(os.path.join(a.data, n + ".npy")))
    xtr, ytr, xte, yte = (load(n) for n in ("train_tokens", "train_labels", "test_tokens", "test_labels"))
    with open(os.path.join(a.data, "vocab.txt"), encoding="ascii") as f:
        V = sum(1 for _ in f)

    model = nn.Sequential(nn.Embedding(V, a.dim, padding_idx=0), Mean(), nn.Linear(a.dim, 2))
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    loss_fn = nn.CrossEntropyLoss()

    def accuracy(x, y):
        with torch.no_grad():
            return (model(x).argmax(1) == y).double().mean().item()

    train_s = 0.0
    for epoch in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        perm = torch.randperm(len(xtr))  # reshuffled every epoch, from the manual seed
        total = 0.0
        for i in range(0, len(xtr), a.batch):
            idx = perm[i:i + a.batch]
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        train_s += time.perf_counter() - t0
        print(f"epoch {epoch}: train loss {total / len(xtr):.4f}, "
              f"train acc {accuracy(xtr, ytr):.2%}, test acc {accuracy(xte, yte):.2%}")
    print(f"V={V} T={xtr.shape[1]} D={a.dim} lr={a.lr} epochs={a.epochs}: "
          f"test accuracy {accuracy(xte, yte):.2%} ({len(yte)} messages), "
          f"train time {train_s:.2f} s (1 thread)")


class Mean(nn.Module):
    def forward(self, e):  # [B, T, D] -> [B, D]
        return e.mean(dim=1)


if __name__ == "__main__":
    main()
