"""W5 peer: batch-1 inference latency (forward and softmax, no autograd,
eval mode) of the W3 MLP and the W4 CNN. Reports microseconds per call: each
repetition times as many calls as fit in about --seconds."""
import time

import torch

import common
from w5_networks import w5_networks


def extra(ap):
    ap.add_argument("--seconds", type=float, default=0.5)


args = common.parse(__doc__, extra)
x = torch.rand(1, 1, 28, 28)
for name, net in w5_networks():
    values = []
    with torch.no_grad():
        for _ in range(20):
            net(x)
        for rep in range(args.reps):
            calls, start = 0, time.perf_counter()
            while True:
                net(x)
                calls += 1
                elapsed = time.perf_counter() - start
                if elapsed >= args.seconds and calls >= 10:
                    break
            values.append(elapsed / calls * 1e6)
    common.emit(name, args.threads, "us", values)
