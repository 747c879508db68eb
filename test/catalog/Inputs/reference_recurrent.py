#!/usr/bin/env python3
"""Writes the trace tests of the recurrent layers (compiler/sema/Recurrent.cpp)
against PyTorch's nn.RNN, nn.LSTM and nn.GRU (batch_first=True):
trace_rnn.nn, trace_lstm.nn, trace_gru.nn, trace_recurrent_batch.nn
(the three layers over a batch of B sequences in each sample, per sample
[B, T, I], as PyTorch's batched input) and trace_gru_reset_before.nn (gru
with reset_after: false, Keras' reset_after=False and ONNX's
linear_before_reset=0, which PyTorch lacks: GRUResetBefore below writes its
formula with torch ops), with their initial parameters
(Inputs/trace_KIND.params.json, PyTorch's own initialisation, loaded by name
with --init-params) and expected numbers (Inputs/trace_KIND.expect.json).

Run ONCE with a Python that has torch (1.13 was used), from the repository:
    /usr/bin/python3 test/catalog/Inputs/reference_recurrent.py [rnn|lstm|gru|recurrent_batch|gru_reset_before ...]
The tests hold the numbers and do not run this script.

Each test is one float64 model with several independent cases (own input,
own layer, own constants), a batch of 2 samples in its `data { }` block:
    zK = xK + bK                    (bK: zeros, trained: d_zK = dloss/dxK)
    hzK = hK + bhK                  (an initial state given as an input)
    sK                              (an initial state given as a parameter,
                                     one [layers*dirs, H] shared by the batch)
    yK = LAYER(zK, H, ..., name: KIND K)
    loss = sum over K of sum(yK * CK + yK^2)   (nnc: the batch mean)
and the test checks, against PyTorch autograd on the same loss (the mean of
the per-sample sums), every element of
  - yK (the forward values, the whole sequence or with `last: true` the last
    layer's final hidden state, torch.cat((h_n[-2], h_n[-1]), 1)),
  - d_zK (the gradient reaching the layer's input) and d_hzK (reaching h0/c0),
  - every parameter after 5 torch.optim.SGD steps (lr LR) on the same batch
    (the layers' weights and biases, bK, bhK and the state parameters sK),
with `nnc train --steps 5 --trace --params-out`.
"""
import json
import os
import sys

import torch

torch.set_default_dtype(torch.float64)
LR = 0.2
STEPS = 5
N = 2  # samples
TOL = 1e-12

# Per kind: (model title, the cases). A case: layer name, T (steps), I
# (features), H (hidden), and the layer's options:
#   layers, bidir, bias, last, nl (rnn: "relu"), h0/c0: None, "input" or
#   "param" ("input": a batched input hzK = hK + bhK, czK = cK + bcK;
#   "param": a parameter sK (h0) / tK (c0)); seed: of its data and weights
#   (default: one per case).
CASES = {
    "rnn": ("TraceRnn", [
        dict(name="r1", T=4, I=3, H=5),
        dict(name="r2", T=1, I=2, H=3, nl="relu", h0="input"),
        dict(name="r3", T=3, I=3, H=4, layers=2, bidir=True, h0="param"),
        dict(name="r4", T=5, I=2, H=3, bidir=True, last=True, bias=False),
        # seed: data and weights where every relu unit is alive in some sample
        dict(name="r5", T=1, I=3, H=3, layers=2, last=True, nl="relu", h0="input", seed=256),
    ]),
    "lstm": ("TraceLstm", [
        dict(name="l1", T=4, I=3, H=4),
        dict(name="l2", T=1, I=2, H=3, h0="input", c0="param"),
        dict(name="l3", T=3, I=3, H=3, layers=2, bidir=True, h0="param", c0="input"),
        dict(name="l4", T=5, I=2, H=2, layers=2, last=True, bias=False),
        dict(name="l5", T=2, I=3, H=3, bidir=True, last=True, c0="input"),
    ]),
    "gru": ("TraceGru", [
        dict(name="g1", T=4, I=3, H=4),
        dict(name="g2", T=1, I=2, H=3, bidir=True, last=True, h0="input"),
        dict(name="g3", T=3, I=2, H=3, layers=2, bidir=True, h0="param"),
        dict(name="g4", T=5, I=3, H=2, layers=3, last=True, bias=False),
        dict(name="g5", T=2, I=2, H=3, h0="param"),
    ]),
    # B sequences in each sample: x is [B, T, I] per sample, PyTorch runs
    # the N*B sequences as its batch; states are [L*D, B, H] (or [B, H]).
    "recurrent_batch": ("TraceRecurrentBatch", [
        dict(kind="lstm", name="l1", B=3, T=4, I=3, H=4),
        dict(kind="lstm", name="l2", B=2, T=2, I=2, H=3, layers=2, bidir=True, h0="input",
             c0="param"),
        dict(kind="gru", name="g3", B=2, T=3, I=2, H=3, bidir=True, last=True, h0="param"),
        dict(kind="rnn", name="r4", B=3, T=3, I=2, H=3, h0="input"),
        dict(kind="lstm", name="l5", B=1, T=3, I=2, H=2, last=True, c0="input"),
        dict(kind="gru", name="g6", B=2, T=1, I=3, H=2, layers=2, bias=False),
    ]),
    "gru_reset_before": ("TraceGruResetBefore", [
        dict(kind="gru", name="g1", T=4, I=3, H=4, reset_after=False),
        dict(kind="gru", name="g2", T=2, I=2, H=3, bidir=True, last=True, h0="input", reset_after=False),
        dict(kind="gru", name="g3", T=3, I=2, H=3, layers=2, bidir=True, h0="param", reset_after=False),
        dict(kind="gru", name="g4", T=3, I=3, H=2, bias=False, reset_after=False),
        dict(kind="gru", name="g5", B=2, T=2, I=2, H=3, h0="input", reset_after=False),
    ]),
}


