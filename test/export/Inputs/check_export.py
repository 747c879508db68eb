"""Exports an nnc model to ONNX and checks it three ways:
  1. onnx.checker (full check, with shape inference) accepts the file;
  2. onnxruntime (scripts/ort_run.js) gives nnc predict's outputs on random
     inputs, to 1e-5 relative (f32) or 1e-12 (f64);
  3. with --reimport, `nnc import` of the exported file gives them too.
Prints one line per output with the largest difference, and exits 1 when a
check fails.

  check_export.py NNC MODEL.nn WORKDIR [--params CKPT] [--batch B] [--ids HIGH]
                  [--reimport] [--opset N]
"""
import argparse
import os
import subprocess
import sys

import numpy as np
import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
NP_TYPES = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.DOUBLE: np.float64,
            onnx.TensorProto.INT64: np.int64}


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {r.returncode}:\n{r.stdout}{r.stderr}")
    return r.stdout


def predict(nnc, model, params, inputs, out):
    cmd = [nnc, "predict", model, "-o", out, "--quiet"]
    if params:
        cmd += ["--params", params]
    cmd += ["--input", ",".join(f"{name}={path}" for name, path in inputs.items())]
    run(cmd)


def outputs_of(prefix, names):
    if len(names) == 1:
        return {names[0]: np.load(prefix + ".npy")}
    return {n: np.load(f"{prefix}.{n}.npy") for n in names}


def compare(label, want, got, tolerance):
    ok = True
    for name in want:
        a, b = want[name], got[name]
        if a.shape != b.shape or a.dtype != b.dtype:
            print(f"FAIL {label} {name}: nnc {a.dtype}{list(a.shape)}, other {b.dtype}{list(b.shape)}")
            ok = False
            continue
        scale = np.maximum(1.0, np.abs(a.astype(np.float64)))
        err = float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)) / scale)) if a.size else 0.0
        verdict = "ok" if err <= tolerance else "FAIL"
        print(f"{verdict} {label} {name} {a.dtype}{list(a.shape)}: max relative difference {err:.2e} "
              f"(tolerance {tolerance:g})")
        ok = ok and err <= tolerance
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("nnc")
    ap.add_argument("model")
    ap.add_argument("work")
    ap.add_argument("--params")
    ap.add_argument("--batch", type=int, default=3)
    ap.add_argument("--ids", type=int, default=10, help="int64 inputs are drawn from 0..IDS-1")
    ap.add_argument("--opset", type=int)
    ap.add_argument("--reimport", action="store_true")
    ap.add_argument("--scale", type=float, default=1.0, help="float inputs are uniform in +-SCALE")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    onnx_path = os.path.join(args.work, "model.onnx")
    cmd = [args.nnc, "export", args.model, "-o", onnx_path]
    if args.params:
        cmd += ["--params", args.params]
    if args.opset:
        cmd += ["--opset", str(args.opset)]
    print(run(cmd).strip())

    m = onnx.load(onnx_path)
    onnx.checker.check_model(m, full_check=True)
    print("onnx.checker: ok, opset", m.opset_import[0].version)
    counts = {}
    for node in m.graph.node:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
    print("ops:", " ".join(f"{k}={counts[k]}" for k in sorted(counts)))
    print("initializers:", " ".join(sorted(t.name for t in m.graph.initializer
                                          if not t.name.startswith("const"))))
    rng = np.random.default_rng(7)
    inputs = {}
    for i in m.graph.input:
        t = i.type.tensor_type
        shape = [d.dim_value if d.HasField("dim_value") else args.batch for d in t.shape.dim]
        dtype = NP_TYPES[t.elem_type]
        if dtype == np.int64:
            x = rng.integers(0, args.ids, size=shape, dtype=np.int64)
        else:
            x = rng.uniform(-args.scale, args.scale, size=shape).astype(dtype)
        path = os.path.join(args.work, f"in_{i.name}.npy")
        np.save(path, x)
        inputs[i.name] = path
    names = [o.name for o in m.graph.output]
    f64 = any(o.type.tensor_type.elem_type == onnx.TensorProto.DOUBLE for o in m.graph.output)
    tolerance = 1e-12 if f64 else 1e-5

    prefix = os.path.join(args.work, "nnc")
    predict(args.nnc, args.model, args.params, inputs, prefix + ".npy")
    want = outputs_of(prefix, names)
    modules = run([os.path.join(ROOT, "scripts", "fetch_onnxruntime.sh")]).strip()
    ort_dir = os.path.join(args.work, "ort")
    # onnxruntime's 'all' level fuses double graphs into float-only kernels
    # (QuickGelu); f64 models run with its basic optimizations.
    run(["node", os.path.join(ROOT, "scripts", "ort_run.js"), onnx_path, ort_dir] +
        [f"{k}={v}" for k, v in inputs.items()] + (["--optimization", "basic"] if f64 else []),
        env=dict(os.environ, NODE_PATH=modules))
    ok = compare("onnxruntime", want, {n: np.load(os.path.join(ort_dir, n + ".npy")) for n in names},
                 tolerance)
    if args.reimport:
        nn = os.path.join(args.work, "reimported", "m.nn")
        run([args.nnc, "import", onnx_path, "-o", nn])
        back = os.path.join(args.work, "back")
        predict(args.nnc, nn, nn[:-3] + ".ckpt", inputs, back + ".npy")
        ok = compare("reimported", want, outputs_of(back, names), tolerance) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
