"""The tiny GPT of examples/tiny_gpt.nn in PyTorch, with PyTorch's own
initialisation: nn.Embedding for characters and positions, 4 pre-norm blocks
of nn.MultiheadAttention (4 heads, causal, dropout 0.1 on the weights) and a
GELU MLP (128 -> 512 -> 128), dropout 0.1 after the embeddings and on each
block's two residual branches, a final nn.LayerNorm and nn.Linear to the
vocabulary; AdamW (lr 1e-3, betas 0.9/0.99, weight decay 0.1 on every
parameter) with nnc's warm-up (100 steps) and cosine schedule (2000 steps,
min_lr 1e-4); batch 32 windows of 64 characters.

The data is nnc train --text's: the vocabulary is the text's code points in
ascending order, the last 10% of the characters is validation, read as
windows at stride 64 (every character predicted once); training windows
start anywhere in the first 90%, drawn without replacement per epoch.

--train SEED runs the whole recipe and prints the validation loss as JSON;
otherwise it times training steps (characters per second) like the other
peers."""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

import common

T, D, H, LAYERS, BATCH, STEPS = 64, 128, 4, 4, 32, 2000
LR, MIN_LR, WARMUP = 1e-3, 1e-4, 100


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(D)
        self.attn = nn.MultiheadAttention(D, H, dropout=0.1, batch_first=True)
        self.ln2 = nn.LayerNorm(D)
        self.fc = nn.Linear(D, 4 * D)
        self.proj = nn.Linear(4 * D, D)
        self.drop = nn.Dropout(0.1)

    def forward(self, h, mask):
        x = self.ln1(h)
        a = h + self.drop(self.attn(x, x, x, attn_mask=mask, need_weights=False)[0])
        return a + self.drop(self.proj(F.gelu(self.fc(self.ln2(a)))))


class TinyGpt(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.tok = nn.Embedding(vocab, D)
        self.pos = nn.Embedding(T, D)
        self.drop = nn.Dropout(0.1)
        self.blocks = nn.ModuleList(Block() for _ in range(LAYERS))
        self.ln_f = nn.LayerNorm(D)
        self.head = nn.Linear(D, vocab)
        self.register_buffer("mask", torch.triu(torch.full((T, T), float("-inf")), diagonal=1))

    def forward(self, x):
        h = self.drop(self.tok(x) + self.pos.weight)
        for b in self.blocks:
            h = b(h, self.mask)
        return self.head(self.ln_f(h))


def lr_factor(t):
    """nnc's cosine(2000, min_lr) times its warm-up min(1, (t + 1) / 100), over LR."""
    cos = MIN_LR + (LR - MIN_LR) * (1 + math.cos(math.pi * min(t, STEPS) / STEPS)) / 2
    return cos / LR * min(1.0, (t + 1) / WARMUP)


def load_text(path):
    text = open(path, encoding="utf-8").read()
    vocab = sorted(set(text))
    index = {c: i for i, c in enumerate(vocab)}
    tokens = torch.tensor([index[c] for c in text], dtype=torch.long)
    held = int(len(tokens) * 0.1)
    return vocab, tokens[: len(tokens) - held], tokens[len(tokens) - held:]


def windows(tokens, starts):
    idx = starts[:, None] + torch.arange(T + 1)[None, :]
    w = tokens[idx]
    return w[:, :-1], w[:, 1:]


def validation_loss(model, val):
    model.eval()
    starts = torch.arange(0, len(val) - T, T)
    total, count = 0.0, 0
    with torch.no_grad():
        for chunk in starts.split(256):
            x, y = windows(val, chunk)
            loss = F.cross_entropy(model(x).reshape(-1, model.head.out_features), y.reshape(-1),
                                   reduction="sum")
            total += loss.item()
            count += y.numel()
    model.train()
    return total / count


def make(vocab, seed):
    torch.manual_seed(seed)
    model = TinyGpt(len(vocab))
    opt = torch.optim.AdamW(model.parameters(), lr=LR, betas=(0.9, 0.99), weight_decay=0.1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
    return model, opt, sched


def step(model, opt, sched, x, y):
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x).reshape(-1, model.head.out_features), y.reshape(-1))
    loss.backward()
    opt.step()
    sched.step()
    return loss.item()


def batches(train, generator):
    """Windows drawn without replacement, epoch after epoch."""
    while True:
        for chunk in torch.randperm(len(train) - T, generator=generator).split(BATCH):
            if len(chunk) == BATCH:
                yield windows(train, chunk)


def extra(ap):
    ap.add_argument("--text", required=True)
    ap.add_argument("--train", type=int, metavar="SEED", help="run the whole recipe")
    ap.add_argument("--steps", type=int, default=40, help="timed steps (without --train)")


if __name__ == "__main__":
    args = common.parse(__doc__, extra)
    vocab, train, val = load_text(args.text)
    if args.train is not None:
        model, opt, sched = make(vocab, args.train)
        data = batches(train, torch.Generator().manual_seed(args.train))
        start = time.time()
        for t in range(STEPS):
            loss = step(model, opt, sched, *next(data))
            if (t + 1) % 500 == 0:
                print(json.dumps({"step": t + 1, "loss": loss, "val": validation_loss(model, val)}),
                      file=sys.stderr, flush=True)
        print(json.dumps({"seed": args.train, "val_loss": validation_loss(model, val),
                          "seconds": time.time() - start, "threads": args.threads}))
        sys.exit(0)
    values = []
    for rep in range(args.reps):
        model, opt, sched = make(vocab, rep)
        data = batches(train, torch.Generator().manual_seed(rep))
        warm = max(2, args.steps // 10)
        for _ in range(warm):
            step(model, opt, sched, *next(data))
        start = time.perf_counter()
        for _ in range(args.steps):
            step(model, opt, sched, *next(data))
        values.append(args.steps * BATCH * T / (time.perf_counter() - start))
    common.emit("tiny_gpt_train", args.threads, "characters/s", values)