class GRUResetBefore(torch.nn.Module):
    """nn.GRU's parameters (same names and layouts) with the reset gate
    applied before the hidden product, as ONNX's GRU with
    linear_before_reset=0 defines it:
        r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr)
        z = sigmoid(x W_iz^T + b_iz + h W_hz^T + b_hz)
        n = tanh(x W_in^T + b_in + (r * h) W_hn^T + b_hn)
        h' = (1 - z) n + z h
    batch_first; returns (out, h_n) as nn.GRU does."""

    def __init__(self, I, H, num_layers=1, bias=True, batch_first=True, bidirectional=False):
        super().__init__()
        self.gru = torch.nn.GRU(I, H, num_layers=num_layers, bias=bias, batch_first=True,
                                bidirectional=bidirectional)
        self.H, self.layers, self.dirs = H, num_layers, 2 if bidirectional else 1

    def named_parameters(self, *args, **kwargs):
        for name, p in self.gru.named_parameters():
            yield name, p

    def forward(self, x, h0):
        H = self.H
        finals = []
        for l in range(self.layers):
            outs = []
            for d in range(self.dirs):
                sfx = f"_l{l}" + ("_reverse" if d else "")
                wih, whh = getattr(self.gru, "weight_ih" + sfx), getattr(self.gru, "weight_hh" + sfx)
                bih = getattr(self.gru, "bias_ih" + sfx, None)
                bhh = getattr(self.gru, "bias_hh" + sfx, None)
                xg = x @ wih.t() + (bih if bih is not None else 0)
                h = h0[l * self.dirs + d]
                steps = range(x.shape[1] - 1, -1, -1) if d else range(x.shape[1])
                ys = [None] * x.shape[1]
                for t in steps:
                    hrz = h @ whh[:2 * H].t() + (bhh[:2 * H] if bhh is not None else 0)
                    r = torch.sigmoid(xg[:, t, :H] + hrz[:, :H])
                    z = torch.sigmoid(xg[:, t, H:2 * H] + hrz[:, H:])
                    n = torch.tanh(xg[:, t, 2 * H:] + (r * h) @ whh[2 * H:].t() +
                                   (bhh[2 * H:] if bhh is not None else 0))
                    h = (1 - z) * n + z * h
                    ys[t] = h
                outs.append(torch.stack(ys, 1))
                finals.append(h)
            x = torch.cat(outs, 2) if self.dirs == 2 else outs[0]
        return x, torch.stack(finals, 0)


def rounded(shape, seed, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(shape, generator=g) * scale * 100).round() / 100


