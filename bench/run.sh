#!/usr/bin/env bash
# nnc against PyTorch on this machine: bench/run.sh [--quick] [--build DIR]
# [--reps N] [--only W1,W3,...] [--output FILE]. Prints the table and writes
# docs/performance.md. See bench/README.md.
set -euo pipefail
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The PyTorch peers need Debian's python3-torch and OpenBLAS's OpenMP build
# (Debian's torch otherwise uses the reference BLAS); /usr/bin/time measures
# peak memory. Benchmark-only dependencies: not installed by the CI.
missing=()
for p in python3-torch libopenblas0-openmp time gcc; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
exec /usr/bin/python3 "$BENCH/bench.py" "$@"
