#!/usr/bin/env python3
"""PyTorch reference values for stacked matmul, layer norm and attention
(trace_batch_matmul.nn, trace_bmm_gemm.nn, trace_layer_norm.nn,
trace_attention.nn).

Run ONCE with a Python that has torch (1.13 was used):
    /usr/bin/python3 test/catalog/Inputs/reference_attention.py OUTDIR
It writes, into OUTDIR, per test: NAME.expect.json (every value and gradient
the test reads from `nnc train --trace`, and the parameters after one SGD
step as after_PARAM), and the data and parameter files the test feeds in
(.npy inputs, .params.json initial parameters). It prints the inline data
blocks the small tests paste. All float64, one SGD step with lr 0.1.
The trace tests have the form z = x + b (b zeros), so d_z is dloss/dx.
"""
import json
import math
import os
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
LR = 0.1


def rounded(shape, seed, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(shape, generator=g) * scale * 100).round() / 100


def leaf(t):
    return t.clone().requires_grad_(True)


def flat(t):
    return t.detach().flatten().tolist()


def data_line(name, t):
    return f"{name}: {json.dumps(t.tolist())}"


def batch_matmul(out):
    # Small stacks (the loop kernels): transB, transA, a shared parameter
    # stack broadcast over the leading dims, and a vector promoted to a column.
    x, w = rounded((1, 2, 3, 4), 1), rounded((1, 2, 5, 4), 2)
    P = rounded((4, 3), 3)
    C = rounded((2, 3, 5), 4)
    zx, zw, Pl = leaf(x), leaf(w), leaf(P)
    s = zx @ zw.transpose(-2, -1)
    u = zx.transpose(-2, -1) @ s
    r = zw @ Pl
    v = zx @ zw[0, 0, 0]  # [1, 2, 3]: each matrix times the sample's vector
    for t in (s, u, r, v):
        t.retain_grad()
    loss = (s[0] * C).sum() + 0.1 * (u * u).sum() + (r * r).sum() + (v ** 3).sum()
    loss.backward()
    expect = {"s": flat(s), "u": flat(u), "r": flat(r), "v": flat(v),
              "d_zx": flat(zx.grad), "d_zw": flat(zw.grad),
              "after_P": flat(P - LR * Pl.grad)}
    json.dump(expect, open(f"{out}/trace_batch_matmul.expect.json", "w"))
    print("trace_batch_matmul data:")
    print("  " + data_line("x", x) + ", " + data_line("w", w))
    print("  P =", json.dumps(P.tolist()))
    print("  C =", json.dumps(C.tolist()))


def sdpa(q, k, v, causal=False, mask=None):
    # torch 2.x F.scaled_dot_product_attention's math (1.13 lacks the function).
    s = q @ k.transpose(-2, -1) * (1.0 / math.sqrt(q.shape[-1]))
    if causal:
        keep = torch.ones(q.shape[-2], k.shape[-2]).tril().bool()
        s = s.masked_fill(~keep, float("-inf"))
    if mask is not None:
        s = s + mask
    return torch.softmax(s, dim=-1) @ v


def bmm_gemm(out):
    # Stacks large enough for the packed GEMM (16 rows, 32768 multiply-adds
    # per matrix) in q k^T, p v and every gradient; the causal self-attention
    # of q (16 x 16 x 64) takes the loops. Every 5th element is stored.
    q, k, v = rounded((1, 2, 16, 64), 11), rounded((1, 2, 32, 64), 12), rounded((1, 2, 32, 64), 13)
    for name, t in (("q", q), ("k", k), ("v", v)):
        np.save(f"{out}/bmm_gemm_{name}.npy", t.numpy())
    zq, zk, zv = leaf(q), leaf(k), leaf(v)
    o = sdpa(zq, zk, zv)
    o2 = sdpa(zq, zq, zq, causal=True)
    loss = (o * o).sum() + (o2 * torch.cos(o2)).sum()
    loss.backward()
    expect = {f"{name}[::5]": flat(t)[::5] for name, t in
              (("o", o), ("o2", o2), ("d_zq", zq.grad), ("d_zk", zk.grad), ("d_zv", zv.grad))}
    json.dump(expect, open(f"{out}/trace_bmm_gemm.expect.json", "w"))


