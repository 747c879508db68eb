#!/usr/bin/env bash
# The figures in docs/embedding.md: object, archive and executable sizes for
# examples/mnist_cnn.nn, start-up time to the first prediction, and what the
# executable links dynamically. usage: scripts/embed_numbers.sh [BUILD_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build}" && pwd)"
NNC="$BUILD/bin/nnc"
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
cd "$T"
D="$ROOT/test/data/mnist"
size() { stat -c %s "$1"; }

"$NNC" compile "$ROOT/examples/mnist_cnn.nn" -o full.o --header full.h --quiet
"$NNC" compile "$ROOT/examples/mnist_cnn.nn" --inference-only -o mnist_cnn.o --quiet
"$NNC" compile "$ROOT/examples/mnist_cnn.nn" --inference-only --emit-static-lib mnist_cnn.a \
  --header mnist_cnn.h --quiet
echo "object, training + predict:   $(size full.o) bytes"
echo "object, --inference-only:     $(size mnist_cnn.o) bytes"
echo "libnnrt.a:                    $(size "$BUILD/runtime/libnnrt.a") bytes"
echo "--emit-static-lib archive:    $(size mnist_cnn.a) bytes"

cc -O2 -I. "$ROOT/examples/embed/c/first_prediction.c" mnist_cnn.a -lm -lpthread -o first
c++ -std=c++17 -O2 -I. "$ROOT/examples/embed/cpp/classify.cpp" mnist_cnn.a -lpthread -o classify
cp first first.stripped && strip first.stripped
echo "C executable (first_prediction.c): $(size first) bytes, $(size first.stripped) stripped"
echo "C++ executable (classify.cpp):     $(size classify) bytes"

"$NNC" train "$ROOT/examples/mnist_cnn.nn" --data image="$D/train-images-300-idx3-ubyte" \
  --data label="$D/train-labels-300-idx1-ubyte" --scale image=1/255 --steps 1 --quiet \
  -o cnn.ckpt >/dev/null
echo "checkpoint (parameters + Adam state): $(size cnn.ckpt) bytes"
for run in 1 2 3; do ./first; done
for run in 1 2 3; do ./first cnn.ckpt; done
echo "ldd classify:"
ldd ./classify
