#!/usr/bin/env bash
# Install, build, then run every test (lit + unit tests) through ctest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh"
# The ONNX tests (test/onnx) export PyTorch models and read the ONNX backend
# test suite; without these packages lit reports them UNSUPPORTED.
extras=()
for p in python3-torch python3-onnx python3-numpy libonnx-testdata; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || extras+=("$p")
done
if [ ${#extras[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing: ${extras[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${extras[@]}" >/dev/null ||
    echo "could not install ${extras[*]}: the ONNX tests will be skipped"
fi
cd "$BUILD"
ctest -j"${NNC_JOBS:-2}" --output-on-failure "$@"
