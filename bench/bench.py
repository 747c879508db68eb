"""nnc against PyTorch, side by side on this machine (issue 5's benchmark).

Run through bench/run.sh. Runs W1..W8, W4's and W7's compile time, object size and
peak memory, for nnc and the PyTorch peers in bench/peers/, at 1 and 2
threads; prints the table and writes docs/performance.md (temp + rename).
Raw numbers go to bench/out/results.json. Standard library only."""
import argparse
import datetime
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
PEERS = os.path.join(BENCH, "peers")
TORCH_PYTHON = "/usr/bin/python3"  # Debian's, with python3-torch 1.13
THREADS = (1, 2)

# Training flops per image (multiply-add = 2), for "% of peak". Dense
# layer in->out: forward 2*in*out, weight gradient as much again, data
# gradient as much again except for the first layer (the input needs none).
# W3: 784-512-10. W4 (same-padded 5x5 convs as matrix products): conv1
# 28*28*32*25*1 MACs, conv2 14*14*64*25*32, fc1 3136*1024, fc2 1024*10.
FLOPS_W3 = 2 * (784 * 512 + 512 * 10) * 2 + 2 * 512 * 10
_W4_MACS = [28 * 28 * 32 * 25, 14 * 14 * 64 * 25 * 32, 3136 * 1024, 1024 * 10]
FLOPS_W4 = 2 * (2 * _W4_MACS[0] + 3 * sum(_W4_MACS[1:]))

# The goals: nnc's advantage (see ratio()) at least this much.
# `nnc train` start-up goal: < 1 s for these (issue 20); the data they need.
STARTUP_MODELS = [("mazur", []), ("sincos", []),
                  ("house_price", ["--data", "ROOT/examples/data/house_prices.csv"]),
                  ("mlp26", []), ("mnist_mlp", "mnist"), ("mnist_cnn", "mnist"), ("lenet5", "mnist")]

GOALS = {"W1": 100, "W2": 10, "W3": 1.1, "W4": 1.5, "W5-mlp": 3, "W5-cnn": 3,
         "W5-mlp-ort": 1.2, "W5-cnn-ort": 1.2,
         "W6-1024x1024x1024": 0.9, "W4-rss": 1.0, "W7": 1.5, "W9": 2.0}


def log(message):
    print(message, file=sys.stderr, flush=True)


# Cores that other processes kept busy during each run() (other_cores):
# a figure measured while other work shared the CPUs is marked, not
# reported as a ratio.
RUNS = []


def busy_seconds():
    """CPU-seconds all CPUs spent busy since boot (/proc/stat), or None."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_seconds():
    """CPU-seconds of this process and its finished children."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run(cmd, env=None, cwd=None, check=True):
    """Runs cmd; returns its stdout. Fails loudly with its output. Records
    in RUNS how many cores other processes used meanwhile: the machine's
    busy time less this process's and cmd's (threads and children
    included), over the wall time."""
    busy0, own0, t0 = busy_seconds(), own_seconds(), time.time()
    p = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    busy1, own1, wall = busy_seconds(), own_seconds(), time.time() - t0
    if busy0 is not None and busy1 is not None and wall > 0.05:
        RUNS.append(max(0.0, (busy1 - busy0 - (own1 - own0)) / wall))
    if check and p.returncode != 0:
        raise SystemExit("bench: command failed (exit %d): %s\n%s%s" % (
            p.returncode, " ".join(cmd), p.stdout[-3000:], p.stderr[-3000:]))
    return p.stdout


def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "n": len(values), "values": values}


