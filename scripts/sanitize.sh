#!/usr/bin/env bash
# Builds nnc with AddressSanitizer and UndefinedBehaviorSanitizer (clang-19,
# -DNNC_SANITIZE=ON, asserts on) in build-asan, then runs lit tests against
# it: by default the fast subset CI runs (docs/robustness.md), or the
# folders given, e.g.  scripts/sanitize.sh test   for the whole suite.
# Any sanitizer report fails the test it happens in.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${NNC_ASAN_BUILD_DIR:-$ROOT/build-asan}"
cd "$ROOT"

missing=()
for p in clang-19 libclang-rt-19-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -f "$BUILD/build.ninja" ]; then
  # -O1 keeps the instrumented build quick to compile; no -DNDEBUG, so the
  # IR builders' asserts run too.
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
    -DCMAKE_C_FLAGS_RELEASE=-O1 -DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNNC_SANITIZE=ON >/dev/null
fi
ninja -C "$BUILD" -j"${NNC_JOBS:-2}" nnc nnrt | grep -v '^\[' || true

# The fast subset: everything that exercises the front end, sema, the IR
# passes and the driver's file handling; the JIT-heavy numeric suites
# (autodiff, codegen, examples, catalog's forward checks) are left to the
# full run. Leaks are not checked: LLVM and ANTLR keep caches until exit.
DEFAULT=(test/parse test/sema test/diagnostics test/fuzz test/ir test/data test/driver
         test/checkpoint test/catalog/err_*.nn test/text/errors.test test/onnx/bad_input.test)
if [ $# -eq 0 ]; then set -- "${DEFAULT[@]}"; fi
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# -s: a summary with the counts (Passed: N, Failed: N) that .ci/run reads.
python3 /usr/lib/llvm-19/build/utils/lit/lit.py -s -j"${NNC_JOBS:-2}" \
  --param nnc_build="$BUILD" --param sanitize=1 "$@"
