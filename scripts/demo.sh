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
