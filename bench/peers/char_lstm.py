"""The character LSTM of examples/char_lstm.nn in PyTorch, with PyTorch's own
initialisation: nn.Embedding(vocab, 128), nn.LSTM(128, 256, num_layers=2,
batch_first=True, dropout=0.2), nn.Linear(256, vocab); Adam (lr 2e-3);
batch 32 windows of 64 characters. The data is tiny_gpt.py's (nnc train
--text's vocabulary, split and window order).

--train SEED runs the whole recipe and prints the validation loss as JSON;
otherwise it times training steps (sequences per second) like the other
peers."""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

import common
from tiny_gpt import BATCH, T, batches, load_text, validation_loss

WIDTH, EMBED, STEPS, LR = 256, 128, 2000, 2e-3


class CharLstm(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.tok = nn.Embedding(vocab, EMBED)
        self.lstm = nn.LSTM(EMBED, WIDTH, num_layers=2, batch_first=True, dropout=0.2)
        self.head = nn.Linear(WIDTH, vocab)

    def forward(self, x):
        return self.head(self.lstm(self.tok(x))[0])


def make(vocab, seed):
    torch.manual_seed(seed)
    model = CharLstm(len(vocab))
    return model, torch.optim.Adam(model.parameters(), lr=LR)


def step(model, opt, x, y):
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x).reshape(-1, model.head.out_features), y.reshape(-1))
    loss.backward()
    opt.step()
    return loss.item()


def extra(ap):
    ap.add_argument("--text", required=True)
    ap.add_argument("--train", type=int, metavar="SEED", help="run the whole recipe")
    ap.add_argument("--steps", type=int, default=20, help="timed steps (without --train)")


if __name__ == "__main__":
    args = common.parse(__doc__, extra)
    vocab, train, val = load_text(args.text)
    if args.train is not None:
        model, opt = make(vocab, args.train)
        data = batches(train, torch.Generator().manual_seed(args.train))
        start = time.time()
        for t in range(STEPS):
            loss = step(model, opt, *next(data))
            if (t + 1) % 500 == 0:
                print(json.dumps({"step": t + 1, "loss": loss, "val": validation_loss(model, val)}),
                      file=sys.stderr, flush=True)
        print(json.dumps({"seed": args.train, "val_loss": validation_loss(model, val),
                          "seconds": time.time() - start, "threads": args.threads}))
        sys.exit(0)
    values = []
    for rep in range(args.reps):
        model, opt = make(vocab, rep)
        data = batches(train, torch.Generator().manual_seed(rep))
        for _ in range(max(2, args.steps // 10)):
            step(model, opt, *next(data))
        start = time.perf_counter()
        for _ in range(args.steps):
            step(model, opt, *next(data))
        values.append(args.steps * BATCH / (time.perf_counter() - start))
    common.emit("char_lstm_train", args.threads, "sequences/s", values)
