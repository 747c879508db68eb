#!/usr/bin/env python3
"""The PyTorch side of examples/mnist_vae.nn: pytorch/examples' vae/main.py
(same model, loss, Adam lr 1e-3, batch 128, shuffled, last partial batch
dropped as nnc does) on the same MNIST files, one thread. Prints per epoch
the running average loss per image and the test loss per image.

usage: /usr/bin/python3 examples/mnist_vae_pytorch.py DIR [EPOCHS]
       (DIR: what scripts/fetch_mnist.sh prints; EPOCHS: default 10)
"""
import sys
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
    torch.set_num_threads(1)
    torch.manual_seed(1)
    data, epochs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10
    train = images(data + "/train-images-idx3-ubyte")
    test = images(data + "/t10k-images-idx3-ubyte")
    model = VAE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    steps = len(train) // 128
    for epoch in range(1, epochs + 1):
        start, total = time.time(), 0.0
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
        model.eval()
        with torch.no_grad():
            test_loss = 0.0
            for i in range(0, len(test), 1000):
                x = test[i:i + 1000]
                recon, mu, logvar = model(x)
                test_loss += loss_sum(recon, x, mu, logvar).item()
        print(f"epoch {epoch}: train {total / (steps * 128):.2f}, test {test_loss / len(test):.2f}"
              f" ({time.time() - start:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
