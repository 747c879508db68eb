#!/usr/bin/env python3
"""The PyTorch side of examples/mnist_vae.nn: pytorch/examples' vae/main.py
(same model, loss, Adam lr 1e-3, batch 128, shuffled, last partial batch
dropped as nnc does) on the same MNIST files, seed 1, one thread unless
--threads says otherwise. Prints per epoch the running average loss per
image, the test loss per image (the negative ELBO, as main.py prints it), and
the training seconds so far (from the start of training to the end of that
epoch's training, the earlier epochs' test evaluations included, as nnc's
wall clock counts them).

usage: /usr/bin/python3 bench/peers/mnist_vae.py DIR [EPOCHS] [--threads N]
       (DIR: what scripts/fetch_mnist.sh prints; EPOCHS: default 10)
"""
import argparse
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def images(path):
    pixels = np.fromfile(path, np.uint8)[16:].reshape(-1, 784)
    return torch.from_numpy(pixels.astype(np.float32) / 255)


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

    def forward(self, x):
        h = F.relu(self.fc1(x))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


def loss_sum(recon, x, mu, logvar):
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return F.binary_cross_entropy(recon, x, reduction="sum") + kld


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data")
    ap.add_argument("epochs", type=int, nargs="?", default=10)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    data, epochs = args.data, args.epochs
    train = images(data + "/train-images-idx3-ubyte")
    test = images(data + "/t10k-images-idx3-ubyte")
    model = VAE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    steps = len(train) // 128
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        total = 0.0
        model.train()
        order = torch.randperm(len(train))
        for s in range(steps):
            x = train[order[s * 128:(s + 1) * 128]]
            opt.zero_grad()
            recon, mu, logvar = model(x)
            loss = loss_sum(recon, x, mu, logvar)
            loss.backward()
            opt.step()
            total += loss.item()
        seconds = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            test_loss = 0.0
            for i in range(0, len(test), 1000):
                x = test[i:i + 1000]
                recon, mu, logvar = model(x)
                test_loss += loss_sum(recon, x, mu, logvar).item()
        print(f"epoch {epoch}: train {total / (steps * 128):.2f}, test {test_loss / len(test):.2f}"
              f" (trained {seconds:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