def flat(t):
    return t.detach().flatten().tolist()


def opt(c, key, default):
    return c.get(key, default)


class Case:
    """One layer instance: its data, its torch module and the extra leaves."""

    def __init__(self, kind, c, seed):
        self.kind, self.c = c.get("kind", kind), c
        kind = self.kind
        self.K = c["name"][1:]
        T, I, H = c["T"], c["I"], c["H"]
        self.B = c.get("B")  # sequences in each sample, or None: one, [T, I]
        inner = [self.B] if self.B else []
        self.layers, self.dirs = opt(c, "layers", 1), 2 if opt(c, "bidir", False) else 1
        self.states = self.layers * self.dirs
        # A one-layer one-direction state is [H] per sample, else [L*D, H]
        # ([B, H] and [L*D, B, H] with B sequences in each sample).
        self.state_shape = inner + [H] if self.states == 1 else [self.states] + inner + [H]
        self.seq_shape = inner + [T, I]  # x per sample
        cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
        if not c.get("reset_after", True):
            cls = GRUResetBefore
        kw = dict(num_layers=self.layers, bias=opt(c, "bias", True), batch_first=True,
                  bidirectional=self.dirs == 2)
        if kind == "rnn":
            kw["nonlinearity"] = opt(c, "nl", "tanh")
        torch.manual_seed(seed)
        self.module = cls(I, H, **kw)
        self.x = rounded([N] + self.seq_shape, seed + 1)
        self.b = torch.zeros(self.seq_shape, requires_grad=True)
        self.C = rounded(inner + ([self.dirs * H] if opt(c, "last", False) else [T, self.dirs * H]),
                         seed + 2)
        # "h0"/"c0" -> ("input", its data [N, ...], the zero leaf bhK / bcK)
        #           or ("param", its initial value, the parameter leaf sK / tK)
        self.state = {}
        for i, key in enumerate(("h0", "c0")):
            how = c.get(key)
            if how == "input":
                data = rounded([N] + self.state_shape, seed + 3 + i, 0.5)
                self.state[key] = (how, data, torch.zeros(self.state_shape, requires_grad=True))
            elif how == "param":
                init = rounded(self.state_shape, seed + 3 + i, 0.5)
                self.state[key] = (how, init, init.clone().requires_grad_(True))

    # nnc names
    def state_name(self, key):
        how = self.state[key][0]
        prefix = {"h0": ("hz", "s"), "c0": ("cz", "t")}[key]
        return (prefix[0] if how == "input" else prefix[1]) + self.K

    def leaves(self):
        """The trained tensors besides the module's, by nnc name."""
        out = {f"b{self.K}": self.b}
        for key, (how, _, leaf) in self.state.items():
            if how == "input":
                out[("bh" if key == "h0" else "bc") + self.K] = leaf
            else:
                out[self.state_name(key)] = leaf
        return out

    def torch_state(self, key):
        """h0/c0 as PyTorch wants it, [L*D, N, H], and the leaf the test traces."""
        if key not in self.state:
            return torch.zeros(self.states, N * (self.B or 1), self.c["H"]), None
        how, data, leaf = self.state[key]
        if self.B:  # the N*B sequences are PyTorch's batch, sample-major
            H, B, S = self.c["H"], self.B, self.states
            if how == "input":
                z = data + leaf  # [N, (L*D,) B, H]
                z.retain_grad()
                s = z.unsqueeze(1) if S == 1 else z
                return s.transpose(0, 1).reshape(S, N * B, H), z
            s = leaf.unsqueeze(0) if S == 1 else leaf  # [L*D, B, H]
            return s.unsqueeze(1).expand(-1, N, -1, -1).reshape(S, N * B, H), None
        if how == "input":
            z = data + leaf  # [N, (L*D,) H]
            z.retain_grad()
            s = z.unsqueeze(1) if self.states == 1 else z
            return s.transpose(0, 1), z
        s = leaf.unsqueeze(0) if self.states == 1 else leaf  # [L*D, H]
        return s.unsqueeze(1).expand(-1, N, -1), None

    def forward(self):
        """The layer's y, and the traced intermediates {nnc name: tensor}."""
        z = self.x + self.b
        z.retain_grad()
        traced = {f"z{self.K}": z}
        h0, hz = self.torch_state("h0")
        if hz is not None:
            traced[self.state_name("h0")] = hz
        if self.kind == "lstm":
            c0, cz = self.torch_state("c0")
            if cz is not None:
                traced[self.state_name("c0")] = cz
            out, (hn, _) = self.module(self.sequences(z), (h0, c0))
        else:
            out, hn = self.module(self.sequences(z), h0)
        if opt(self.c, "last", False):
            y = torch.cat((hn[-2], hn[-1]), 1) if self.dirs == 2 else hn[-1]
        else:
            y = out
        if self.B:  # back to [N, B, ...]
            y = y.reshape([N, self.B] + list(y.shape[1:]))
        y.retain_grad()
        return y, traced

    def sequences(self, z):
        """PyTorch's batch of sequences: [N, T, I], or [N*B, T, I]."""
        return z.reshape([N * self.B] + list(z.shape[2:])) if self.B else z

    def call(self):
        """The nnc expression of the layer."""
        c = self.c
        args = [f"z{self.K}", str(c["H"])]
        if self.layers > 1:
            args.append(f"num_layers: {self.layers}")
        if self.dirs == 2:
            args.append("bidirectional: true")
        if not opt(c, "bias", True):
            args.append("bias: false")
        if opt(c, "last", False):
            args.append("last: true")
        if "nl" in c:
            args.append(f"nonlinearity: {c['nl']}")
        if not c.get("reset_after", True):
            args.append("reset_after: false")
        for key in ("h0", "c0"):
            if key in self.state:
                args.append(f"{key}: {self.state_name(key)}")
        args.append(f"name: {c['name']}")
        return f"{self.kind}({', '.join(args)})"

    def describe(self):
        c = self.c
        parts = [f"T={c['T']}", f"{c['I']} features", f"H={c['H']}"]
        if self.B:
            parts.insert(0, f"{self.kind}, {self.B} sequences per sample")
        if self.layers > 1:
            parts.append(f"{self.layers} layers")
        if self.dirs == 2:
            parts.append("bidirectional")
        if not opt(c, "bias", True):
            parts.append("no biases")
        if "nl" in c:
            parts.append(c["nl"])
        for key in ("h0", "c0"):
            if key in self.state:
                parts.append(f"{key} as {'an input' if self.state[key][0] == 'input' else 'a parameter'}")
        parts.append("last: true" if opt(c, "last", False) else "the whole sequence")
        return f"{c['name']}: " + ", ".join(parts)


