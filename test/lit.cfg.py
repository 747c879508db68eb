# lit configuration for nnc. Run through ctest (one ctest test per file), or
# by hand:  python3 /usr/lib/llvm-19/build/utils/lit/lit.py -v \
#             --param nnc_build=build test/
import os

import lit.formats

config.name = "nnc"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".nn", ".test"]
config.excludes = ["Inputs", "unit", "crashes"]
config.test_source_root = os.path.dirname(__file__)

build = lit_config.params.get("nnc_build")
if not build:
    lit_config.fatal("pass --param nnc_build=<cmake build directory>")
build = os.path.abspath(build)
# scripts/sanitize.sh: tests that cannot work under ASan say UNSUPPORTED: sanitize.
if lit_config.params.get("sanitize"):
    config.available_features.add("sanitize")
config.test_exec_root = os.path.join(build, "test-output")

source = os.path.dirname(config.test_source_root)
llvm_bin = "/usr/lib/llvm-19/bin"
config.environment["PATH"] = os.pathsep.join(
    [os.path.join(build, "bin"), llvm_bin, config.environment.get("PATH", "/usr/bin:/bin")])

# The JIT's object cache (compiler/codegen/ObjectCache.h) is off: every test
# compiles what it runs; test/driver/object_cache.test turns it on.
config.environment["NNC_CACHE"] = "0"

config.substitutions.append(("%nnc_build", build))
config.substitutions.append(("%nnc", os.path.join(build, "bin", "nnc")))
config.substitutions.append(("%examples", os.path.join(source, "examples")))
config.substitutions.append(("%nnrt_include", os.path.join(source, "runtime", "include")))
config.substitutions.append(("%nnrt_lib", os.path.join(build, "runtime", "libnnrt.a")))
config.substitutions.append(("%cc", "cc"))
# The Python running lit (test/CMakeLists.txt picks Debian's /usr/bin/python3):
# the tools need only its standard library, and a version manager's shim on
# PATH (pyenv's costs 0.5 s a start) is not in the way of every test.
import sys
config.substitutions.append(("%python", sys.executable))
config.substitutions.append(("%tools", os.path.join(config.test_source_root, "tools")))

# Host facts for REQUIRES/UNSUPPORTED: the architecture and CPU flags, so
# CPU-check tests know whether this machine has the instructions they use.
import platform
if platform.machine() in ("x86_64", "AMD64"):
    config.available_features.add("x86_64")
try:
    with open("/proc/cpuinfo") as f:
        flags = next((l.split(":", 1)[1].split() for l in f if l.startswith("flags")), [])
    for flag, feature in (("avx2", "avx2"), ("avx512f", "avx512f"),
                          ("avx512_fp16", "avx512fp16")):
        if flag in flags:
            config.available_features.add(feature)
except OSError:
    pass

# Cross-compilation to aarch64 needs Debian's gcc-aarch64-linux-gnu and
# qemu-user (.ci/run installs them); say so when they are missing.
import shutil
if shutil.which("aarch64-linux-gnu-gcc") and shutil.which("qemu-aarch64") \
        and os.path.isdir("/usr/aarch64-linux-gnu"):
    config.available_features.add("aarch64-cross")
else:
    lit_config.note("aarch64 cross-compilation test skipped (UNSUPPORTED): "
                    "aarch64-linux-gnu-gcc or qemu-aarch64 not found; "
                    "apt-get install gcc-aarch64-linux-gnu qemu-user")

# Data-parallel tests (test/distributed) need nnc built with MPI
# (NNC_WITH_MPI, which builds libnnrt_mpi) and mpirun. %mpirun carries the
# flags Open MPI 4.1 needs as root and in containers; --oversubscribe lets
# 4 ranks share 2 cores.
if os.path.exists(os.path.join(build, "runtime", "libnnrt_mpi.a")) and shutil.which("mpirun"):
    config.available_features.add("mpi")
