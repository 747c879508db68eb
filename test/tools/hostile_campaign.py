"""A seeded hostile-input campaign against nnc (issue 21): mutants of model
text, CSV, IDX and .npy data, predict JSON, checkpoints and ONNX files, each
run through the command that reads it. Every run must end in success or a
clean refusal:
  crash      exit 3 or more, a signal, or "internal error" on stderr;
  hang       no exit within --timeout seconds (a generous bound: a hang
             runs forever, a slow machine does not take 20 s);
  unlocated  a refusal whose message does not say where: model text needs
             FILE:LINE:COL, every other file its name (the messages add the
             line, byte offset or record where they can). A loss that
             overflows on accepted data is a run's outcome, not a refusal.
Prints one line per kind of input and a total, lists every failure (with
the mutant kept in WORKDIR/failures/), and exits 1 if there is any.

  hostile_campaign.py NNC ROOT WORKDIR [--count N] [--seed S] [--jobs J]

--count is the number of mutants in all (2,000 in the ctest run; more by
hand). The same seed gives the same mutants."""
import argparse
import os
import random
import re
import shutil
import struct
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

KINDS = ["model", "csv", "npy", "idx", "json", "checkpoint", "onnx"]


def mutate(data: bytes, rng: random.Random, text: bool) -> bytes:
    """One to four random edits: flip, delete, insert, duplicate, truncate,
    replace a number by an extreme, insert a token."""
    b = bytearray(data)
    tokens = [b"(", b")", b"[", b"]", b"{", b"}", b",", b":", b"=", b"\n", b"-", b"1e309",
              b"nan", b"inf", b"99999999999999999999", b"-1", b"0", b"\x00", b"\xff\xfe",
              b"'", b'"', b"\\", b"NaN", b"f64", b"class(", b"model ", b"#"]
    for _ in range(rng.randint(1, 4)):
        if not b:
            b += rng.choice(tokens)
            continue
        at = rng.randrange(len(b))
        op = rng.randrange(7)
        if op == 0:
            b[at] ^= 1 << rng.randrange(8)
        elif op == 1:
            del b[at:at + rng.randint(1, 16)]
        elif op == 2:
            b[at:at] = rng.choice(tokens)
        elif op == 3:
            end = min(len(b), at + rng.randint(1, 64))
            b[at:at] = b[at:end]
        elif op == 4:
            del b[rng.randrange(len(b)):]
        elif op == 5 and text:
            nums = [m.span() for m in re.finditer(rb"\d+(\.\d+)?", bytes(b))]
            if nums:
                s, e = rng.choice(nums)
                b[s:e] = rng.choice([b"0", b"-3", b"1e30", b"4294967297", b"9223372036854775808",
                                     b"0.5", b"1e-320"])
        else:
            b[at] = rng.randrange(256)
    return bytes(b)


def seeds(root, work, nnc):
    """The valid inputs mutants are made from, per kind."""
    ex = os.path.join(root, "examples")
    models = [os.path.join(ex, f) for f in sorted(os.listdir(ex)) if f.endswith(".nn")]
    models += [os.path.join(root, "test", "export", "Inputs", "layers.nn")]
    two = os.path.join(root, "test", "data", "Inputs", "two_inputs.nn")
    seed_dir = os.path.join(work, "seeds")
    os.makedirs(seed_dir, exist_ok=True)
    csv = b"x_0,x_1,t\n1,2,0.5\n3,4,1\n-1.5,2e-3,0\n"
    # .npy (format 1.0) of two f32 samples of 2, and its target.
    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }"
    header += b" " * ((64 - (10 + len(header) + 1) % 64) % 64) + b"\n"
    npy = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + struct.pack("<4f", 1, 2, 3, 4)
    theader = b"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
    theader += b" " * ((64 - (10 + len(theader) + 1) % 64) % 64) + b"\n"
    tnpy = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(theader)) + theader + struct.pack("<2f", 0, 1)
    idx = b"\x00\x00\x0d\x02" + struct.pack(">II", 2, 2) + struct.pack(">4f", 1, 2, 3, 4)
    with open(os.path.join(seed_dir, "t.npy"), "wb") as f:
        f.write(tnpy)
    json = b'{"x": [[1, 2], [3.5, -4e-2]]}'
    ckpt = os.path.join(seed_dir, "m.ckpt")
    with open(os.path.join(seed_dir, "x.csv"), "wb") as f:
        f.write(csv)
    subprocess.run([nnc, "train", two, "--data", os.path.join(seed_dir, "x.csv"), "--steps", "2",
                    "-o", ckpt, "--quiet"], capture_output=True, check=True)
    onnx = os.path.join(seed_dir, "m.onnx")
    subprocess.run([nnc, "export", two, "--params", ckpt, "-o", onnx, "--quiet"],
                   capture_output=True, check=True)
    read = lambda p: open(p, "rb").read()
    return {
        "model": [(read(m), True) for m in models],
        "csv": [(csv, True)],
        "npy": [(npy, False)],
        "idx": [(idx, False)],
        "json": [(json, True)],
        "checkpoint": [(read(ckpt), False)],
        "onnx": [(read(onnx), False)],
    }, two, seed_dir


