"""W6 peer: single-precision GEMM C = A B with A [M, K], B [K, N] through
torch.mm (the BLAS torch is linked with: OpenBLAS when LD_LIBRARY_PATH points
at its OpenMP build). Reports GFLOP/s (2 M K N flops per product) for each
shape given as MxKxN, by the wall clock ("values") and per second of process
CPU time times the thread count ("cpu_values": what the threads reach while
they run, when other jobs share the machine; OpenMP's spinning lowers it)."""
import time

import torch

import common


def extra(ap):
    ap.add_argument("--shape", action="append", default=[])
    ap.add_argument("--seconds", type=float, default=0.5)


args = common.parse(__doc__, extra)
for shape in args.shape or ["1024x1024x1024"]:
    m, k, n = (int(v) for v in shape.split("x"))
    a, b = torch.rand(m, k), torch.rand(k, n)
    c = torch.empty(m, n)
    for _ in range(3):
        torch.mm(a, b, out=c)
    values, cpu_values = [], []
    for rep in range(args.reps):
        calls, start, cpu = 0, time.perf_counter(), time.process_time()
        while True:
            torch.mm(a, b, out=c)
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= args.seconds and calls >= 3:
                break
        cpu = time.process_time() - cpu
        values.append(2.0 * m * k * n * calls / elapsed / 1e9)
        cpu_values.append(2.0 * m * k * n * calls / cpu * args.threads / 1e9)
    common.emit("W6-" + shape, args.threads, "GFLOP/s", values, cpu_values=cpu_values)
