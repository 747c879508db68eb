#!/usr/bin/env bash
# Issue 16's example runs on the full MNIST set, with their PyTorch peers, and
# the docs/results.md rows they give. Seeds are fixed here (seed 1, no
# picking); one run at a time.
#   examples/issue16_results.sh [RUN...]   RUN: pytorch_mnist resnet vae
#                                          (default: all, about 40 min on 2 cores)
#   pytorch_mnist  examples/pytorch_mnist.nn, 3 epochs, and
#                  bench/peers/pytorch_mnist.py (pytorch/examples' mnist/main.py):
#                  test accuracy after epochs 1 and 3
#   resnet         examples/resnet_mnist.nn: test accuracy after each epoch
#                  (target: at least 99.3% at the end; exit 1 below it)
#   vae            examples/mnist_vae.nn, 10 epochs, and bench/peers/mnist_vae.py
#                  (pytorch/examples' vae/main.py): test loss (negative ELBO per
#                  test image) after epochs 1 and 10
# Prints the CPU, and the load average (uptime) before and after each run:
# other jobs on the machine make the wall times upper bounds.
# Environment: NNC (default build/bin/nnc), THREADS (default: all cores, for
# nnc and PyTorch alike), OUT (logs, checkpoints; default /tmp/nnc-results),
# PEER=0 to skip the PyTorch runs, OURS=0 to skip nnc's.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NNC="${NNC:-$ROOT/build/bin/nnc}"
THREADS="${THREADS:-$(nproc)}"
OUT="${OUT:-/tmp/nnc-results}"
PY=/usr/bin/python3   # Debian's, with torch 1.13 and numpy
# PyTorch on OpenBLAS's OpenMP build, as bench/ runs it (bench/README.md)
OPENBLAS=/usr/lib/x86_64-linux-gnu/openblas-openmp
[ -d "$OPENBLAS" ] && export LD_LIBRARY_PATH="$OPENBLAS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
mkdir -p "$OUT"
M="${MNIST:-$("$ROOT/scripts/fetch_mnist.sh")}" || exit 1
runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=(pytorch_mnist resnet vae)
echo "CPU: $(lscpu | sed -nE 's/^Model name: *//p' | head -1), $(nproc) cores; $THREADS thread(s) per run"

