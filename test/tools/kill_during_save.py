#!/usr/bin/env python3
"""Kills `nnc train ... -o CKPT` at chosen points of writing CKPT and checks
after every kill that CKPT still loads and resumes.

The points are injected, not timed: NNC_FAULT_SAVE=N makes the save die
with SIGKILL after writing N bytes of its temporary file CKPT.tmp.PID (as a
crash or kill -9 at that moment would), NNC_FAULT_SAVE=renamed right after
the rename. Each trial resumes from CKPT, trains one more step and dies in
its save: killed in the write, CKPT must still be the previous checkpoint
(the step before, every record's CRC checked by the resume); killed after
the rename, the new one. The offsets cover the first bytes, every record
boundary region and the last byte. Usage:

  kill_during_save.py NNC MODEL WORKDIR
"""
import os, re, subprocess, sys

nnc, model, work = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(work, exist_ok=True)
ckpt = os.path.join(work, "model.ckpt")


def train(args, fault=None):
    env = dict(os.environ)
    env.pop("NNC_FAULT_SAVE", None)
    if fault is not None:
        env["NNC_FAULT_SAVE"] = str(fault)
    p = subprocess.run([nnc, "train", model] + args, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    return p.returncode, p.stdout


def resumed_step(text):
    m = re.search(r"resuming from \S+ at step (\d+)", text)
    return int(m.group(1)) if m else None


code, text = train(["--steps", "1", "-o", ckpt])
if code != 0 or not os.path.exists(ckpt):
    sys.exit("the first training run failed:\n" + text)
size = os.path.getsize(ckpt)
print(f"a checkpoint has {size} bytes")
# Offsets: the magic, the first record's header, 16 points spread over the
# tensor records, the END record's bytes, the whole file.
offsets = sorted(set([0, 1, 7, 8, 12, 20, 21] + [size * k // 17 for k in range(1, 17)] +
                     [size - 16, size - 5, size - 4, size - 1, size]))
step, failures, kills = 1, 0, 0
for trial, fault in enumerate(offsets + ["renamed"], 1):
    code, text = train(["--resume", ckpt, "--steps", str(step + 1), "-o", ckpt], fault)
    temps = [f for f in os.listdir(work) if f.startswith("model.ckpt.tmp.")]
    killed = code == -9
    # Output before a SIGKILL may be lost in a pipe buffer: what the killed
    # run resumed from is asked of a run that is not killed.
    _, probe = train(["--resume", ckpt, "--steps", "1"])
    got = resumed_step(probe)
    expected = step + 1 if fault == "renamed" else step
    if not killed or got != expected:
        failures += 1
        print(f"trial {trial} (fault {fault}): exit {code}, the checkpoint is at step {got}, "
              f"expected {expected}:\n{text}{probe}")
        break
    kills += 1
    if fault == "renamed":
        step += 1  # the new checkpoint is in place; its temporary file is gone
        if temps:
            failures += 1
            print(f"trial {trial}: a temporary file is left after the rename: {temps}")
    else:
        if len(temps) != 1 or os.path.getsize(os.path.join(work, temps[0])) != fault:
            failures += 1
            print(f"trial {trial}: expected one temporary file of {fault} bytes, found {temps}")
        for t in temps:
            os.remove(os.path.join(work, t))  # what a killed save leaves behind
    if trial <= 2 or fault == "renamed":
        print(f"trial {trial}: killed after {fault} bytes; the checkpoint of step {got} resumes")

# Finally the checkpoint must still resume and train to completion.
code, text = train(["--resume", ckpt, "--steps", str(step + 1), "--quiet"])
if code != 0 or resumed_step(text) not in (None, step):
    failures += 1
    print("the final resume failed:\n" + text)
print(f"{kills} kills at chosen points ({len(offsets)} while writing, 1 after the rename), "
      f"{failures} failures")
sys.exit(1 if failures else 0)
