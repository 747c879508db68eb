#!/usr/bin/env python3
"""Runs the ONNX backend test suite (Debian's libonnx-testdata) through
`nnc import` + `nnc predict` and compares with the stored outputs (rtol 1e-3,
atol 1e-5 for floats; exact for integers).

  scripts/onnx_conformance.py --nnc build/bin/nnc [--table docs/onnx.md]
      [--only LIST] [--write-passing LIST] [--folders node,pytorch-converted,...]

Each test is pass, fail (nnc imported it and gave other numbers, or crashed)
or unsupported (nnc refused it with a message, or the test needs what the
importer does not take). --only runs the tests a file lists (folder/test per
line) and exits non-zero unless every one passes: ctest's pinned list.
"""
import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import numpy_helper

DATA = "/usr/share/libonnx-testdata/data"
FOLDERS = ["node", "pytorch-converted", "pytorch-operator", "simple"]
RESERVED = {"model", "input", "target", "param", "const", "output", "loss", "metric", "init",
            "def", "return", "optimizer", "data", "train", "pi", "true", "false"}


def identifier(name):
    """support/Identifiers.h's rule."""
    s = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not s or s[0].isdigit():
        s = "_" + s
    return s + "_" if s in RESERVED else s


# The inputs that earlier opsets took as attributes, or that decide a
# shape, and a recurrent node's weights: nnc compiles static shapes, so a test that feeds them as graph
# inputs is imported with them fixed to the test's values (`nnc import
# --freeze`), as an exporter folds them; the table names them.
SHAPE_ROLES = {"Reshape": {1}, "Resize": {1, 2, 3}, "Upsample": {1}, "Slice": {1, 2, 3, 4},
               "Expand": {1}, "Squeeze": {1}, "Unsqueeze": {1}, "Split": {1}, "Pad": {1, 2},
               "ConstantOfShape": {0}, "Tile": {1}, "TopK": {1}, "OneHot": {1, 2},
               "Clip": {1, 2}, "Range": {0, 1, 2}, "Dropout": {1, 2}, "CumSum": {1},
               "Trilu": {1}, "Compress": {1}, "DFT": {1}, "STFT": {1, 3},
               "MelWeightMatrix": {0, 1, 2, 3, 4}, "If": {0}, "Loop": {0, 1}, "HannWindow": {0}, "HammingWindow": {0}, "BlackmanWindow": {0},
               # A recurrent node's weights (W, R, B; P for LSTM): the suite
               # feeds them as inputs, exporters write them as initializers.
               "LSTM": {1, 2, 3, 7}, "GRU": {1, 2, 3}, "RNN": {1, 2, 3}}
SHAPE_ROLES.update({op: {1} for op in ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin",
                                       "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum",
                                       "ReduceLogSumExp", "ReduceSumSquare"]})


# Ops whose output depends only on their input's shape, not its values.
SHAPE_READERS = {"Shape", "Size", "EyeLike", "ConstantOfShape"}


def frozen_inputs(model, inputs):
    """The graph inputs that feed a SHAPE_ROLES position and nothing else,
    and those whose values reach one through other nodes (a Range's limit
    cast from an input, as the window functions' expanded tests compute)."""
    roles, other = set(), set()
    for node in model.graph.node:
        for k, name in enumerate(node.input):
            (roles if k in SHAPE_ROLES.get(node.op_type, ()) else other).add(name)
    direct = [name for name in inputs if name in roles and name not in other]
    # Computed values that decide a shape, followed back to the inputs.
    decides = set(roles)
    for node in reversed(model.graph.node):
        if node.op_type not in SHAPE_READERS and any(o in decides for o in node.output):
            decides.update(node.input)
    computed = set(inputs) & (decides - roles)
    return [name for name in inputs if name in direct or name in computed]