failed=0
load() { echo "  load: $(uptime | sed -E 's/.*load average: //') ($1)"; }
round1() { awk -v a="$1" 'BEGIN { printf "%.1f", a }'; }
pct() { awk -v a="$1" 'BEGIN { printf "%.2f", 100 * a }'; }
# column VALUE of the --log CSV row of step STEP
csv() { awk -F, -v s="$2" -v c="$3" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        $1 == s { print $(col[c]) }' "$1" | tail -1; }

nnc_train() { # name model [flags...] -> trains; the log is $OUT/name.out, $OUT/name.csv
  local name=$1 model=$2; shift 2
  local data=(--data image="$M/train-images-idx3-ubyte" --test image="$M/t10k-images-idx3-ubyte")
  [ "$name" = vae ] || data+=(--data label="$M/train-labels-idx1-ubyte"
                              --test label="$M/t10k-labels-idx1-ubyte")
  load "before nnc $model"
  "$NNC" train "$ROOT/examples/$model" "${data[@]}" --scale image=1/255 --seed 1 \
    --threads "$THREADS" --log "$OUT/$name.csv" -o "$OUT/$name.ckpt" "$@" > "$OUT/$name.out" 2>&1 ||
    { echo "$model: nnc train failed, see $OUT/$name.out" >&2; failed=1; return 1; }
  load "after"
}
trained() { sed -nE 's/.*trained [0-9]+ steps in ([0-9.e+-]+) s.*/\1/p' "$1" | tail -1; }
final_acc() { sed -nE 's/^test loss .*, accuracy ([0-9.]+) on [0-9]+ samples.*/\1/p' "$1" | tail -1; }
final_loss() { sed -nE 's/^test loss ([0-9.]+)[, ].*on [0-9]+ samples.*/\1/p' "$1" | tail -1; }

for r in "${runs[@]}"; do
  case $r in
    pytorch_mnist)
      # 60000 / 64: 937 steps per epoch (nnc drops the last partial batch)
      if [ "${OURS:-1}" != 0 ] && nnc_train pytorch_mnist pytorch_mnist.nn --eval-every 937; then
        log="$OUT/pytorch_mnist.out" c="$OUT/pytorch_mnist.csv"
        echo "| pytorch_mnist.nn | nnc, epoch 1 (937 steps), seed 1, \`--threads $THREADS\` | $(pct "$(csv "$c" 937 test_accuracy)")% | $(round1 "$(csv "$c" 937 wall_seconds)") s |"
        echo "| pytorch_mnist.nn | nnc, epoch 3 (2811 steps), seed 1, \`--threads $THREADS\` | $(pct "$(final_acc "$log")")% | $(trained "$log") s |"
      fi
      if [ "${PEER:-1}" != 0 ]; then
        load "before PyTorch pytorch_mnist.py"
        (cd "$ROOT/bench/peers" && OMP_NUM_THREADS="$THREADS" "$PY" pytorch_mnist.py --mnist "$M" \
           --epochs 3 --seed 1 --threads "$THREADS") > "$OUT/pytorch_mnist_torch.out" 2>&1 ||
          { echo "pytorch_mnist.py failed, see $OUT/pytorch_mnist_torch.out" >&2; failed=1; continue; }
        load "after"
        for e in 1 3; do
          sed -nE "s/^epoch $e: test loss .*\(([0-9.]+)%\), trained ([0-9.]+) s.*/| pytorch_mnist.py | PyTorch 1.13, epoch $e ($((e * 938)) steps), seed 1, $THREADS thread(s) | \1% | \2 s |/p" \
            "$OUT/pytorch_mnist_torch.out"
        done
      fi ;;
    resnet)
      [ "${OURS:-1}" != 0 ] || continue
      nnc_train resnet resnet_mnist.nn --eval-every 937 || continue
      log="$OUT/resnet.out" c="$OUT/resnet.csv"
      steps=$(sed -nE 's/.*trained ([0-9]+) steps in .*/\1/p' "$log" | tail -1)
      epochs=$((steps / 937)) accs=""
      for ((e = 1; e < epochs; e++)); do accs+="$(pct "$(csv "$c" $((e * 937)) test_accuracy)")%, "; done
      acc=$(pct "$(final_acc "$log")")
      echo "| resnet_mnist.nn | file defaults (Adam 2e-3 halved per epoch, batch 64, $epochs epochs), seed 1, \`--threads $THREADS\` | $acc% (epochs 1-$((epochs - 1)): ${accs%, }) | $(trained "$log") s |"
      awk -v p="$acc" 'BEGIN { exit !(p < 99.3) }' && { echo "  below the target of 99.3%" >&2; failed=1; } ;;
    vae)
      # 60000 / 128: 468 steps per epoch
      if [ "${OURS:-1}" != 0 ] && nnc_train vae mnist_vae.nn --eval-every 468; then
        log="$OUT/vae.out" c="$OUT/vae.csv"
        echo "| mnist_vae.nn | nnc, epoch 1 (468 steps), seed 1, \`--threads $THREADS\` | $(awk -v a="$(csv "$c" 468 test_loss)" 'BEGIN { printf "%.2f", a }') | $(round1 "$(csv "$c" 468 wall_seconds)") s |"
        echo "| mnist_vae.nn | nnc, epoch 10 (4680 steps), seed 1, \`--threads $THREADS\` | $(awk -v a="$(final_loss "$log")" 'BEGIN { printf "%.2f", a }') | $(trained "$log") s |"
      fi
      if [ "${PEER:-1}" != 0 ]; then
        load "before PyTorch mnist_vae.py"
        (cd "$ROOT/bench/peers" && OMP_NUM_THREADS="$THREADS" "$PY" mnist_vae.py "$M" 10 \
           --threads "$THREADS") > "$OUT/vae_torch.out" 2>&1 ||
          { echo "mnist_vae.py failed, see $OUT/vae_torch.out" >&2; failed=1; continue; }
        load "after"
        for e in 1 10; do
          sed -nE "s/^epoch $e: train [0-9.]+, test ([0-9.]+) .*trained ([0-9.]+) s.*/| mnist_vae.py | PyTorch 1.13, epoch $e ($((e * 468)) steps), seed 1, $THREADS thread(s) | \1 | \2 s |/p" \
            "$OUT/vae_torch.out"
        done
      fi ;;
    *) echo "unknown run '$r' (pytorch_mnist resnet vae)" >&2; exit 2 ;;
  esac
done
exit $failed
