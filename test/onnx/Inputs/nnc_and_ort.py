"""Runs one ONNX model through nnc (import + predict) and onnxruntime
(scripts/ort_run.js) on the same .npy inputs: the shared part of the
check_*_ort.py scripts."""
import os
import subprocess
import sys

import numpy as np
import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit("%s failed (%d): %s" % (cmd[0], r.returncode, r.stderr))
    return r.stdout


def onnxruntime_path():
    """The NODE_PATH of onnxruntime-node (fetched on first use)."""
    return run(["bash", os.path.join(ROOT, "scripts", "fetch_onnxruntime.sh")]).strip()


def nnc_predict(nnc, d, model, feeds):
    """Saves `model` as d/m.onnx and the feeds as d/NAME.npy, imports and
    predicts it with nnc (d/y.npy, or d/y.OUTPUT.npy with several outputs);
    returns the model's path and the NAME=FILE input specs."""
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "m.onnx")
    onnx.save(model, path)
    specs = []
    for k, v in feeds.items():
        np.save(os.path.join(d, k + ".npy"), v)
        specs.append("%s=%s" % (k, os.path.join(d, k + ".npy")))
    run([nnc, "import", path, "-o", os.path.join(d, "m.nn")])
    run([nnc, "predict", os.path.join(d, "m.nn"), "--params", os.path.join(d, "m.ckpt"),
         "--input", ",".join(specs), "-o", os.path.join(d, "y.npy")])
    return path, specs


def ort_predict(node_path, model_path, outdir, specs):
    """onnxruntime's outputs of the model as OUTDIR/OUTPUT.npy."""
    run(["node", os.path.join(ROOT, "scripts", "ort_run.js"), model_path, outdir] + specs,
        env=dict(os.environ, NODE_PATH=node_path))