def command(kind, nnc, two, seed_dir, path, out_dir):
    t = os.path.join(seed_dir, "t.npy")
    good_x = os.path.join(seed_dir, "x.csv")
    return {
        "model": [nnc, "check", path],
        "csv": [nnc, "train", two, "--data", path, "--steps", "1", "--quiet"],
        "npy": [nnc, "train", two, "--data", "x=" + path, "--data", "t=" + t, "--steps", "1", "--quiet"],
        "idx": [nnc, "train", two, "--data", "x=" + path, "--data", "t=" + t, "--steps", "1", "--quiet"],
        "json": [nnc, "predict", two, "--input", path],
        "checkpoint": [nnc, "eval", two, "--params", path, "--data", good_x],
        "onnx": [nnc, "import", path, "-o", os.path.join(out_dir, "m.nn")],
    }[kind]


# Refusals that are about the run, not a place in the input: training
# accepted the data and the loss overflowed.
RUN_OUTCOMES = re.compile(r"the loss (became|on the training data is) (NaN|Infinity|-Infinity)")


def located(kind, path, stderr):
    if RUN_OUTCOMES.search(stderr):
        return True
    if kind == "model":
        return re.search(re.escape(path) + r":\d+:\d+: (error|warning)", stderr) is not None
    return path in stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("nnc")
    ap.add_argument("root")
    ap.add_argument("work")
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=20)
    args = ap.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    pool, two, seed_dir = seeds(args.root, args.work, args.nnc)
    rng = random.Random(args.seed)
    plan = []
    for i in range(args.count):
        kind = KINDS[i % len(KINDS)]
        data, text = rng.choice(pool[kind])
        plan.append((i, kind, mutate(data, rng, text)))
    ext = {"model": ".nn", "csv": ".csv", "npy": ".npy", "idx": ".idx", "json": ".json",
           "checkpoint": ".ckpt", "onnx": ".onnx"}

    def run(item):
        i, kind, data = item
        d = os.path.join(args.work, "m%05d" % i)
        os.makedirs(d)
        path = os.path.join(d, "in" + ext[kind])
        with open(path, "wb") as f:
            f.write(data)
        cmd = command(kind, args.nnc, two, seed_dir, path, os.path.join(d, "out"))
        try:
            p = subprocess.run(cmd, capture_output=True, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            return i, kind, "hang", ""
        err = p.stderr.decode("utf-8", "replace")
        if p.returncode >= 3 or p.returncode < 0 or "internal error" in err:
            return i, kind, "crash", err
        if p.returncode != 0 and not located(kind, path, err):
            return i, kind, "unlocated", err
        shutil.rmtree(d)
        return i, kind, "ok" if p.returncode == 0 else "refused", ""

    with ThreadPoolExecutor(args.jobs) as ex:
        results = list(ex.map(run, plan))
    counts = {k: {} for k in KINDS}
    failures = []
    for i, kind, verdict, err in results:
        counts[kind][verdict] = counts[kind].get(verdict, 0) + 1
        if verdict in ("crash", "hang", "unlocated"):
            failures.append((i, kind, verdict, err))
    for kind in KINDS:
        c = counts[kind]
        print("%-10s %4d inputs: %d accepted, %d refused with a location, %d crashes, %d hangs, "
              "%d unlocated" % (kind, sum(c.values()), c.get("ok", 0), c.get("refused", 0),
                               c.get("crash", 0), c.get("hang", 0), c.get("unlocated", 0)))
    total = {v: sum(c.get(v, 0) for c in counts.values()) for v in ("crash", "hang", "unlocated")}
    print("total %d inputs (seed %d): %d crashes, %d hangs, %d unlocated" % (
        len(results), args.seed, total["crash"], total["hang"], total["unlocated"]))
    for i, kind, verdict, err in failures[:50]:
        print("FAIL %s m%05d (%s): %s" % (verdict, i, kind, err.strip().splitlines()[-1:] if err else ""))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
