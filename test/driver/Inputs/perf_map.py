"""perf_map.py COMMAND...: runs COMMAND (nnc, with the environment given),
then reads the perf map it left, /tmp/perf-PID.map: checks every line is
"START SIZE NAME" in hex with no two functions overlapping, prints the
names sorted (or "no perf map"), and removes the file."""
import os, re, subprocess, sys

proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
if proc.wait() != 0:
    sys.exit("command failed")
path = "/tmp/perf-%d.map" % proc.pid
if not os.path.exists(path):
    print("no perf map")
    sys.exit(0)
spans = []
with open(path) as f:
    for line in f:
        m = re.fullmatch(r"([0-9a-f]+) ([0-9a-f]+) (\S+)\n", line)
        if not m:
            sys.exit("malformed line: %r" % line)
        spans.append((int(m[1], 16), int(m[2], 16), m[3]))
os.remove(path)
spans.sort()
for (a, n, name), (b, _, other) in zip(spans, spans[1:]):
    if a + n > b:
        sys.exit("%s overlaps %s" % (name, other))
for name in sorted(s[2] for s in spans):
    print(name)
