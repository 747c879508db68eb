"""W8 peer: causal scaled dot-product attention over 4 heads of width 32
(bench/models/attention_T.nn), forward and backward with the gradient
reaching q through a zero parameter, SGD, batch 8. Torch 1.13 has no
F.scaled_dot_product_attention: the math is written out as the models'
(softmax(q k^T / sqrt(32) masked) v). Reports microseconds per step."""
import math
import time

import torch

import common

H, E, BATCH = 4, 32, 8


def extra(ap):
    ap.add_argument("--length", type=int, required=True)
    ap.add_argument("--steps", type=int, default=20)


def attention(q, k, v):
    s = q @ k.transpose(-2, -1) * (1.0 / math.sqrt(E))
    T = q.shape[-2]
    keep = torch.ones(T, T, dtype=torch.bool).tril()
    s = s.masked_fill(~keep, float("-inf"))
    return torch.softmax(s, dim=-1) @ v


if __name__ == "__main__":
    args = common.parse(__doc__, extra)
    T = args.length
    values = []
    for rep in range(args.reps):
        torch.manual_seed(rep)
        q, k, v = (torch.randn(BATCH, H, T, E) for _ in range(3))
        bq = torch.zeros(H, T, E, requires_grad=True)
        opt = torch.optim.SGD([bq], lr=0.01)

        def step():
            opt.zero_grad(set_to_none=True)
            y = attention(q + bq, k, v)
            (y * y).sum(dim=(1, 2, 3)).mean().backward()
            opt.step()

        for _ in range(max(2, args.steps // 10)):
            step()
        start = time.perf_counter()
        for _ in range(args.steps):
            step()
        values.append((time.perf_counter() - start) / args.steps * 1e6)
    common.emit("W8-%d" % T, args.threads, "us/step", values)
