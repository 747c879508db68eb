#!/usr/bin/python3
"""Turns the SpamAssassin corpus into fixed-length token-id arrays for nnc.

    python3 examples/text/tokenize_spam.py "$(scripts/fetch_spam_assassin.sh)"

Needs Debian's python3 and python3-numpy only. Reads CACHE/<group>/*.txt (raw
RFC 822 messages, as scripts/fetch_spam_assassin.sh leaves them) and writes, to
-o (default CACHE/tokens), with numpy.save:
  train_tokens.npy, test_tokens.npy   int64 [N, T]: the first T word ids, 0-padded
  train_labels.npy, test_labels.npy   int64 [N]:    1 = spam, 0 = ham
  vocab.txt                           line i = word of id i (0 <pad>, 1 <unk>)

Text = the Subject header's text + the body (headers end at the first blank line),
with HTML tags replaced by a space, ASCII-lowercased, and cut into words by WORD.
Messages are handled as bytes, with no charset decoding: the corpus mixes UTF-8,
Latin-1 and others (500 messages are not valid UTF-8), and only ASCII letters and
digits can form words anyway. MIME parts and base64 bodies are not decoded (kept
simple on purpose: such bodies give rare tokens, which mostly become <unk>).
"""
import argparse
import os
import re
from collections import Counter

import numpy as np

GROUPS = {"easy-ham-1": 0, "easy-ham-2": 0, "hard-ham-1": 0, "spam-1": 1, "spam-2": 1}
# A word: ASCII letters/digits, with inner apostrophes kept ("don't", "o'reilly").
WORD = re.compile(rb"[a-z0-9]+(?:'[a-z0-9]+)*")
HEADER_END = re.compile(rb"\r?\n\r?\n")  # one message has CRLF line ends
SUBJECT = re.compile(rb"^subject:(.*(?:\r?\n[ \t].*)*)", re.I | re.M)  # with folded lines
TAG = re.compile(rb"<[^>]*>")


def words(raw):
    parts = HEADER_END.split(raw, 1)
    head, body = parts if len(parts) == 2 else (raw, b"")
    subject = SUBJECT.search(head)
    text = (subject.group(1) if subject else b"") + b"\n" + body
    return [w.decode("ascii") for w in WORD.findall(TAG.sub(b" ", text).lower())]


def encode(msgs, ids, T):
    out = np.zeros((len(msgs), T), dtype="<i8")  # 0 = <pad>, so padding is free
    for i, ws in enumerate(msgs):
        row = [ids.get(w, 1) for w in ws[:T]]
        out[i, :len(row)] = row
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cache", help="directory printed by scripts/fetch_spam_assassin.sh")
    ap.add_argument("-o", "--out", help="output directory (default CACHE/tokens)")
    ap.add_argument("--vocab", type=int, default=5000, help="V, with <pad> and <unk>")
    ap.add_argument("--length", type=int, default=200, help="T, tokens per message")
    a = ap.parse_args()
    out_dir = a.out or os.path.join(a.cache, "tokens")

    msgs, labels = [], []
    for g in sorted(GROUPS):  # sorted names: the order, and so the split, is fixed
        d = os.path.join(a.cache, g)
        for name in sorted(os.listdir(d)):
            if name.endswith(".txt"):
                with open(os.path.join(d, name), "rb") as f:
                    msgs.append(words(f.read()))
                labels.append(GROUPS[g])
    labels = np.array(labels, dtype="<i8")

    perm = np.random.default_rng(0).permutation(len(msgs))
    n_train = len(msgs) * 8 // 10
    split = {"train": perm[:n_train], "test": perm[n_train:]}

    # Vocabulary from the training split only, so test words are honestly unseen.
    # Counts are over all of a message's words, not just the first T.
    counts = Counter(w for i in split["train"] for w in msgs[i])
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:a.vocab - 2]
    vocab = ["<pad>", "<unk>"] + [w for w, _ in top]
    ids = {w: i for i, w in enumerate(vocab)}

    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "vocab.txt"), "w", encoding="ascii") as f:
        f.write("\n".join(vocab) + "\n")
    print(f"vocabulary: {len(vocab)} ids ({len(counts)} distinct train words)")
    for name, idx in split.items():
        tokens = encode([msgs[i] for i in idx], ids, a.length)
        np.save(os.path.join(out_dir, f"{name}_tokens.npy"), tokens)
        np.save(os.path.join(out_dir, f"{name}_labels.npy"), labels[idx])
        real = tokens[tokens != 0]
        truncated = np.mean([len(msgs[i]) > a.length for i in idx])
        print(f"{name}: {len(idx)} messages ({int((labels[idx] == 0).sum())} ham, "
              f"{int(labels[idx].sum())} spam), tokens {tokens.shape}, "
              f"unknown {np.mean(real == 1):.2%} of kept tokens, truncated {truncated:.2%}")
    print(out_dir)


if __name__ == "__main__":
    main()
