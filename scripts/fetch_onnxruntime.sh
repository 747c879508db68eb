#!/usr/bin/env bash
# Installs onnxruntime-node@1.30.0 (onnxruntime's CPU build for Node.js, the
# checker for `nnc export` and the inference peer of bench/) from npm into a
# cache outside the source tree, and prints the node_modules directory to
# put on NODE_PATH. --ignore-scripts: the package's install script fetches
# GPU extras from a host we cannot reach; its CPU binaries are in the package.
# Idempotent: a complete cache is used as it is.
set -euo pipefail
VERSION=1.30.0
# Without HOME (lit's clean environment), the user's home from the password file.
home="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
CACHE="${NNC_DATA_DIR:-${XDG_CACHE_HOME:-$home/.cache}/nnc}/onnxruntime-node-$VERSION"
MODULES="$CACHE/node_modules"
ready() {
  [ -f "$MODULES/onnxruntime-node/package.json" ] &&
    grep -q "\"version\": \"$VERSION\"" "$MODULES/onnxruntime-node/package.json" &&
    ls "$MODULES"/onnxruntime-node/bin/napi-v*/linux/*/onnxruntime_binding.node >/dev/null 2>&1
}
if ready; then echo "$MODULES"; exit 0; fi
command -v npm >/dev/null || { echo "fetch_onnxruntime: npm is needed (apt-get install npm)" >&2; exit 1; }
tmp="$CACHE.part.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && echo '{"private": true}' > package.json &&
  npm install --silent --no-audit --no-fund --ignore-scripts "onnxruntime-node@$VERSION" >/dev/null)
rm -rf "$CACHE"
mv "$tmp" "$CACHE"
trap - EXIT
ready || { echo "fetch_onnxruntime: onnxruntime-node $VERSION did not install its CPU binaries" >&2; exit 1; }
echo "$MODULES"