def layer_norm(out):
    x = rounded((1, 3, 4), 21, 2.0)
    zx = leaf(x)
    ln1 = torch.nn.LayerNorm(4)
    ln2 = torch.nn.LayerNorm([3, 4], eps=1e-3)
    with torch.no_grad():  # start away from ones and zeros: a wrong role would show
        ln1.weight.copy_(rounded((4,), 22) + 1)
        ln1.bias.copy_(rounded((4,), 23))
    ln1.weight.grad = ln1.bias.grad = None
    a = ln1(zx)
    b = ln2(zx)
    c = torch.nn.functional.layer_norm(zx, [4])  # affine: false
    for t in (a, b, c):
        t.retain_grad()
    C = rounded((3, 4), 24)
    loss = (a * C).sum() + (b ** 2 * C).sum() + (c ** 3).sum()
    loss.backward()
    expect = {"a": flat(a), "b": flat(b), "c": flat(c), "d_zx": flat(zx.grad),
              "after_a_weight": flat(ln1.weight - LR * ln1.weight.grad),
              "after_a_bias": flat(ln1.bias - LR * ln1.bias.grad),
              "after_b_weight": flat(ln2.weight - LR * ln2.weight.grad),
              "after_b_bias": flat(ln2.bias - LR * ln2.bias.grad)}
    json.dump(expect, open(f"{out}/trace_layer_norm.expect.json", "w"))
    json.dump({"a.weight": ln1.weight.detach().tolist(), "a.bias": ln1.bias.detach().tolist()},
              open(f"{out}/trace_layer_norm.params.json", "w"))
    print("trace_layer_norm data:")
    print("  " + data_line("x", x))
    print("  C =", json.dumps(C.tolist()))


def attention(out):
    # nn.MultiheadAttention (batch_first) with a causal float mask, and with
    # a key/value sequence of another length; masked_fill; sdpa with an
    # additive mask.
    torch.manual_seed(5)
    T, S, D, H = 5, 3, 8, 2
    x, m = rounded((1, T, D), 31), rounded((1, S, D), 32)
    zx, zm = leaf(x), leaf(m)
    att = torch.nn.MultiheadAttention(D, H, batch_first=True)
    cross = torch.nn.MultiheadAttention(D, H, batch_first=True, bias=False)
    with torch.no_grad():  # biases away from zero
        att.in_proj_bias.copy_(rounded((3 * D,), 33, 0.1))
        att.out_proj.bias.copy_(rounded((D,), 34, 0.1))
    causal = torch.triu(torch.full((T, T), float("-inf")), diagonal=1)
    a, _ = att(zx, zx, zx, attn_mask=causal)
    c, _ = cross(zx, zm, zm)
    f = zx.masked_fill(zx > 0.5, -1.0)
    additive = rounded((T, T), 35)
    s = sdpa(zx.reshape(1, T, H, D // H).transpose(1, 2), zx.reshape(1, T, H, D // H).transpose(1, 2),
             zx.reshape(1, T, H, D // H).transpose(1, 2), mask=additive)
    for t in (a, c, f, s):
        t.retain_grad()
    C = rounded((T, D), 36)
    loss = (a * C).sum() + (c * c).sum() + (f * C).sum() + (s ** 2).sum()
    loss.backward()
    params = {}
    for prefix, mod in (("a", att), ("c", cross)):
        for key, value in mod.state_dict().items():
            params[f"{prefix}.{key}"] = value.tolist()
    json.dump(params, open(f"{out}/trace_attention.params.json", "w"))
    expect = {"a": flat(a), "c": flat(c), "f": flat(f), "s": flat(s),
              "d_zx": flat(zx.grad), "d_zm": flat(zm.grad)}
    for prefix, mod in (("a", att), ("c", cross)):
        for key, p in mod.named_parameters():
            expect[f"after_{prefix}_{key.replace('.', '_')}"] = flat(p - LR * p.grad)
    json.dump(expect, open(f"{out}/trace_attention.expect.json", "w"))
    print("trace_attention data:")
    print("  " + data_line("x", x) + ", " + data_line("m", m))
    print("  additive =", json.dumps(additive.tolist()))
    print("  C =", json.dumps(C.tolist()))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    print(f"torch {torch.__version__}")
    batch_matmul(out)
    bmm_gemm(out)
    layer_norm(out)
    attention(out)


if __name__ == "__main__":
    main()
