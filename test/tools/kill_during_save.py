#!/usr/bin/env python3
"""Kills `nnc train ... -o CKPT` with SIGKILL while it writes CKPT, again and
again, and checks after every kill that CKPT still loads and resumes.

Each trial resumes from CKPT (which proves the previous trial left a whole
checkpoint: loading checks every record's CRC), trains one more step and
starts saving; the moment the temporary file CKPT.tmp.PID appears, a random
delay within the measured write time later, the process is killed. A kill
that lands before the rename must leave the previous checkpoint (the step
before); one that lands after it, the new one. Usage:

  kill_during_save.py NNC MODEL WORKDIR TRIALS
"""
import os, pty, random, re, signal, subprocess, sys, time

nnc, model, work, want = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
os.makedirs(work, exist_ok=True)
ckpt = os.path.join(work, "model.ckpt")
random.seed(7)


def start(args):
    # stdout on a pseudo-terminal: line-buffered, so what nnc printed before
    # the kill is not lost in a pipe buffer.
    master, slave = pty.openpty()
    proc = subprocess.Popen([nnc] + args, stdout=slave, stderr=subprocess.STDOUT)
    os.close(slave)
    return proc, master


def read_all(master):
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return out.decode(errors="replace")


def resumed_step(text):
    m = re.search(r"resuming from \S+ at step (\d+)", text)
    return int(m.group(1)) if m else None


# A first checkpoint, and the time a save takes (how long the temp file lives).
proc, master = start(["train", model, "--steps", "1", "-o", ckpt])
temp = f"{ckpt}.tmp.{proc.pid}"
while not os.path.exists(temp) and proc.poll() is None:
    time.sleep(0.0002)
t0 = time.monotonic()
while os.path.exists(temp):
    time.sleep(0.0002)
window = time.monotonic() - t0
proc.wait()
read_all(master)
if proc.returncode != 0 or not os.path.exists(ckpt):
    sys.exit("the first training run failed")
print(f"a save takes {window * 1000:.0f} ms")

step, mid_write, trials, failures = 1, 0, 0, 0
while mid_write < want and trials < 3 * want:
    trials += 1
    proc, master = start(["train", model, "--resume", ckpt, "--steps", str(step + 1), "-o", ckpt])
    temp = f"{ckpt}.tmp.{proc.pid}"
    while not os.path.exists(temp) and proc.poll() is None:
        time.sleep(0.0002)
    time.sleep(random.uniform(0, window * 0.9))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    text = read_all(master)
    killed_in_write = os.path.exists(temp)
    if killed_in_write:
        mid_write += 1
        os.remove(temp)  # what a killed save leaves behind; the checkpoint is intact
    got = resumed_step(text)
    if got != step:
        failures += 1
        print(f"trial {trials}: could not resume from the checkpoint of step {step}:\n{text}")
        break
    # The checkpoint now holds the old step (killed before the rename) or
    # the new one (killed after it, or finished): the next trial tells.
    step_after = step + (0 if killed_in_write else 1)
    print(f"trial {trials}: resumed at step {step}; killed "
          f"{'while writing' if killed_in_write else 'after the rename'}")
    step = step_after if killed_in_write else None
    if step is None:
        # Killed after the rename (or it finished): either step is whole.
        probe, m2 = start(["train", model, "--resume", ckpt, "--steps", "1"])
        probe.wait()
        step = resumed_step(read_all(m2))
        if step is None:
            failures += 1
            print(f"trial {trials}: the checkpoint does not load after the rename")
            break

# Finally the checkpoint must still resume and train to completion.
proc, master = start(["train", model, "--resume", ckpt, "--steps", str(step + 1), "--quiet"])
proc.wait()
text = read_all(master)
if proc.returncode != 0:
    failures += 1
    print("the final resume failed:\n" + text)
print(f"{mid_write} kills while writing, {trials} trials, {failures} failures")
sys.exit(1 if failures or mid_write < want else 0)