class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.reps = args.reps or (2 if args.quick else 5)
        self.build = os.path.abspath(args.build)
        self.nnc = os.path.join(self.build, "bin", "nnc")
        self.libnnrt = os.path.join(self.build, "runtime", "libnnrt.a")
        self.include = os.path.join(ROOT, "runtime", "include")
        self.out = os.path.join(BENCH, "out")
        os.makedirs(self.out, exist_ok=True)
        for path in (self.nnc, self.libnnrt):
            if not os.path.exists(path):
                raise SystemExit("bench: %s not found: build nnc first (scripts/bootstrap.sh)"
                                 " or pass --build DIR" % path)
        self.nnc_threads = "--threads" in run([self.nnc, "--help"])
        with open(os.path.join(self.include, "nnrt.h")) as f:
            self.aot_threads = "nnrt_model_set_threads" in f.read()
        self.results = {}  # key -> {"nnc": {T: summary}, "torch": {T: summary}, ...}
        self.notes = []
        self.runs_seen = 0  # RUNS[:runs_seen] belong to figures already recorded

    # ----------------------------------------------------------------- peers
    def torch_env(self, threads):
        env = dict(os.environ)
        env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(threads)
        env["OPENBLAS_NUM_THREADS"] = str(threads)
        if self.openblas_dir:
            env["LD_LIBRARY_PATH"] = self.openblas_dir + (
                ":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
        return env

    def peer(self, script, threads, extra=(), time_file=None):
        cmd = [TORCH_PYTHON, os.path.join(PEERS, script), "--threads", str(threads),
               "--reps", str(self.reps), "--mnist", self.mnist] + list(extra)
        if self.quick:
            cmd.append("--quick")
        if time_file:
            cmd = ["/usr/bin/time", "-v", "-o", time_file] + cmd
        out = run(cmd, env=self.torch_env(threads), cwd=PEERS)
        return [json.loads(line) for line in out.splitlines() if line.startswith("{")]

    def record(self, key, who, threads, values, unit):
        entry = self.results.setdefault(key, {"unit": unit, "nnc": {}, "torch": {}})
        entry[who][threads] = summary(values)
        s = entry[who][threads]
        # The runs since the last figure made this one (a peer's run gives
        # several figures: they share it).
        new = RUNS[self.runs_seen:]
        s["other_cores"] = max(new) if new else (RUNS[-1] if RUNS else 0.0)
        self.runs_seen = len(RUNS)
        log("  %-20s %-5s T=%d  median %.4g %s (min %.4g, max %.4g)" % (
            key, who, threads, s["median"], unit, s["min"], s["max"]))

    # ------------------------------------------------------------ machine
    def machine(self):
        lscpu = run(["lscpu"])
        field = lambda name: (re.search(r"^%s:\s*(.*)$" % re.escape(name), lscpu, re.M) or
                              [None, "?"])[1].strip()
        flags = field("Flags").split()
        gcc = run(["gcc", "--version"]).splitlines()[0]
        nnc_version = run([self.nnc, "--version"]).strip()
        torch_info = self.peer("w6_gemm.py", 1, ["--blas"])[0]
        if not any("openblas" in lib for lib in torch_info["libraries"]):
            self.notes.append("**PyTorch did not load OpenBLAS** (libraries: %s): its matrix "
                              "products are not a fair peer." % torch_info["libraries"])
        try:
            commit = run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]).strip()
            dirty = run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"]).strip()
            commit += " (with uncommitted changes)" if dirty else ""
        except SystemExit:
            commit = "?"
        self.info = {
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "cpu": field("Model name"), "cpus": os.cpu_count(),
            "cores_per_socket": field("Core(s) per socket"),
            "threads_per_core": field("Thread(s) per core"),
            "hypervisor": field("Hypervisor vendor"),
            "l2": field("L2 cache"), "l3": field("L3 cache"),
            "flags": [f for f in ("avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni")
                      if f in flags],
            "kernel": platform.release(), "gcc": gcc, "nnc": nnc_version, "commit": commit,
            "torch": torch_info, "load_start": os.getloadavg(),
            "nnc_threads_flag": self.nnc_threads, "aot_set_threads": self.aot_threads,
            "quick": self.quick, "reps": self.reps, "only": self.args.only,
        }

    def find_openblas(self):
        """The directory of OpenBLAS's OpenMP build (libopenblas0-openmp), or None."""
        try:
            files = run(["dpkg", "-L", "libopenblas0-openmp"]).split()
        except (SystemExit, FileNotFoundError):
            files = []
        dirs = [f for f in files if f.endswith("/openblas-openmp")]
        if not dirs:
            self.notes.append("libopenblas0-openmp is not installed (apt-get install -y "
                              "libopenblas0-openmp): PyTorch used whatever BLAS it found.")
            return None
        return dirs[0]

    # --------------------------------------------------------------- peak
    def cc(self, sources, output, flags=()):
        run(["gcc", "-O2", "-o", output] + list(flags) + list(sources) + ["-lm", "-lpthread"])

    def peak(self):
        exe = os.path.join(self.out, "peak")
        self.cc([os.path.join(BENCH, "harness", "peak.c")], exe)
        self.peaks = {}
        for t in THREADS:
            lines = run([exe, str(t), "3" if self.quick else "5"]).split()
            rates = {lines[i]: (float(lines[i + 1]), float(lines[i + 2]))
                     for i in range(0, len(lines), 3)}
            self.peaks[t] = rates
            log("  peak T=%d: %s" % (t, rates))

    def peak_of(self, threads):
        """The FP32 peak: the best vector width's rate per CPU-second (equal to
        the wall-clock rate on an idle machine, robust when it is not)."""
        return max(cpu for _wall, cpu in self.peaks[threads].values())

    # ---------------------------------------------------------- nnc train
    def nnc_train(self, model, steps, threads, extra=(), time_file=None):
        """One `nnc train` run; seconds per step from its JSON-lines log, from
        the first logged step (a tenth in) to the last: warm-up excluded,
        as the peers do. Returns (seconds per step, peak RSS in KiB or None)."""
        every = max(1, steps // 10)
        logfile = os.path.join(self.out, "train.jsonl")
        cmd = [self.nnc, "train", model, "--steps", str(steps), "--print-every", str(every),
               "--log", logfile] + list(extra)
        if self.nnc_threads:
            cmd += ["--threads", str(threads)]
        if time_file:
            cmd = ["/usr/bin/time", "-v", "-o", time_file] + cmd
        run(cmd, cwd=self.out)
        with open(logfile) as f:
            rows = [json.loads(line) for line in f if line.strip()]
        first, last = rows[0], rows[-1]
        if last["step"] <= first["step"]:
            raise SystemExit("bench: %s logged too few steps to time" % model)
        return (last["wall_seconds"] - first["wall_seconds"]) / (last["step"] - first["step"])

    def nnc_thread_counts(self):
        # Without --threads nnc runs at its default; shown in the T=1 row.
        return THREADS if self.nnc_threads else (1,)

    def train_workload(self, key, model, steps, peer, unit, per_step, extra=(), peer_extra=(),
                       rss=False):
        """per_step(seconds per step) -> the figure in `unit`."""
        for t in THREADS:
            rss_values = []
            if t in self.nnc_thread_counts():
                values = []
                for r in range(self.reps):
                    tf = os.path.join(self.out, "time.txt") if rss else None
                    values.append(per_step(self.nnc_train(model, steps, t, extra, tf)))
                    if rss:
                        rss_values.append(max_rss(tf))
                self.record(key, "nnc", t, values, unit)
                if rss:
                    self.record(key + "-rss", "nnc", t, [v / 1024 for v in rss_values], "MiB")
            tf = os.path.join(self.out, "time.txt") if rss else None
            for rec in self.peer(peer, t, peer_extra, tf):
                values = [per_step(v * 1e-6) if rec["unit"] == "us/step" else v
                          for v in rec["values"]]
                self.record(key, "torch", t, values, unit)
            if rss:
                self.record(key + "-rss", "torch", t, [max_rss(tf) / 1024], "MiB")

    # ---------------------------------------------------------- workloads
    def w1(self):
        steps = 1000 if self.quick else 10000
        self.train_workload("W1", os.path.join(ROOT, "examples", "mazur.nn"), steps,
                            "w1_mazur.py", "us/step", lambda s: s * 1e6)

    def w2(self):
        steps = 500 if self.quick else 5000
        self.train_workload("W2", os.path.join(BENCH, "models", "sincos64.nn"), steps,
                            "w2_sincos.py", "us/step", lambda s: s * 1e6)

    def mnist_subset(self, count):
        """A directory with the first `count` MNIST training samples, as IDX
        files under MNIST's names (the count in the header rewritten)."""
        directory = os.path.join(self.out, "mnist-%d" % count)
        os.makedirs(directory, exist_ok=True)
        for name, header, size in (("train-images-idx3-ubyte", 16, 784),
                                   ("train-labels-idx1-ubyte", 8, 1)):
            with open(os.path.join(self.mnist, name), "rb") as f:
                data = f.read(header + count * size)
            write_atomic(os.path.join(directory, name),
                         data[:4] + count.to_bytes(4, "big") + data[8:])
        return directory

    @staticmethod
    def mnist_args(directory):
        return ["--data", "image=" + os.path.join(directory, "train-images-idx3-ubyte"),
                "--data", "label=" + os.path.join(directory, "train-labels-idx1-ubyte"),
                "--scale", "image=1/255"]

    def w3(self):
        steps = 100 if self.quick else 60000 // 64
        self.train_workload("W3", os.path.join(BENCH, "models", "mnist_mlp_w3.nn"), steps,
                            "w3_mnist_mlp.py", "images/s", lambda s: 64 / s,
                            self.mnist_args(self.mnist) + ["--batch", "64"])

    def w4(self):
        # Both sides train on the first steps*50 images (one epoch), so
        # nnc's closing evaluation of the training data stays short and both
        # hold the same data in memory.
        steps = 20 if self.quick else self.args.w4_steps
        subset = self.mnist_subset(steps * 50)
        self.train_workload("W4", os.path.join(ROOT, "examples", "mnist_cnn.nn"), steps,
                            "w4_mnist_cnn.py", "images/s", lambda s: 50 / s,
                            self.mnist_args(subset) + ["--batch", "50"],
                            ["--steps", str(steps), "--mnist", subset], rss=True)

    def compile_aot(self, model, name, max_batch=256, in_elems=784, out_elems=10):
        """nnc compile + aot_bench.c; returns (executable, cpu nnc says it targeted)."""
        obj = os.path.join(self.out, name + ".o")
        said = run([self.nnc, "compile", model, "-o", obj, "--max-batch", str(max_batch)])
        cpu = (re.search(r"cpu ([^,)]+)", said) or [None, "?"])[1]
        self.aot_cpu = cpu
        with open(os.path.join(self.out, name + ".h")) as f:
            prefix = re.search(r"typedef struct (\w+) \1;", f.read())[1]
        exe = os.path.join(self.out, name + "_bench")
        flags = ["-I" + self.out, "-I" + self.include, '-DHEADER="%s.h"' % name,
                 "-DPREFIX=" + prefix, "-DIN_ELEMS=%d" % in_elems, "-DOUT_ELEMS=%d" % out_elems]
        if self.aot_threads:
            flags.append("-DHAVE_SET_THREADS")
        self.cc([os.path.join(BENCH, "harness", "aot_bench.c"), obj, self.libnnrt], exe, flags)
        return exe, cpu

    def aot_times(self, exe, batch, threads, seconds, cpu=False):
        """Microseconds per predict call, one per repetition: wall clock, or
        with cpu=True also process CPU time (a second list)."""
        out = run([exe, str(batch), str(threads), str(self.reps), str(seconds)])
        wall = [float(v) for v in re.findall(r"^us_per_call (\S+)", out, re.M)]
        if not cpu:
            return wall
        return wall, [float(v) for v in re.findall(r"cpu_us_per_call (\S+)", out)]

    def w5(self):
        seconds = 0.2 if self.quick else 0.5
        for key, model in (("W5-mlp", os.path.join(BENCH, "models", "mnist_mlp_w3.nn")),
                           ("W5-cnn", os.path.join(ROOT, "examples", "mnist_cnn.nn"))):
            exe, _ = self.compile_aot(model, key.lower())
            for t in THREADS:
                if t == 1 or self.aot_threads:
                    self.record(key, "nnc", t, self.aot_times(exe, 1, t, seconds), "us")
        for t in THREADS:
            for rec in self.peer("w5_latency.py", t, ["--seconds", str(seconds)]):
                self.record(rec["workload"], "torch", t, rec["values"], "us")
        self.w5_onnxruntime(seconds)

    def w5_onnxruntime(self, seconds):
        """The inference peer: onnxruntime-node 1.30.0 on the same networks,
        exported from the PyTorch peer by torch.onnx.export. Its rows
        (W5-*-ort) put nnc's W5 figures beside onnxruntime's."""
        fetch = subprocess.run([os.path.join(ROOT, "scripts", "fetch_onnxruntime.sh")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if fetch.returncode != 0:
            log("  onnxruntime-node could not be fetched; no W5 onnxruntime rows:\n" + fetch.stderr)
            return
        models = run([TORCH_PYTHON, os.path.join(PEERS, "w5_onnx_models.py"), self.out],
                     env=self.torch_env(1), cwd=PEERS).split()
        env = dict(os.environ, NODE_PATH=fetch.stdout.strip())
        for t in THREADS:
            out = run(["node", os.path.join(PEERS, "w5_onnxruntime.js"), "--threads", str(t),
                       "--reps", str(self.reps), "--seconds", str(seconds)] + models, env=env)
            for line in out.splitlines():
                if line.startswith("{"):
                    rec = json.loads(line)
                    key = rec["workload"] + "-ort"
                    self.record(key, "torch", t, rec["values"], "us")
                    self.results[key]["nnc"] = self.results[rec["workload"]]["nnc"]

    def w6(self):
        seconds = 0.2 if self.quick else 0.5
        shapes = [(1024, 1024, 1024), (512, 3136, 1024)]
        for m, k, n in shapes:
            key = "W6-%dx%dx%d" % (m, k, n)
            name = "gemm_1024" if (m, k, n) == (1024, 1024, 1024) else "gemm_512x3136x1024"
            exe, _ = self.compile_aot(os.path.join(BENCH, "models", name + ".nn"), name,
                                      max_batch=m, in_elems=k, out_elems=n)
            gflops = lambda us: 2.0 * m * k * n / (us * 1e-6) / 1e9
            for t in THREADS:
                if t == 1 or self.aot_threads:
                    wall, cpu = self.aot_times(exe, m, t, seconds, cpu=True)
                    self.record(key, "nnc", t, [gflops(us) for us in wall], "GFLOP/s")
                    # Per CPU-second summed over the threads, as the peak is.
                    self.record(key + "-cpu", "nnc", t, [gflops(us) * t for us in cpu], "GFLOP/s")
        for t in THREADS:
            extra = ["--seconds", str(seconds)]
            for m, k, n in shapes:
                extra += ["--shape", "%dx%dx%d" % (m, k, n)]
            for rec in self.peer("w6_gemm.py", t, extra):
                self.record(rec["workload"], "torch", t, rec["values"], "GFLOP/s")
                self.record(rec["workload"] + "-cpu", "torch", t, rec["cpu_values"], "GFLOP/s")

    def fortunes_head(self, count):
        """The first `count` characters of the fortunes text (scripts/fetch_fortunes.sh):
        a short validation tail keeps nnc's closing evaluation short."""
        text = run([os.path.join(ROOT, "scripts", "fetch_fortunes.sh")]).strip().splitlines()[-1]
        path = os.path.join(self.out, "fortunes-%d.txt" % count)
        with open(text, encoding="utf-8") as f:
            write_atomic(path, f.read(count))
        return path

    def w7(self):
        """examples/tiny_gpt.nn training (characters/s), and its compile time."""
        steps = 20 if self.quick else self.args.w7_steps
        text = self.fortunes_head(200000)
        model = os.path.join(ROOT, "examples", "tiny_gpt.nn")
        self.train_workload("W7", model, steps, "tiny_gpt.py", "characters/s",
                            lambda s: 32 * 64 / s, ["--text", text],
                            ["--text", text, "--steps", str(steps)])
        self.compile_seconds("W7-compile", model, ["--text", text])

    def w9(self):
        """examples/char_lstm.nn training (sequences/s), and its compile time."""
        steps = 10 if self.quick else self.args.w9_steps
        text = self.fortunes_head(200000)
        model = os.path.join(ROOT, "examples", "char_lstm.nn")
        self.train_workload("W9", model, steps, "char_lstm.py", "sequences/s",
                            lambda s: 32 / s, ["--text", text],
                            ["--text", text, "--steps", str(steps)])
        self.compile_seconds("W9-compile", model, ["--text", text])

    def attention_data(self, T):
        """Random q, k, v of 16 samples [4, T, 32] as .npy (float32)."""
        import array
        import random
        rng = random.Random(T)
        paths = []
        for name in ("q", "k", "v"):
            path = os.path.join(self.out, "attn%d_%s.npy" % (T, name))
            shape = (16, 4, T, 32)
            header = "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }" % (shape,)
            header += " " * (63 - (10 + len(header)) % 64) + "\n"
            values = array.array("f", (rng.gauss(0, 1) for _ in range(16 * 4 * T * 32)))
            with open(path, "wb") as f:
                f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode())
                f.write(values.tobytes())
            paths += ["--data", "%s=%s" % (name, path)]
        return paths

    def w8(self):
        """Causal attention forward + backward at T = 64, 256, 1024 (us/step,
        batch 8) and nnc's peak resident memory."""
        for T, full in ((64, 30), (256, 20), (1024, 6)):
            steps = min(full, 6) if self.quick else full
            model = os.path.join(BENCH, "models", "attention_%d.nn" % T)
            self.train_workload("W8-%d" % T, model, steps, "attention.py", "us/step",
                                lambda s: s * 1e6, self.attention_data(T) + ["--batch", "8"],
                                ["--length", str(T), "--steps", str(steps)], rss=True)

    def compile_seconds(self, key, model, extra=()):
        """`nnc compile` wall time, once per repetition; returns the object's path."""
        obj = os.path.join(self.out, key.lower() + ".o")
        values = []
        for _ in range(self.reps):
            start = time.perf_counter()
            run([self.nnc, "compile", model, "-o", obj] + list(extra))
            values.append(time.perf_counter() - start)
        self.record(key, "nnc", 1, values, "s")
        return obj

    def compile_time(self):
        obj = self.compile_seconds("W4-compile", os.path.join(ROOT, "examples", "mnist_cnn.nn"))
        self.record("W4-object", "nnc", 1, [os.path.getsize(obj) / 1024], "KiB")
        # `nnc train` start-up: the whole process of a one-step batch-1 run
        # (start, parse, JIT compilation of train_step and eval, data load,
        # one step), an upper bound of the compilation before the first step.
        # The 300-image subset: reading all of MNIST would dominate.
        # Cold: the object cache off (what the goal is about); warm: the
        # objects of an earlier run of the same model reused.
        subset = os.path.join(ROOT, "test", "data", "mnist")
        mnist = ["--data", "image=%s/train-images-300-idx3-ubyte" % subset,
                 "--data", "label=%s/train-labels-300-idx1-ubyte" % subset, "--scale", "image=1/255"]
        cold = dict(os.environ, NNC_CACHE="0")
        warm = dict(os.environ, NNC_CACHE="1", NNC_CACHE_DIR=os.path.join(self.out, "objects"))
        for name, extra in STARTUP_MODELS:
            data = mnist if extra == "mnist" else [a.replace("ROOT", ROOT) for a in extra]
            cmd = [self.nnc, "train", os.path.join(ROOT, "examples", name + ".nn"), "--steps", "1",
                   "--batch", "1", "--final-eval", "none", "--quiet"] + data
            run(cmd, env=warm)  # fills the cache
            for key, env in (("start-", cold), ("warm-", warm)):
                values = []
                for _ in range(self.reps):
                    start = time.perf_counter()
                    run(cmd, env=env)
                    values.append(time.perf_counter() - start)
                self.record(key + name, "nnc", 1, values, "s")

    # -------------------------------------------------------------- main
    def main(self):
        started = time.time()
        log("bench: nnc %s, --threads %s, %d repetitions%s" % (
            self.nnc, "yes" if self.nnc_threads else "NO (nnc at its default)",
            self.reps, ", quick" if self.quick else ""))
        self.openblas_dir = self.find_openblas()
        self.mnist = run([os.path.join(ROOT, "scripts", "fetch_mnist.sh")]).strip().splitlines()[-1]
        self.machine()
        steps = [("peak", self.peak), ("W1", self.w1), ("W2", self.w2), ("W3", self.w3),
                 ("W4", self.w4), ("W5", self.w5), ("W6", self.w6), ("W7", self.w7), ("W8", self.w8), ("W9", self.w9),
                 ("compile", self.compile_time)]
        only = set(self.args.only.split(",")) if self.args.only else None
        for name, fn in steps:
            if only and name not in only and name != "peak":
                continue
            log("bench: %s (%.1f min so far)" % (name, (time.time() - started) / 60))
            try:
                fn()
            except SystemExit as e:
                if name == "peak":
                    raise
                # One broken workload must not cost the others: say so and go on.
                log(str(e))
                self.notes.append("**%s failed**: %s" % (
                    name, str(e).strip().splitlines()[0].replace("|", "/")))
        self.info["load_end"] = os.getloadavg()
        self.info["w4_steps"] = 20 if self.quick else self.args.w4_steps
        self.info["w7_steps"] = 20 if self.quick else self.args.w7_steps
        self.info["w9_steps"] = 10 if self.quick else self.args.w9_steps
        self.info["aot_cpu"] = getattr(self, "aot_cpu", "?")
        self.info["minutes"] = (time.time() - started) / 60
        with open(os.path.join(self.out, "results.json"), "w") as f:
            json.dump({"info": self.info, "peaks": self.peaks, "results": self.results,
                       "notes": self.notes}, f, indent=1)
        text = report(self)
        print(text)
        if self.args.output:
            write_atomic(self.args.output, text)
            log("bench: wrote %s" % self.args.output)


def max_rss(time_file):
    with open(time_file) as f:
        return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", f.read())[1])


def write_atomic(path, content):
    tmp = path + ".tmp"
    with open(tmp, "wb" if isinstance(content, bytes) else "w") as f:
        f.write(content)
    os.replace(tmp, path)


# ---------------------------------------------------------------- report
LOWER_IS_BETTER = {"us/step", "us", "s", "MiB", "KiB"}


def ratio(unit, ours, theirs):
    """nnc's advantage: > 1 means nnc is better (faster, or smaller)."""
    if unit in LOWER_IS_BETTER:
        return theirs / ours
    return ours / theirs


def fmt(v):
    if v >= 1000:
        return "%.0f" % v
    if v >= 100:
        return "%.1f" % v
    if v >= 10:
        return "%.2f" % v
    return "%.3g" % v


def cell(s):
    if not s:
        return "n/a"
    if s["n"] == 1:
        return fmt(s["median"])
    return "%s (%s-%s)" % (fmt(s["median"]), fmt(s["min"]), fmt(s["max"]))


ROWS = [
    ("W1", "2-2-2 net, SGD, batch 1, 10000 steps (us/step)"),
    ("W2", "sin+cos MLP 1-64-64-1, Adam, batch 64 (us/step)"),
    ("W3", "MNIST MLP 784-512-10, SGD momentum, batch 64 (train images/s)"),
    ("W4", "MNIST CNN, Adam 1e-4, batch 50 (train images/s)"),
    ("W5-mlp", "W3 model, batch-1 inference latency (us)"),
    ("W5-cnn", "W4 model, batch-1 inference latency (us)"),
    ("W5-mlp-ort", "W3 model, batch-1 inference latency (us; peer: onnxruntime 1.30.0)"),
    ("W5-cnn-ort", "W4 model, batch-1 inference latency (us; peer: onnxruntime 1.30.0)"),
    ("W6-1024x1024x1024", "SGEMM 1024^3 (GFLOP/s; peer: OpenBLAS via torch.mm)"),
    ("W6-512x3136x1024", "SGEMM 512x3136x1024 (GFLOP/s; peer: OpenBLAS)"),
    ("W4-rss", "W4 training, peak resident memory (MiB)"),
    ("W4-compile", "`nnc compile examples/mnist_cnn.nn` (s)"),
    ("W4-object", "its object file (KiB)"),
] + [row for name, _ in STARTUP_MODELS for row in (
    ("start-" + name, "`nnc train examples/%s.nn --steps 1 --batch 1` (MNIST: the 300-image "
     "subset): the whole run (s), object cache off" % name),
    ("warm-" + name, "the same with its objects cached by an earlier run (s)"))] + [
    ("W7", "tiny GPT (examples/tiny_gpt.nn), AdamW, batch 32 x 64 characters (train characters/s)"),
    ("W7-compile", "`nnc compile examples/tiny_gpt.nn` (s)"),
    ("W8-64", "causal attention fwd + bwd, 4 heads x 32, T = 64, batch 8 (us/step)"),
    ("W8-256", "the same at T = 256 (us/step)"),
    ("W8-1024", "the same at T = 1024 (us/step)"),
    ("W8-64-rss", "T = 64, peak resident memory (MiB)"),
    ("W8-256-rss", "T = 256, peak resident memory (MiB)"),
    ("W8-1024-rss", "T = 1024, peak resident memory (MiB)"),
    ("W9", "char LSTM (examples/char_lstm.nn), 2 x 256, Adam, batch 32 x 64 characters (train sequences/s)"),
    ("W9-compile", "`nnc compile examples/char_lstm.nn` (s)"),
]


def shared_cores(info, s, threads):
    """The cores other work used while figure `s` was measured, when that is
    enough to spoil it (the figure's threads then did not have their cores
    to themselves: more than a quarter core beyond the idle ones), else 0."""
    other = (s or {}).get("other_cores", 0.0)
    try:
        spare = int(info.get("cpus", 0)) - threads
    except (TypeError, ValueError):
        spare = 0
    return other if other > max(0, spare) + 0.25 else 0


def report(b):
    i = b.info
    lines = []
    w = lines.append
    w("# Performance: nnc against PyTorch")
    w("")
    flags = (" --quick" if i["quick"] else "") + (
        " --only %s --reps %d" % (i["only"], i["reps"]) if i.get("only") else "")
    w("Generated by `bench/run.sh%s` on %s (commit %s); it took %.1f minutes. "
      "Regenerate it with the same command; do not edit by hand." % (
          flags, i["date"], i["commit"], i["minutes"]))
    if i["quick"]:
        w("")
        w("**This is a `--quick` smoke run** (%d repetitions, shortened workloads): "
          "the figures show the harness works, not the final standings." % i["reps"])
    w("")
    w("## Machine")
    w("")
    w("| | |")
    w("| --- | --- |")
    w("| CPU | %s, %s CPUs (%s cores per socket, %s thread(s) per core)%s |" % (
        i["cpu"], i["cpus"], i["cores_per_socket"], i["threads_per_core"],
        ", hypervisor " + i["hypervisor"] if i["hypervisor"] != "?" else ""))
    w("| caches | L2 %s, L3 %s |" % (i["l2"], i["l3"]))
    w("| vector flags | %s |" % " ".join(i["flags"]))
    for t in THREADS:
        p = b.peaks[t]
        w("| measured FP32 peak, %d thread%s | %s |" % (t, "s" if t > 1 else "", "; ".join(
            "%s %.1f GFLOP/s (wall clock %.1f)" % (k, cpu, wall) for k, (wall, cpu) in p.items())))
    w("| compilers | %s; %s |" % (i["nnc"], i["gcc"]))
    w("| PyTorch | %s; BLAS and OpenMP libraries it mapped: %s |" % (
        i["torch"]["torch"],
        ", ".join(i["torch"]["libraries"]) or "?"))
    w("| PyTorch environment | `OMP_NUM_THREADS=T`, `torch.set_num_threads(T)`, "
      "`LD_LIBRARY_PATH=%s` |" % (i["torch"]["LD_LIBRARY_PATH"] or "(unset)"))
    w("| load average | %.2f at the start, %.2f at the end (1 minute; above 0 means other "
      "work shared the CPUs) |" % (i["load_start"][0], i["load_end"][0]))
    others = [s.get("other_cores", 0.0) for e in b.results.values() for who in ("nnc", "torch")
              for s in e[who].values()]
    if others:
        w("| other work | at most %.2f cores busy with other processes during a figure "
          "(/proc/stat less the benchmark's own CPU time); a figure whose threads did not "
          "have their cores to themselves (beyond the idle cores by more than 0.25) gets no "
          "ratio |" % max(others))
    w("| kernel | %s |" % i["kernel"])
    w("")
    w("The peak is the best of several runs of `bench/harness/peak.c`: every thread "
      "runs 12 independent chains of fused multiply-adds (2 flops per lane), AVX-512 "
      "and AVX2; the figure is flops per CPU-second summed over the threads (the "
      "wall-clock figure beside it is lower when other jobs share the CPUs).")
    w("")
    w("## Results")
    w("")
    w("Median of %d runs (min-max). **Ratio**: nnc's advantage, > 1 means nnc is "
      "better (PyTorch's time / nnc's, nnc's rate / PyTorch's, PyTorch's memory / "
      "nnc's). Goal: the issue's target for that ratio." % i["reps"])
    w("")
    w("| workload | T | nnc | PyTorch | ratio | goal |")
    w("| --- | --- | --- | --- | --- | --- |")
    for key, title in ROWS:
        entry = b.results.get(key)
        if not entry:
            continue
        for t in THREADS:
            ours, theirs = entry["nnc"].get(t), entry["torch"].get(t)
            if not ours and not theirs:
                continue
            r = ratio(entry["unit"], ours["median"], theirs["median"]) if ours and theirs else None
            shared = max(shared_cores(i, s, t) for s in (ours, theirs))
            goal = GOALS.get(key)
            if key == "W4-compile" and ours:
                goal_text = "< 1.5 s: %s" % ("met" if ours["median"] < 1.5 else "**not met**")
            elif key.startswith("start-") and ours:
                goal_text = "< 1 s: %s" % ("met" if ours["median"] < 1 else "**not met**")
            elif goal and r is not None:
                goal_text = ">= %gx: %s" % (goal, "met" if r >= goal else "**not met**")
            else:
                goal_text = ""
            if shared > 0:  # a spoiled figure gives no ratio and meets no goal
                r = None
                goal_text = "n/a: other work used %.2f cores meanwhile" % shared
            ours_text = cell(ours)
            if (not ours and t > 1 and not i["nnc_threads_flag"]
                    and key[:2] in ("W1", "W2", "W3", "W4")):
                ours_text = "n/a (no `--threads`)"
            w("| %s: %s | %d | %s | %s | %s | %s |" % (
                key, title, t, ours_text, cell(theirs),
                fmt(r) + "x" if r is not None else "", goal_text))
    w("")
    w("Where a row says **not met**, docs/kernels.md section 7 (\"The goals this report "
      "misses\") has its profile and the reason.")
    w("")
    w("## Scaling")
    w("")
    w("The 2-thread rate over the 1-thread rate of the same program (medians). Goal (issue 20): "
      "nnc's W3 and W4 at least 1.8x.")
    w("")
    w("| workload | nnc | PyTorch | goal |")
    w("| --- | --- | --- | --- |")
    for key in ("W3", "W4"):
        entry = b.results.get(key)
        if not entry:
            continue
        gain = {}
        for who in ("nnc", "torch"):
            one, two = entry[who].get(1), entry[who].get(2)
            if one and two and max(shared_cores(i, one, 1), shared_cores(i, two, 2)) == 0:
                gain[who] = two["median"] / one["median"]
        if "nnc" not in gain:
            w("| %s | n/a: other work shared the CPUs, or a figure is missing | | |" % key)
            continue
        w("| %s | %.2fx | %s | >= 1.8x: %s |" % (
            key, gain["nnc"], "%.2fx" % gain["torch"] if "torch" in gain else "",
            "met" if gain["nnc"] >= 1.8 else "**not met**"))
    w("")
    w("## Fraction of peak")
    w("")
    w("Achieved FP32 rate over the measured peak at the same thread count. Training "
      "flops per image: W3 %.2f M, W4 %.1f M (forward, weight gradients, and data "
      "gradients except the input's). The `-cpu` rows count GFLOP per second of "
      "process CPU time times the thread count, as the peak does: on a shared machine "
      "they show what the threads reached while they ran (spinning worker threads "
      "lower them)." % (FLOPS_W3 / 1e6, FLOPS_W4 / 1e6))
    w("")
    w("| workload | T | nnc GFLOP/s | nnc % of peak | PyTorch GFLOP/s | PyTorch % of peak |")
    w("| --- | --- | --- | --- | --- | --- |")
    for key, flops in (("W3", FLOPS_W3), ("W4", FLOPS_W4), ("W6-1024x1024x1024", None),
                       ("W6-512x3136x1024", None), ("W6-1024x1024x1024-cpu", None),
                       ("W6-512x3136x1024-cpu", None)):
        entry = b.results.get(key)
        if not entry:
            continue
        for t in THREADS:
            cells = []
            for who in ("nnc", "torch"):
                s = entry[who].get(t)
                if not s:
                    cells += ["n/a", ""]
                    continue
                g = s["median"] * flops / 1e9 if flops else s["median"]
                cells += ["%.1f" % g, "%.0f%%" % (100 * g / b.peak_of(t))]
            w("| %s | %d | %s |" % (key, t, " | ".join(cells)))
    w("")
    w("## How it was measured")
    w("")
    w("- W1-W4: the JIT path, `nnc train` (steps/s from its `--log` JSON lines, "
      "from the first logged step, a tenth of the way in, to the last), against "
      "`bench/peers/w*.py`; both skip the first tenth of the steps as warm-up, draw "
      "shuffled batches from the data in memory and read the loss and the batch "
      "accuracy every step. W1: %s steps, W2: %s steps (the row titles give the "
      "full run's). W3: %s of the 60000 MNIST images. "
      "W4: %s steps on the first %s images. Model definitions: examples/mazur.nn, "
      "bench/models/sincos64.nn, bench/models/mnist_mlp_w3.nn, examples/mnist_cnn.nn." % (
          1000 if i["quick"] else 10000, 500 if i["quick"] else 5000,
          "100 steps" if i["quick"] else "one epoch (937 steps)",
          i.get("w4_steps", "?"), i.get("w4_steps", 0) * 50 or "?"))
    w("- W5, W6: the AOT path: `nnc compile` (for `--cpu %s`, the host default) and "
      "`bench/harness/aot_bench.c` calling `PREFIX_predict` in a loop. PyTorch: eval "
      "mode under `torch.no_grad()`, softmax included as in nnc's `predict`. W6's "
      "models are bench/models/gemm_*.nn (`y = x @ W`, the batch is M)." % i.get("aot_cpu", "?"))
    w("- W7: `nnc train examples/tiny_gpt.nn --text T` on the first 200,000 characters "
      "of the fortunes text (`scripts/fetch_fortunes.sh`), %s steps timed as W1-W4, "
      "against `bench/peers/tiny_gpt.py` (the same model with PyTorch's modules, the same "
      "windows, timed after a tenth as warm-up); characters/s = 32 x 64 per step. "
      "W7-compile: `nnc compile examples/tiny_gpt.nn --text T` wall time (the front end "
      "takes about 0.3 s of it, LLVM's O3 and machine code generation the rest)."
      % i.get("w7_steps", "60"))
    w("- W8: `nnc train bench/models/attention_T.nn` (causal "
      "`scaled_dot_product_attention` over [4, T, 32] stacks, the gradient reaching q, "
      "SGD) on 16 random samples, batch 8, against `bench/peers/attention.py` (the same "
      "math in torch 1.13 autograd: q k^T / sqrt(32), masked_fill(-inf), softmax, @ v).")
    w("- W9: `nnc train examples/char_lstm.nn --text T` on the same 200,000 characters, "
      "%s steps timed as W1-W4, against `bench/peers/char_lstm.py` (nn.Embedding, a "
      "2-layer nn.LSTM (ATen's fused cell per step) and nn.Linear, the same windows); "
      "sequences/s = 32 per step. W9-compile: `nnc compile examples/char_lstm.nn --text T`."
      % i.get("w9_steps", "40"))
    w("- Peak memory: `/usr/bin/time -v` (maximum resident set size) of the whole "
      "W4 (W8) training process, data loading included; nnc: median over its runs; "
      "PyTorch: the one process that ran all its repetitions.")
    if i["nnc_threads_flag"]:
        w("- Threads: `nnc train --threads T`; AOT: `nnrt_model_set_threads`.")
    else:
        w("- Threads: **this nnc has no `--threads` flag**: W1-W4 ran once, at nnc's "
          "default, and are shown in the T = 1 rows only; the T = 2 rows for them "
          "have PyTorch's figure alone.%s" % (
              " The AOT runs (W5, W6) set the thread count with "
              "`nnrt_model_set_threads`." if i["aot_set_threads"] else ""))
    for note in b.notes:
        w("- " + note)
    w("")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer runs, smaller workloads")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"), help="nnc build directory")
    ap.add_argument("--reps", type=int, default=0, help="runs per figure (default 5, quick 2)")
    ap.add_argument("--w4-steps", type=int, default=200, help="W4 training steps (default 200)")
    ap.add_argument("--w7-steps", type=int, default=60, help="W7 training steps (default 60)")
    ap.add_argument("--w9-steps", type=int, default=40, help="W9 training steps (default 40)")
    ap.add_argument("--only", default="", help="comma-separated subset: W1,...,W9,compile")
    ap.add_argument("--output", default=os.path.join(ROOT, "docs", "performance.md"),
                    help="the report (default docs/performance.md; '' to skip)")
    ap.add_argument("--from-json", default="",
                    help="only rewrite the report from a results.json of an earlier run")
    args = ap.parse_args()
    if args.from_json:
        rerender(args)
    else:
        Bench(args).main()


def rerender(args):
    """The report again from bench/out/results.json (e.g. after a change to
    the report's layout), without running anything."""
    with open(args.from_json) as f:
        saved = json.load(f)
    b = argparse.Namespace(info=saved["info"], notes=saved["notes"],
                           peaks={int(t): v for t, v in saved["peaks"].items()},
                           results={k: {"unit": e["unit"],
                                        "nnc": {int(t): s for t, s in e["nnc"].items()},
                                        "torch": {int(t): s for t, s in e["torch"].items()}}
                                    for k, e in saved["results"].items()})
    b.peak_of = lambda t: max(cpu for _wall, cpu in b.peaks[t].values())
    text = report(b)
    print(text)
    if args.output:
        write_atomic(args.output, text)


if __name__ == "__main__":
    main()