def load_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def run_test(nnc, folder, test, work):
    """(status, detail) with status in pass, fail, unsupported."""
    src = os.path.join(DATA, folder, test)
    data = os.path.join(src, "test_data_set_0")
    if not os.path.isdir(data):
        return "unsupported", "no test data set in the suite"
    tmp = os.path.join(work, folder + "_" + test)
    os.makedirs(tmp, exist_ok=True)
    nn = os.path.join(tmp, "m.nn")
    model = onnx.load(os.path.join(src, "model.onnx"), load_external_data=False)
    inits = {t.name for t in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in inits]
    frozen = frozen_inputs(model, inputs)
    cmd = [nnc, "import", os.path.join(src, "model.onnx"), "-o", nn]
    for name in frozen:
        cmd += ["--freeze", "%s=%s" % (name, os.path.join(data, "input_%d.pb" % inputs.index(name)))]
    note = "frozen: " + ", ".join(frozen) if frozen else ""
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return "fail", "import timed out"
    if r.returncode == 1:
        message = r.stderr.strip().splitlines()[0] if r.stderr.strip() else "refused"
        return "unsupported", message.split(": error: ", 1)[-1] + (" (%s)" % note if note else "")
    if r.returncode != 0:
        return "fail", "import exit %d: %s" % (r.returncode, r.stderr.strip()[-200:])
    specs = []
    for k, name in enumerate(inputs):
        if name in frozen:
            continue
        pb = os.path.join(data, "input_%d.pb" % k)
        if not os.path.exists(pb):
            return "unsupported", "input %d has no stored value" % k
        path = os.path.join(tmp, "in%d.npy" % k)
        np.save(path, load_pb(pb))
        specs.append("%s=%s" % (name, path))
    outs = [o.name for o in model.graph.output]
    out = os.path.join(tmp, "y.npy")
    cmd = [nnc, "predict", nn, "--params", os.path.join(tmp, "m.ckpt"), "-o", out]
    if specs:
        cmd += ["--input", ",".join(specs)]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return "fail", "predict timed out"
    if r.returncode == 1 and ": error: " in r.stderr:
        # A clear refusal of the data (a negative Gather index, say): not
        # another answer, so not a failure.
        message = r.stderr.strip().splitlines()[0].split(": error: ", 1)[-1]
        return "unsupported", "predict refuses the test's data: " + message + (" (%s)" % note if note else "")
    if r.returncode != 0:
        return "fail", "predict exit %d: %s" % (r.returncode, r.stderr.strip()[-200:])
    for k, name in enumerate(outs):
        want = load_pb(os.path.join(data, "output_%d.pb" % k))
        path = out if len(outs) == 1 else os.path.join(tmp, "y.%s.npy" % identifier(name))
        got = np.load(path)
        if got.shape != want.shape:
            return "fail", "output '%s' has shape %s, expected %s" % (name, list(got.shape), list(want.shape))
        if got.dtype != want.dtype:
            return "fail", "output '%s' is %s, expected %s" % (name, got.dtype, want.dtype)
        if np.issubdtype(want.dtype, np.floating):
            ok = np.allclose(got, want, rtol=1e-3, atol=1e-5, equal_nan=True)
        else:
            ok = np.array_equal(got, want)
        if not ok:
            err = np.max(np.abs(got.astype(np.float64) - want.astype(np.float64)))
            return "fail", "output '%s' differs (max error %.3g)" % (name, err)
    shutil.rmtree(tmp, ignore_errors=True)
    return "pass", note


