#!/usr/bin/env bash
# Installs what is missing (Debian 12 packages, DESIGN.md section 5; binutils:
# nnc compile joins its objects with ld -r and objcopy), then
# configures and builds nnc in ./build with CMake + Ninja. Idempotent: quiet
# when everything is already there. Sourced by demo.sh and test.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${NNC_BUILD_DIR:-$ROOT/build}"
PACKAGES=(antlr4 libantlr4-runtime-dev llvm-19-dev llvm-19-tools libfmt-dev
          cmake ninja-build g++ binutils python3 libgtest-dev ccache graphviz make pkg-config
          libopenmpi-dev openmpi-bin
          libonnx-dev libprotobuf-dev protobuf-compiler)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
ninja -C "$BUILD" -j"${NNC_JOBS:-2}" | grep -v '^\[' || true
test -x "$BUILD/bin/nnc"
