#!/usr/bin/env python3
"""The PyTorch side of examples/pytorch_mnist.nn: pytorch/examples' mnist/main.py
with its defaults (its Net: conv 3x3x32, ReLU, conv 3x3x64, ReLU, max_pool2d 2,
dropout 0.25, flatten, fc 9216 -> 128, ReLU, dropout 0.5, fc 128 -> 10,
log_softmax, F.nll_loss; Adadelta lr 1.0 with StepLR(step_size=1, gamma=0.7)
stepped after every epoch; batch 64; test batch 1000; torch.manual_seed(seed)
before the model is built), on the MNIST idx files nnc reads, normalised as its
ToTensor() + Normalize((0.1307,), (0.3081,)). Its training DataLoader: batch 64,
shuffle=True, the last partial batch of 32 kept (938 steps per epoch; nnc drops
it: 937). (main.py shuffles only on CUDA, where it adds shuffle=True
to the loader's arguments; here the loader shuffles, as nnc does.)

After every epoch prints one line: the test set's average loss (summed
nll_loss / 10000, as main.py) and accuracy, and the training seconds so far
(from the start of training to the end of that epoch's training, the earlier
epochs' test evaluations included, as nnc's wall clock counts them).

usage: /usr/bin/python3 bench/peers/pytorch_mnist.py [--mnist DIR] [--epochs 3]
           [--seed 1] [--threads 1]      (set OMP_NUM_THREADS to --threads too)
"""
import argparse
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def load(directory, prefix):
    """Images as float32 [N, 1, 28, 28], scaled by 1/255 and normalised, and labels."""
    with open(os.path.join(directory, prefix + "-images-idx3-ubyte"), "rb") as f:
        images = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    with open(os.path.join(directory, prefix + "-labels-idx1-ubyte"), "rb") as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    x = torch.from_numpy(images.astype(np.float32).reshape(-1, 1, 28, 28) / 255.0)
    return (x - 0.1307) / 0.3081, torch.from_numpy(labels.astype(np.int64))


class Net(nn.Module):  # pytorch/examples mnist/main.py's
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return F.log_softmax(self.fc2(x), dim=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mnist", default=os.path.expanduser("~/.cache/nnc/mnist"))
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train_x, train_y = load(args.mnist, "train")
    test_x, test_y = load(args.mnist, "t10k")
    train_loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(train_x, train_y), batch_size=64, shuffle=True)
    test_loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(test_x, test_y), batch_size=1000)
    model = Net()
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), seed {args.seed}, "
          f"{len(train_loader)} steps per epoch", flush=True)
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        for data, target in train_loader:
            optimizer.zero_grad()
            loss = F.nll_loss(model(data), target)
            loss.backward()
            optimizer.step()
        seconds = time.perf_counter() - start
        model.eval()
        test_loss, correct = 0.0, 0
        with torch.no_grad():
            for data, target in test_loader:
                output = model(data)
                test_loss += F.nll_loss(output, target, reduction="sum").item()
                correct += output.argmax(dim=1).eq(target).sum().item()
        test_loss /= len(test_loader.dataset)
        print(f"epoch {epoch}: test loss {test_loss:.4f}, accuracy {correct}/{len(test_y)} "
              f"({100.0 * correct / len(test_y):.2f}%), trained {seconds:.1f} s "
              f"(lr {optimizer.param_groups[0]['lr']:.4g})", flush=True)
        scheduler.step()


if __name__ == "__main__":
    main()