def dims(shape):
    return "[" + ", ".join(str(d) for d in shape) + "]"


def generate(kind):
    title, specs = CASES[kind]
    seed0 = {"rnn": 100, "lstm": 200, "gru": 300, "recurrent_batch": 400,
             "gru_reset_before": 500}[kind]
    cases = [Case(kind, c, c.get("seed", seed0 + 10 * i)) for i, c in enumerate(specs)]
    params = {}  # the --init-params file: PyTorch's initial layer parameters
    for case in cases:
        for key, p in case.module.named_parameters():
            params[f"{case.c['name']}.{key}"] = p.detach().tolist()
    trained = []  # (nnc name, tensor) of everything SGD updates
    for case in cases:
        trained += [(f"{case.c['name']}.{k}", p) for k, p in case.module.named_parameters()]
        trained += list(case.leaves().items())
    sgd = torch.optim.SGD([p for _, p in trained], lr=LR)

    expect = {}
    for step in range(STEPS):
        sgd.zero_grad()
        loss = 0
        outs = []
        for case in cases:
            y, traced = case.forward()
            outs.append((case, y, traced))
            loss = loss + ((y * case.C + y ** 2).sum(dim=tuple(range(1, y.dim())))).mean()
        loss.backward()
        if step == 0:  # the trace: the first batch, before training
            for case, y, traced in outs:
                expect[f"y{case.K}"] = flat(y)
                for name, t in traced.items():
                    expect[f"d_{name}"] = flat(t.grad)
        sgd.step()
    for name, p in trained:
        expect["after_" + name.replace(".", "_")] = flat(p)

    here = os.path.dirname(os.path.abspath(__file__))
    json.dump(params, open(os.path.join(here, f"trace_{kind}.params.json"), "w"))
    json.dump(expect, open(os.path.join(here, f"trace_{kind}.expect.json"), "w"))
    count = sum(len(v) for v in expect.values())

    torch_name = {"rnn": "nn.RNN", "lstm": "nn.LSTM", "gru": "nn.GRU"}.get(kind)
    first = {
        "recurrent_batch":
            "# rnn, lstm and gru over B sequences in each sample (x per sample [B, T, I]),\n"
            "# against PyTorch's layers (batch_first=True) on the N*B sequences, f64,\n"
            "# a batch of N = 2 samples:",
        "gru_reset_before":
            "# gru with reset_after: false (ONNX's linear_before_reset=0, Keras'\n"
            "# reset_after=False) against its formula in torch ops (GRUResetBefore in\n"
            "# Inputs/reference_recurrent.py) on nn.GRU's parameters, f64, a batch of 2:",
    }.get(kind, f"# {kind} against PyTorch's {torch_name}(batch_first=True), f64, a batch of 2:")
    lines = [
        first,
    ] + [f"#   {case.describe()}" for case in cases] + [
        "# The layers start from PyTorch's initial parameters (--init-params). Checked",
        f"# to {TOL:g}: each yK (forward), the gradients reaching the input (d_zK, zK =",
        "# xK + bK with bK zeros) and the initial states given as inputs (d_hzK,",
        "# d_czK), and every parameter after 5 SGD steps (lr 0.2) on the batch mean of",
        "# sum(yK * CK + yK^2), against the same 5 torch.optim.SGD steps.",
        "# Numbers from Inputs/reference_recurrent.py "
        f"(torch {torch.__version__.split('+')[0]}, f64, autograd); {count} checks.",
        f"# RUN: %nnc train %s --steps {STEPS} --trace --quiet "
        f"--init-params %S/Inputs/trace_{kind}.params.json \\",
        "# RUN:   --params-out %t.json > %t.trace",
        f"# RUN: %python %tools/trace_close.py %t.trace --tol {TOL:g} --json after=%t.json \\",
        f"# RUN:   --expect-all %S/Inputs/trace_{kind}.expect.json | FileCheck %s",
        f"# CHECK-COUNT-{count}: ok:",
        "# CHECK-NOT:      MISMATCH",
        f"model {title}",
    ]
    data = []
    body = []
    for case in cases:
        K, c = case.K, case.c
        lines.append(f"input x{K}: f64{dims(case.seq_shape)}")
        data.append(f"x{K}: {json.dumps(case.x.tolist())}")
        lines.append(f"param b{K}: f64{dims(case.seq_shape)} = 0")
        body.append(f"z{K} = x{K} + b{K}")
        for key in ("h0", "c0"):
            if key not in case.state:
                continue
            how, value, _ = case.state[key]
            name = case.state_name(key)
            if how == "input":
                raw = ("h" if key == "h0" else "c") + K
                bias = ("bh" if key == "h0" else "bc") + K
                lines.append(f"input {raw}: f64{dims(case.state_shape)}")
                lines.append(f"param {bias}: f64{dims(case.state_shape)} = 0")
                data.append(f"{raw}: {json.dumps(value.tolist())}")
                body.append(f"{name} = {raw} + {bias}")
            else:
                lines.append(f"param {name}: f64{dims(case.state_shape)} = "
                             f"{json.dumps(value.tolist())}")
        lines.append(f"const C{K} = {json.dumps(case.C.tolist())}")
        body.append(f"y{K} = {case.call()}")
    lines += body
    lines.append(f"output y{cases[0].K}")
    lines.append("loss " + " + ".join(f"sum(y{c.K} * C{c.K} + y{c.K}^2)" for c in cases))
    lines.append(f"optimizer sgd(lr: {LR})")
    lines.append("data { " + ",\n       ".join(data) + " }")
    path = os.path.join(here, "..", f"trace_{kind}.nn")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {os.path.normpath(path)} ({count} checks) and Inputs/trace_{kind}.*.json")


def main():
    print(f"torch {torch.__version__}")
    for kind in sys.argv[1:] or list(CASES):
        generate(kind)


if __name__ == "__main__":
    main()
