#!/usr/bin/env bash
# Fetches the English text the character-level examples train on: the fortune
# cookie files of Debian's `fortunes` and `fortunes-min` packages
# (1:1.99.1-7.3, bookworm), every file except the ASCII-art ones (art,
# ascii-art) and translate-me, joined in name order into one UTF-8 file of
# 2,483,683 bytes (113 distinct characters). The two .debs and the joined
# text are checked by SHA-256; the text is cached
# outside the source tree. Prints the text file's path. Idempotent.
# Licence (the package's copyright file): the fortune program and its data
# files are under the BSD licence (University of California, Ken Arnold's
# fortune(6)); see /usr/share/doc/fortunes/copyright once installed, or
# docs/results.md.
set -euo pipefail
CACHE="${NNC_DATA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nnc}/fortunes"
TEXT="$CACHE/fortunes.txt"
VERSION="1:1.99.1-7.3"
declare -A DEB_SHA=(
  [fortunes]=41d0551dc0ff52f875a2ecef7c39da2f672ab468c37e170119f7e0245a9d63c5
  [fortunes-min]=9eed5b45064e41133dae0967cf3a17588ad77c014fcc7bf1527fa3ea48e44d07)
TEXT_SHA=a51bd4632ffa8e0b72130fecfe89574de793f2594efb9d5360c6399978a6e7ab

if [ -f "$TEXT" ] && [ "$(sha256sum "$TEXT" | cut -d' ' -f1)" = "$TEXT_SHA" ]; then
  echo "$TEXT"; exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
download() { (cd "$tmp" && apt-get download -qq "fortunes=$VERSION" "fortunes-min=$VERSION" >/dev/null 2>&1); }
if ! download; then
  # A fresh machine may not have read Debian's package lists yet.
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >/dev/null
  download || { echo "fetch_fortunes: apt-get download fortunes=$VERSION failed" >&2; exit 1; }
fi
for pkg in fortunes fortunes-min; do
  deb=$(ls "$tmp/${pkg}_"*.deb)
  [ "$(sha256sum "$deb" | cut -d' ' -f1)" = "${DEB_SHA[$pkg]}" ] ||
    { echo "fetch_fortunes: $deb does not match the expected SHA-256" >&2; exit 1; }
  dpkg-deb -x "$deb" "$tmp/x"
done
dir="$tmp/x/usr/share/games/fortunes"
files=$(cd "$dir" && LC_ALL=C ls | grep -v -e '\.dat$' -e '\.u8$' -e '^art$' -e '^ascii-art$' -e '^translate-me$')
mkdir -p "$CACHE"
(cd "$dir" && cat $files) > "$TEXT.part"
[ "$(sha256sum "$TEXT.part" | cut -d' ' -f1)" = "$TEXT_SHA" ] ||
  { rm -f "$TEXT.part"; echo "fetch_fortunes: the joined text does not match the expected SHA-256" >&2; exit 1; }
mv "$TEXT.part" "$TEXT"
echo "$TEXT"
