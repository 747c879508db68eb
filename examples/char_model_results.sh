#!/usr/bin/env bash
# Fetches the fortunes text, trains a character model (examples/NAME.nn:
# tiny_gpt or char_lstm) with seeds 1, 2, 3 and the same model and recipe in
# PyTorch (bench/peers/NAME.py, PyTorch's own initialisation) with its seeds
# 1, 2, 3, and prints the docs/results.md rows: the validation loss of each
# run and the means. Seeds are fixed here (no picking). Also samples 300
# characters from nnc's seed-1 checkpoint.
#   examples/char_model_results.sh tiny_gpt
# Environment: NNC (default build/bin/nnc), THREADS (default 1), OUT (logs and
# checkpoints, default /tmp/nnc-results), PEER=0 to skip PyTorch, OURS=0 to
# skip nnc (then two shells can run the halves side by side).
set -euo pipefail
NAME="${1:?usage: $0 tiny_gpt|char_lstm}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NNC="${NNC:-$ROOT/build/bin/nnc}"
THREADS="${THREADS:-1}"
OUT="${OUT:-/tmp/nnc-results}"
mkdir -p "$OUT"
TEXT="$("$ROOT/scripts/fetch_fortunes.sh")"
val() { sed -nE 's/^validation loss ([0-9.]+) on .*/\1/p' "$1" | tail -1; }
if [ "${OURS:-1}" != 0 ]; then
  nnc_sum=0
  for seed in 1 2 3; do
    log="$OUT/$NAME.$seed.out"
    "$NNC" train "$ROOT/examples/$NAME.nn" --text "$TEXT" --seed "$seed" --threads "$THREADS" \
      --print-every 500 -o "$OUT/$NAME.$seed.ckpt" > "$log" 2>&1 ||
      { echo "seed $seed: nnc train failed, see $log" >&2; exit 1; }
    v=$(val "$log")
    wall=$(sed -nE 's/.*trained [0-9]+ steps in ([0-9.e+-]+) s.*/\1/p' "$log" | tail -1)
    nnc_sum=$(awk -v a="$nnc_sum" -v b="$v" 'BEGIN { print a + b }')
    echo "| nnc | seed $seed, \`--threads $THREADS\` | $v | $wall s |"
  done
  nnc_mean=$(awk -v s="$nnc_sum" 'BEGIN { printf "%.4f", s / 3 }')
  echo "| nnc | mean of seeds 1-3 | $nnc_mean | |"
fi
if [ "${PEER:-1}" != 0 ]; then
  torch_sum=0
  for seed in 1 2 3; do
    json=$(cd "$ROOT/bench/peers" && OMP_NUM_THREADS="$THREADS" /usr/bin/python3 "$NAME.py" \
             --text "$TEXT" --threads "$THREADS" --train "$seed" 2> "$OUT/${NAME}_torch.$seed.log")
    v=$(echo "$json" | sed -nE 's/.*"val_loss": ([0-9.]+).*/\1/p')
    secs=$(echo "$json" | sed -nE 's/.*"seconds": ([0-9.]+).*/\1/p')
    torch_sum=$(awk -v a="$torch_sum" -v b="$v" 'BEGIN { print a + b }')
    echo "| PyTorch 1.13 | seed $seed, $THREADS thread(s) | $v | $secs s |"
  done
  torch_mean=$(awk -v s="$torch_sum" 'BEGIN { printf "%.4f", s / 3 }')
  echo "| PyTorch 1.13 | mean of seeds 1-3 | $torch_mean | |"
  if [ "${OURS:-1}" != 0 ]; then
    awk -v a="$nnc_mean" -v b="$torch_mean" 'BEGIN { printf "nnc / PyTorch mean validation loss: %.4f (%+.2f%%)\n", a / b, 100 * (a / b - 1) }'
  fi
fi
if [ "${OURS:-1}" != 0 ]; then
  echo "sample (nnc seed 1, prompt \"The \", temperature 0.8, top-k 20, seed 1):"
  "$NNC" generate "$ROOT/examples/$NAME.nn" --params "$OUT/$NAME.1.ckpt" --prompt "The " \
    --length 300 --temperature 0.8 --top-k 20 --seed 1
fi
