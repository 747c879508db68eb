"""Shared by the PyTorch peers: thread setup, the BLAS report, MNIST loading,
timing, and the one-JSON-object-per-line output bench/bench.py reads.

Every peer takes --threads T (torch.set_num_threads(T); the caller also sets
OMP_NUM_THREADS=T, because Debian's torch 1.13 otherwise uses half the CPUs),
--reps R and --quick, and prints {"workload", "threads", "unit", "values"}."""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch


def parse(description, extra=None):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--mnist", default=os.path.expanduser("~/.cache/nnc/mnist"))
    ap.add_argument("--blas", action="store_true", help="print the BLAS report and exit")
    if extra:
        extra(ap)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.blas:
        print(json.dumps(blas_report()))
        sys.exit(0)
    return args


def blas_report():
    """Which BLAS (and OpenMP) this process really mapped, plus torch's threads."""
    libs = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            name = os.path.basename(path)
            if any(k in name for k in ("blas", "lapack", "gomp", "mkl")):
                libs.add(path)
    try:
        import threadpoolctl  # optional: not in Debian's base install
        pools = [{k: p.get(k) for k in ("internal_api", "version", "num_threads", "filepath")}
                 for p in threadpoolctl.threadpool_info()]
    except ImportError:
        pools = None
    return {"torch": torch.__version__, "num_threads": torch.get_num_threads(),
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
            "LD_LIBRARY_PATH": os.environ.get("LD_LIBRARY_PATH"),
            "libraries": sorted(libs), "threadpoolctl": pools}


def emit(workload, threads, unit, values, **extra):
    record = {"workload": workload, "threads": threads, "unit": unit, "values": values}
    record.update(extra)
    print(json.dumps(record), flush=True)


def load_mnist(directory):
    """MNIST training images as float32 [60000, 1, 28, 28] scaled by 1/255 (what
    nnc's --scale image=1/255 gives) and int64 labels."""
    with open(os.path.join(directory, "train-images-idx3-ubyte"), "rb") as f:
        images = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    with open(os.path.join(directory, "train-labels-idx1-ubyte"), "rb") as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    x = torch.from_numpy(images.astype(np.float32).reshape(-1, 1, 28, 28) / 255.0)
    return x, torch.from_numpy(labels.astype(np.int64))


def classifier_step(net, opt, images, labels):
    """One training step of a classifier with cross-entropy, returning the
    loss and the batch accuracy, as nnc's train_step does."""
    ce = torch.nn.CrossEntropyLoss()

    def step(idx):
        opt.zero_grad()
        xb, yb = images[idx], labels[idx]
        logits = net(xb)
        loss = ce(logits, yb)
        loss.backward()
        opt.step()
        accuracy = (logits.argmax(1) == yb).float().mean()
        return loss.item(), accuracy.item()
    return step


def train_rate(step, steps, batches):
    """Runs `steps` training steps (step(i) does one, on batch batches(i)) and
    returns the seconds per step from the end of the first tenth to the end,
    as bench.py reads nnc's log: the first tenth is warm-up for both."""
    warm = max(1, steps // 10)
    for i in range(warm):
        step(*batches(i))
    start = time.perf_counter()
    for i in range(warm, steps):
        step(*batches(i))
    return (time.perf_counter() - start) / (steps - warm)


def shuffled_batches(samples, batch, seed):
    """batches(i) -> index tensor of step i: a fresh permutation every epoch,
    last partial batch dropped (DataLoader(shuffle=True, drop_last=True))."""
    per_epoch = samples // batch
    gen = torch.Generator().manual_seed(seed)
    state = {"epoch": -1, "perm": None}

    def batches(i):
        epoch, pos = divmod(i, per_epoch)
        if epoch != state["epoch"]:
            state["epoch"], state["perm"] = epoch, torch.randperm(samples, generator=gen)
        return (state["perm"][pos * batch:(pos + 1) * batch],)
    return batches
