"""W1 peer: the lecture's 2-2-2 net (examples/mazur.nn) in PyTorch, f64,
sigmoid layers, fixed biases 0.35 / 0.60, loss sum((t - o)^2) / 2, SGD lr 0.5,
batch 1 (the one sample), 10000 steps. Reports microseconds per step."""
import torch

import common

args = common.parse(__doc__)
steps = 1000 if args.quick else 10000
x = torch.tensor([[0.05, 0.10]], dtype=torch.float64)
t = torch.tensor([[0.01, 0.99]], dtype=torch.float64)
values = []
for rep in range(args.reps):
    W_h = torch.tensor([[0.15, 0.20], [0.25, 0.30]], dtype=torch.float64, requires_grad=True)
    W_o = torch.tensor([[0.40, 0.45], [0.50, 0.55]], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([W_h, W_o], lr=0.5)

    def step():
        opt.zero_grad()
        h = torch.sigmoid(x @ W_h.T + 0.35)
        o = torch.sigmoid(h @ W_o.T + 0.60)
        loss = ((t - o) ** 2).sum(dim=1).div(2).mean()
        loss.backward()
        opt.step()
        return loss.item()

    values.append(common.train_rate(step, steps, lambda i: ()) * 1e6)
common.emit("W1", args.threads, "us/step", values, steps=steps)
