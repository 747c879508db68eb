#!/usr/bin/env python3
"""PyTorch reference values for embedding, index_select, one-hot of a
sequence and cross-entropy over a sequence (trace_embedding.nn,
trace_index_select.nn, fwd_one_hot_sequence.nn, trace_sequence_cross_entropy.nn).

Run ONCE with a Python that has torch (1.13 was used):
    /usr/bin/python3 test/catalog/Inputs/reference_index.py [NAME...]
It prints, per NAME, the --expect lines its test passes to trace_close.py.
All float64. Parameters after one SGD step (lr 1) are read from
`--params-out` as after_NAME: W - grad.
"""
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

W0 = [[0.5, -0.25, 1.0], [0.1, 0.2, 0.3], [-1.5, 0.75, 0.05], [2.0, -0.4, 0.6], [0.0, 1.25, -0.8]]
TOKENS = [[1, 2, 0, 2], [3, 3, 3, 0]]  # repeats, and the padding index 0
C = [[0.5, -1.0, 2.0], [1.5, -0.7, 0.3], [1.1, 0.2, -0.4], [0.9, -1.3, 0.6]]


def expects(pairs):
    lines = []
    for name, t in pairs:
        lines += [f"--expect '{name}[{i}] = {v!r}'" for i, v in enumerate(t.flatten().tolist())]
    return lines


def embedding():
    emb = torch.nn.Embedding(5, 3, padding_idx=0)
    with torch.no_grad():
        emb.weight.copy_(torch.tensor(W0))
    e = emb(torch.tensor(TOKENS))
    e.retain_grad()
    # loss: mean over the batch of sum(tanh(e) * C) per sample
    loss = (torch.tanh(e) * torch.tensor(C)).sum(dim=(1, 2)).mean()
    loss.backward()
    after = emb.weight - emb.weight.grad
    return expects([("e", e), ("d_e", e.grad), ("after_e_weight", after)])


X = [[0.5, -1.0, 2.0, 0.25], [1.5, -0.7, 0.3, -2.0], [1.1, 0.2, -0.4, 0.8]]
ROWS = [2, 0, 2, 1, 2]
COLS = [[3, 0], [3, 3]]


def index_select():
    x = torch.tensor(X, requires_grad=True)
    rows = torch.index_select(x, 0, torch.tensor(ROWS))          # [5, 4]
    cols = x[:, torch.tensor(COLS)]                               # index_select on axis 1, [3, 2, 2]
    rows.retain_grad()
    cols.retain_grad()
    w = torch.arange(20.0).reshape(5, 4) / 10
    loss = (rows * rows * w).sum() + (cols * torch.tensor([[1.0, -2.0], [0.5, 3.0]])).sum()
    loss.backward()
    return expects([("rows", rows), ("cols", cols), ("d_x", x.grad)])


def one_hot_sequence():
    import json
    y = F.one_hot(torch.tensor([[2, 0, 3], [1, 1, 0]]), 4).double()
    return [json.dumps({"y": y.tolist()})]


LOGITS = [[[0.5, -1.0, 2.0, 0.1], [1.5, -0.7, 0.3, 0.0], [0.2, 0.2, 0.2, 0.2]],
          [[-0.4, 0.9, 1.1, -2.0], [0.0, 0.5, -0.5, 1.0], [3.0, -1.0, 0.0, 0.5]]]
LABELS = [[2, -100, 1], [3, -100, -100]]  # 2 and 1 counted tokens (PyTorch's default ignore value)


def sequence_cross_entropy():
    """[T, C] logits against class(C)[T] labels, reduction='mean' over the
    batch's non-ignored tokens (3 of 6, unevenly: 2 and 1); then with label_smoothing 0.1."""
    out = []
    for smoothing, name in ((0.0, "z"), (0.1, "zs")):
        z = torch.tensor(LOGITS, requires_grad=True)
        loss = F.cross_entropy(z.reshape(-1, 4), torch.tensor(LABELS).reshape(-1),
                               ignore_index=-100, label_smoothing=smoothing)
        loss.backward()
        out += [f"--expect 'loss_{name} = {loss.item()!r}'"]
        out += expects([("d_" + name, z.grad)])
    return out


def index_tensor():
    import json
    x = torch.tensor(X)
    return [json.dumps({"a": x[torch.tensor(ROWS)].tolist(), "b": x[:, torch.tensor(COLS)].tolist()})]


XA = [[[1, 3, 3, 0, 0], [2, -1, -1, 5, 5]], [[0.5, 0.1, 0.7, 0.7, -2], [1, 1, 1, 1, 1]]]
LABEL_A = [[3, 1], [2, 0]]


def argmax():
    """Ties (the first index wins), NaN (0 in XA becomes NaN: the first NaN
    wins for both), axes, keepdims; used as labels; tril/triu forward."""
    import json
    xin = torch.tensor(XA)
    x = xin * (xin / xin)
    am = x.argmax(-1)
    return [json.dumps({"amax": am.tolist(), "amin": x.argmin(-1).tolist(),
                        "a0": x.argmax(1).tolist(),  # per-sample axis 0 = torch dim 1
                        "k": x.argmax(-1, keepdim=True).tolist(),
                        "hot": F.one_hot(am, 5).double().tolist(),
                        "hits": (am == torch.tensor(LABEL_A)).double().tolist(),
                        "lo": torch.tril(xin).tolist(), "up": torch.triu(xin, diagonal=1).tolist()})]


def cast_index():
    """Class indices as numbers: a label's and an argmax's (label.float())."""
    import json
    x = torch.tensor(XA)
    label = torch.tensor(LABEL_A)
    am = x.argmax(-1)
    return [json.dumps({"n": label.double().tolist(), "a": am.float().tolist(),
                        "d": (label.double() - am.double() * 0.5).tolist()})]


def tril_triu():
    z = torch.tensor([[0.5, -1.0, 2.0], [1.5, -0.7, 0.3], [1.1, 0.2, -0.4], [0.9, -1.3, 0.6]],
                     requires_grad=True)
    lo = torch.tril(z, diagonal=-1)
    up = torch.triu(z, diagonal=1)
    lo.retain_grad()
    up.retain_grad()
    (lo * lo + up * torch.arange(12.0).reshape(4, 3)).sum().backward()
    return expects([("lo", lo), ("up", up), ("d_z", z.grad)])


def main():
    print(f"torch {torch.__version__}")
    for name in sys.argv[1:] or ["embedding", "index_select", "sequence_cross_entropy"]:
        print(f"{name}:")
        for line in globals()[name]():
            print(f"# RUN:   {line} \\")


if __name__ == "__main__":
    main()