else:
    lit_config.warning("nnc was built without MPI (or mpirun is missing): the tests that "
                       "need it (REQUIRES: mpi, test/distributed) are skipped as UNSUPPORTED")
config.substitutions.append(("%mpirun", "mpirun --oversubscribe --allow-run-as-root "
                             "--mca btl_vader_single_copy_mechanism none"))
config.substitutions.append(("%nnrt_mpi_lib", os.path.join(build, "runtime", "libnnrt_mpi.a")))

# ONNX tests (test/onnx) export PyTorch models with torch.onnx.export and
# read ONNX files with Debian's python3-torch and python3-onnx (.ci/run
# installs them) under the system Python, whatever python3 is first on PATH.
import subprocess


def python_feature(python, modules, feature, timeout, warning):
    """Adds `feature` when `python` has `modules` installed; else warns. It
    finds them without importing them: every test runs its own lit (ctest),
    and importing torch would cost each of them 1.7 s. A module that is
    installed but broken fails the tests that use it, loudly."""
    find = ("import importlib.util, sys; sys.exit(not all(importlib.util.find_spec(m) "
            "for m in %r))" % [m.strip() for m in modules.split(",")])
    try:
        subprocess.run([python, "-c", find], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=timeout)
        config.available_features.add(feature)
    except (OSError, subprocess.SubprocessError):
        lit_config.warning(warning)


torch_python = "/usr/bin/python3"
python_feature(torch_python, "torch, onnx, numpy", "onnx-python", 120,
               "the ONNX tests that export PyTorch models are skipped (UNSUPPORTED): "
               "/usr/bin/python3 cannot import torch and onnx; apt-get install "
               "python3-torch python3-onnx")
config.substitutions.append(("%torch_python", torch_python))
if os.path.isdir("/usr/share/libonnx-testdata/data/node"):
    config.available_features.add("onnx-testdata")

# test/driver/plot_svg.test renders the --plot SVG with rsvg-convert (Debian's
# librsvg2-bin, installed by .ci/run); without it that step is UNSUPPORTED.
if shutil.which("rsvg-convert"):
    config.available_features.add("rsvg-convert")

# The Python module (runtime/python/nnc, docs/python.md) needs only Debian's python3
# and python3-numpy. %nnc_python runs /usr/bin/python3 with the source tree's
# runtime/python on the path and nothing from the user's site directory.
numpy_python = "/usr/bin/python3"
python_feature(numpy_python, "numpy", "numpy-python", 60,
               "the Python module's tests (test/python) are skipped (UNSUPPORTED): "
               "/usr/bin/python3 cannot import numpy; apt-get install python3-numpy")
# Before %nnc, which is a prefix of these names.
config.substitutions.insert(0, ("%nnc_python", "env PYTHONPATH=%s PYTHONNOUSERSITE=1 %s -B"
                                % (os.path.join(source, "runtime", "python"), numpy_python)))
config.substitutions.insert(0, ("%nnc_source", source))
config.substitutions.append(("%numpy_python", numpy_python))

# nnc export's checker: onnxruntime-node 1.30.0 from npm, which
# scripts/fetch_onnxruntime.sh caches outside the tree (.ci/run fetches it).
ort_cache = os.path.join(os.environ.get("NNC_DATA_DIR") or
                         os.path.join(os.environ.get("XDG_CACHE_HOME") or
                                      os.path.join(os.path.expanduser("~"), ".cache"), "nnc"),
                         "onnxruntime-node-1.30.0", "node_modules", "onnxruntime-node")
for name in ("NNC_DATA_DIR", "XDG_CACHE_HOME"):
    if name in os.environ:
        config.environment[name] = os.environ[name]
if os.path.isdir(ort_cache) and shutil.which("node"):
    config.available_features.add("onnxruntime")
else:
    lit_config.warning("the ONNX export tests (test/export) are skipped (UNSUPPORTED): "
                       "onnxruntime-node is not fetched (bash scripts/fetch_onnxruntime.sh; "
                       "apt-get install nodejs npm)")
