"""Independent checks of nnc train --standardize (test/driver/standardize.test).

  standardize_check.py stats DATA CKPT NAME [--axis A]
      the checkpoint's NAME.mean and NAME.std equal numpy's mean and
      population std of DATA's samples per index of axis A (default: the
      last) of a sample, std 1 where a channel is constant;
  standardize_check.py apply DATA CKPT NAME OUT.npy
      writes (DATA - mean) / std as float32 .npy, computed by numpy with
      the checkpoint's statistics (the input a plain model would need);
  standardize_check.py init DIR
      writes fixed random weights for test/driver/Inputs/pixels.nn as
      DIR/NAME.npy, so that two runs start from the same parameters;
  standardize_check.py close A B TOL
      two .npy files, or the loss columns of two CSV logs, agree to TOL
      (relative).
DATA is an IDX file (MNIST's format) or .npy, samples first.
"""
import json
import subprocess
import sys

import numpy as np


def read_data(path):
    raw = open(path, "rb").read()
    if raw[:6] == b"\x93NUMPY":
        return np.load(path).astype(np.float64)
    if raw[:2] != b"\0\0" or raw[2] != 8:
        sys.exit(f"{path}: not an IDX file of unsigned bytes")
    rank = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).astype(np.float64)
    # MNIST's [N, 28, 28] images are the model's [28, 28, 1] samples.
    return data.reshape(dims + ([1] if rank == 3 else []))


def checkpoint_stats(ckpt, name):
    out = subprocess.run([NNC, "export-params", ckpt, "--json"], capture_output=True, text=True,
                         check=True).stdout
    tensors = {t["name"]: t for t in json.loads(out)["tensors"]}
    mean, std = tensors[name + ".mean"], tensors[name + ".std"]
    for t in (mean, std):
        if t["kind"] != "buffer":
            sys.exit(f"FAIL {t['name']} is a {t['kind']}, not a buffer")
    return np.array(mean["values"], dtype=np.float64), np.array(std["values"], dtype=np.float64)


def stats(data, ckpt, name, axis):
    x = read_data(data)
    sample_axes = x.ndim - 1
    axis = axis % sample_axes
    reduce = tuple(a for a in range(x.ndim) if a != axis + 1)
    want_mean = x.mean(axis=reduce, keepdims=True)[0]
    want_std = x.std(axis=reduce, keepdims=True)[0]
    want_std[want_std == 0] = 1
    mean, std = checkpoint_stats(ckpt, name)
    if mean.shape != want_mean.shape:
        sys.exit(f"FAIL shape {list(mean.shape)}, numpy {list(want_mean.shape)}")
    err = max(np.max(np.abs(mean - want_mean) / np.abs(want_mean).clip(1e-3)),
              np.max(np.abs(std - want_std) / want_std))
    verdict = "ok" if err < 1e-6 else "FAIL"
    print(f"{verdict} {name}.mean and {name}.std {list(mean.shape)} match numpy "
          f"(max relative difference {err:.1e}); constant channels {int(np.sum(x.std(axis=reduce) == 0))}")
    return verdict == "ok"


def apply(data, ckpt, name, out):
    x = read_data(data)
    mean, std = checkpoint_stats(ckpt, name)
    np.save(out, ((x - mean) / std).astype(np.float32))
    return True


def init(directory):
    rng = np.random.default_rng(7)
    shapes = {"hidden.weight": (32, 784), "hidden.bias": (32,), "logits.weight": (10, 32),
              "logits.bias": (10,)}
    for name, shape in shapes.items():
        np.save(f"{directory}/{name}.npy", (rng.standard_normal(shape) * 0.05).astype(np.float32))
    return True


def losses(path):
    if path.endswith(".npy"):
        return np.load(path).astype(np.float64).ravel()
    rows = [line.strip().split(",") for line in open(path) if line.strip()]
    col = rows[0].index("loss")
    return np.array([float(r[col]) for r in rows[1:]])


def close(a, b, tol):
    x, y = losses(a), losses(b)
    if x.shape != y.shape:
        sys.exit(f"FAIL {x.shape} values against {y.shape}")
    err = float(np.max(np.abs(x - y) / np.maximum(1.0, np.abs(x))))
    verdict = "ok" if err <= tol else "FAIL"
    print(f"{verdict} {x.size} values agree (max relative difference {err:.1e}, tolerance {tol:g})")
    return verdict == "ok"


if __name__ == "__main__":
    NNC = "nnc"
    args = sys.argv[1:]
    if args and args[0] == "--nnc":
        NNC, args = args[1], args[2:]
    cmd, rest = args[0], args[1:]
    axis = -1
    if "--axis" in rest:
        i = rest.index("--axis")
        axis = int(rest[i + 1])
        rest = rest[:i] + rest[i + 2:]
    ok = {"stats": lambda: stats(rest[0], rest[1], rest[2], axis),
          "apply": lambda: apply(*rest[:4]),
          "init": lambda: init(rest[0]),
          "close": lambda: close(rest[0], rest[1], float(rest[2]))}[cmd]()
    sys.exit(0 if ok else 1)
