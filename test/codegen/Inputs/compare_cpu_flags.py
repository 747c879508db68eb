"""Checks the runtime's CPU features (argv[1], comma-separated, LLVM names)
against the kernel's flags in /proc/cpuinfo: every feature the kernel lists
must be reported by the runtime (else objects compiled for the host would be
refused on it). The runtime may report more: both read CPUID, but a kernel
under a hypervisor can leave a flag out of its list (an AMD EPYC guest
listed no `abm` while CPUID had LZCNT and lzcnt ran); those are printed on
a second line."""
import sys

# LLVM/GCC name -> /proc/cpuinfo flag
FLAGS = {
    "sse3": "pni", "ssse3": "ssse3", "sse4.1": "sse4_1", "sse4.2": "sse4_2",
    "popcnt": "popcnt", "avx": "avx", "avx2": "avx2", "fma": "fma", "f16c": "f16c",
    "bmi": "bmi1", "bmi2": "bmi2", "lzcnt": "abm", "movbe": "movbe",
    "avxvnni": "avx_vnni", "avx512f": "avx512f", "avx512dq": "avx512dq",
    "avx512cd": "avx512cd", "avx512bw": "avx512bw", "avx512vl": "avx512vl",
    "avx512vbmi": "avx512vbmi", "avx512ifma": "avx512ifma",
    "avx512vnni": "avx512_vnni", "avx512bf16": "avx512_bf16",
    "avx512vbmi2": "avx512_vbmi2", "avx512bitalg": "avx512_bitalg",
    "avx512vpopcntdq": "avx512_vpopcntdq", "avx512fp16": "avx512_fp16",
}
runtime = set(f for f in sys.argv[1].split(",") if f)
with open("/proc/cpuinfo") as f:
    kernel = next(l.split(":", 1)[1].split() for l in f if l.startswith("flags"))
bad = [n for n, flag in FLAGS.items() if flag in kernel and n not in runtime]
extra = [n for n, flag in FLAGS.items() if n in runtime and flag not in kernel]
unknown = runtime - set(FLAGS)
print("checked %d features, %d present: %s" % (
    len(FLAGS), len(runtime),
    "agree" if not bad and not unknown else "DISAGREE on " + ", ".join(bad + sorted(unknown))))
if extra:
    print("reported by CPUID but not listed by the kernel: " + ", ".join(extra))
