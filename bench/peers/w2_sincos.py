"""W2 peer: fit sin(x) + cos(x) on 2000 points of [-pi, pi] with an MLP
1-64-64-1, tanh, MSE, Adam 1e-3, batch 64 (shuffled, last partial batch
dropped), 5000 steps (bench/models/sincos64.nn). Reports microseconds per step."""
import math

import torch

import common

args = common.parse(__doc__)
steps = 500 if args.quick else 5000
x = torch.linspace(-math.pi, math.pi, 2000).reshape(-1, 1)
y = torch.sin(x) + torch.cos(x)
values = []
for rep in range(args.reps):
    torch.manual_seed(rep)
    net = torch.nn.Sequential(torch.nn.Linear(1, 64), torch.nn.Tanh(), torch.nn.Linear(64, 64),
                              torch.nn.Tanh(), torch.nn.Linear(64, 1))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    mse = torch.nn.MSELoss()

    def step(idx):
        opt.zero_grad()
        loss = mse(net(x[idx]), y[idx])
        loss.backward()
        opt.step()
        return loss.item()

    values.append(common.train_rate(step, steps, common.shuffled_batches(2000, 64, rep)) * 1e6)
common.emit("W2", args.threads, "us/step", values, steps=steps)
