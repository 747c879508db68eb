#!/usr/bin/env bash
# Fetches the SpamAssassin corpus, tokenises it (once), trains
# examples/text_classifier.nn (or with `gru`, examples/text_gru_classifier.nn)
# with seeds 1, 2, 3 and prints one docs/results.md row per run. Seeds are
# fixed here (no picking).
#   examples/text_results.sh [gru]
# Environment: NNC (default build/bin/nnc), THREADS (default 1), OUT (logs,
# default /tmp/nnc-results).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NNC="${NNC:-$ROOT/build/bin/nnc}"
THREADS="${THREADS:-1}"
OUT="${OUT:-/tmp/nnc-results}"
mkdir -p "$OUT"
MODEL=text_classifier
RECIPE="Adam 1e-2, batch 64, 5 epochs"
if [ "${1:-}" = gru ]; then
  MODEL=text_gru_classifier
  RECIPE="Adam 5e-3, batch 64, 5 epochs"
fi
D="$("$ROOT/scripts/fetch_spam_assassin.sh")"
T="$D/tokens"
[ -f "$T/test_labels.npy" ] || /usr/bin/python3 "$ROOT/examples/text/tokenize_spam.py" "$D" -o "$T" >&2
for seed in 1 2 3; do
  log="$OUT/$MODEL.$seed.out"
  "$NNC" train "$ROOT/examples/$MODEL.nn" --seed "$seed" --threads "$THREADS" \
    --data tokens="$T/train_tokens.npy" --data label="$T/train_labels.npy" \
    --test tokens="$T/test_tokens.npy" --test label="$T/test_labels.npy" > "$log" 2>&1 ||
    { echo "seed $seed: nnc train failed, see $log" >&2; exit 1; }
  wall=$(sed -nE 's/.*trained [0-9]+ steps in ([0-9.e+-]+) s.*/\1/p' "$log" | tail -1)
  acc=$(sed -nE 's/^test loss .*, accuracy ([0-9.]+) on 1210 samples.*/\1/p' "$log" | tail -1)
  pct=$(awk -v a="$acc" 'BEGIN { printf "%.2f", 100 * a }')
  echo "| $MODEL.nn | file defaults ($RECIPE), seed $seed, \`--threads $THREADS\` | $pct% | $wall s |"
done