def write_table(path, results, seconds, nnc):
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip()
    lines = ["# ONNX in: conformance with the ONNX backend test suite", "",
             "Generated by `scripts/onnx_conformance.py --nnc build/bin/nnc --table docs/onnx.md` "
             "on %s (commit %s, %.0f s on 2 cores); do not edit by hand. How `nnc import` works: "
             "[onnx-import.md](onnx-import.md)." % (time.strftime("%Y-%m-%d"), commit or "?", seconds), "",
             "Every test of Debian's `libonnx-testdata` 1.12 (the ONNX project's backend test "
             "data: `node`, `pytorch-converted`, `pytorch-operator`, `simple`) runs through "
             "`nnc import` and `nnc predict`, and its outputs are compared with the stored ones "
             "(rtol 1e-3, atol 1e-5 for floats; exact for integers). **pass**: equal; **fail**: "
             "imported, but other numbers, shapes or types (or a crash); **unsupported**: refused "
             "by the importer, or the test's data by `nnc predict`, with the message shown. A test that feeds a shape, scales, axes, "
             "another input that ONNX once took as an attribute, or an input whose values decide a "
             "shape or the graph (Compress's and If's conditions, a Range limit computed from an input, "
             "MelWeightMatrix's sizes) is imported with those inputs "
             "fixed to its values (`nnc import --freeze`; *frozen* in the table), as an exporter "
             "folds them: nnc compiles static shapes. So are the weights W, R and B of an LSTM, "
             "GRU or RNN node fed as inputs, which exporters write as initializers. `test/onnx/conformance_1..4.test` run every "
             "passing test in ctest (`test/onnx/Inputs/conformance_passing.txt`).", "",
             "| folder | tests | pass | fail | unsupported |", "| --- | --- | --- | --- | --- |"]
    for folder in FOLDERS:
        rows = [r for r in results if r[0] == folder]
        if not rows:
            continue
        count = lambda s: sum(1 for r in rows if r[2] == s)
        lines.append("| %s | %d | %d | %d | %d |" % (folder, len(rows), count("pass"), count("fail"),
                                                      count("unsupported")))
    for folder in FOLDERS:
        rows = sorted(r for r in results if r[0] == folder)
        if not rows:
            continue
        lines += ["", "## %s" % folder, "", "| test | result | detail |", "| --- | --- | --- |"]
        for _, test, status, detail in rows:
            lines.append("| %s | %s | %s |" % (test, status, detail.replace("|", "\\|")))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nnc", required=True)
    ap.add_argument("--folders", default=",".join(FOLDERS))
    ap.add_argument("--only")
    ap.add_argument("--table")
    ap.add_argument("--write-passing")
    ap.add_argument("--jobs", type=int, default=2)
    # K/N: every N-th test from the K-th (1-based), so ctest can run the
    # pinned list as N tests side by side with the rest of the suite.
    ap.add_argument("--shard")
    args = ap.parse_args()
    nnc = os.path.abspath(args.nnc)
    if args.only:
        with open(args.only) as f:
            tests = [tuple(l.strip().split("/", 1)) for l in f if l.strip() and not l.startswith("#")]
    else:
        tests = [(folder, t) for folder in args.folders.split(",")
                 for t in sorted(os.listdir(os.path.join(DATA, folder)))]
    if args.shard:
        k, n = (int(v) for v in args.shard.split("/"))
        tests = tests[k - 1::n]
    start = time.time()
    work = tempfile.mkdtemp(prefix="nnc-onnx-")
    results = []
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = {pool.submit(run_test, nnc, f, t, work): (f, t) for f, t in tests}
        for fut in concurrent.futures.as_completed(futures):
            f, t = futures[fut]
            status, detail = fut.result()
            results.append((f, t, status, detail))
            if args.only and status != "pass":
                print("%s/%s: %s: %s" % (f, t, status, detail))
    shutil.rmtree(work, ignore_errors=True)
    seconds = time.time() - start
    for folder in FOLDERS:
        rows = [r for r in results if r[0] == folder]
        if rows:
            print("%s: %d tests, %d pass, %d fail, %d unsupported" % (
                folder, len(rows), sum(r[2] == "pass" for r in rows),
                sum(r[2] == "fail" for r in rows), sum(r[2] == "unsupported" for r in rows)))
    print("%.0f s" % seconds)
    if args.table:
        write_table(args.table, results, seconds, nnc)
    if args.write_passing:
        with open(args.write_passing, "w") as f:
            f.write("# Tests of scripts/onnx_conformance.py that pass; test/onnx/conformance_*.test\n"
                    "# runs them (a test that passed keeps passing). Regenerate with --write-passing.\n")
            for r in sorted(results):
                if r[2] == "pass":
                    f.write("%s/%s\n" % (r[0], r[1]))
    if args.only:
        sys.exit(0 if all(r[2] == "pass" for r in results) else 1)


if __name__ == "__main__":
    main()
