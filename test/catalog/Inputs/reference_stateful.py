#!/usr/bin/env python3
"""Writes test/catalog/stateful_lstm.nn's data, initial parameters and
expected parameters: truncated backpropagation through time as PyTorch's
word_language_model example does it, on a 2-layer nn.LSTM(batch_first=True).

The 6 samples (windows of T=2 steps) form 2 streams of 3 (batchify: stream i
is samples 3i..3i+2); step k feeds window k of each stream, starting from the
state the previous step ended with, detached (repackage_hidden); a new epoch
(step 4) starts from zeros. 4 SGD steps (lr 0.3) on MSELoss.

Run ONCE with a Python that has torch (1.13 was used), from the repository:
    /usr/bin/python3 test/catalog/Inputs/reference_stateful.py
The test holds the numbers and does not run this script.
"""
import json
import os

import torch

torch.set_default_dtype(torch.float64)
torch.manual_seed(5)
T, I, H, LAYERS, B, L, STEPS, LR = 2, 2, 3, 2, 2, 3, 4, 0.3
here = os.path.dirname(os.path.abspath(__file__))

lstm = torch.nn.LSTM(I, H, LAYERS, batch_first=True)
x = torch.randn(B * L, T, I).mul(100).round().div(100)
y = torch.randn(B * L, T, H).mul(100).round().div(100)
init = {"rnn." + k: v.tolist() for k, v in lstm.state_dict().items()}
opt = torch.optim.SGD(lstm.parameters(), lr=LR)
hidden = None
for step in range(STEPS):
    k = step % L
    if k == 0:
        hidden = None  # a new epoch: the streams start over
    rows = [i * L + k for i in range(B)]
    out, hidden = lstm(x[rows], hidden)
    loss = torch.nn.functional.mse_loss(out, y[rows])
    opt.zero_grad()
    loss.backward()
    opt.step()
    hidden = tuple(h.detach() for h in hidden)
    print(f"step {step + 1}: loss {loss.item():.17g}")
after = {"rnn." + k: v.tolist() for k, v in lstm.state_dict().items()}
json.dump(init, open(os.path.join(here, "stateful_lstm.params.json"), "w"))
json.dump(after, open(os.path.join(here, "stateful_lstm.expect.json"), "w"))
print("data { x: " + json.dumps(x.tolist()) + ",\n       y: " + json.dumps(y.tolist()) + " }")
