#!/usr/bin/env bash
# Install, build, then run every test (lit + unit tests) through ctest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh"
cd "$BUILD"
ctest -j"${NNC_JOBS:-2}" --output-on-failure "$@"
