#!/usr/bin/env bash
# Copies LayIM (layui-src@2.5.4 from npm) into www/vendor/layui and applies layim-patches/*.patch.
# Re-applicable: it always starts from the pristine npm copy; each patch is checked with --dry-run
# first so a patch that no longer applies cleanly fails loudly instead of half-applying.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=node_modules/layui-src/src
DEST=www/vendor/layui
if [ ! -f "$SRC/lay/modules/layim.js" ]; then
  echo "layui-src is not installed: run npm install (scripts/setup.sh does)" >&2
  exit 1
fi
STAMP="$DEST/.patched"
WANT=$(cat node_modules/layui-src/package.json "$SRC/lay/modules/layim.js" layim-patches/*.patch | sha256sum | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
  exit 0 # already copied and patched with exactly these patches
fi
rm -rf "$DEST"
mkdir -p "$(dirname "$DEST")"
cp -R "$SRC" "$DEST"
for p in layim-patches/*.patch; do
  if ! patch --dry-run --silent -p1 -d "$DEST" < "$p" >/dev/null; then
    echo "LayIM patch $p does not apply cleanly to layui-src@2.5.4" >&2
    exit 1
  fi
  patch --silent -p1 -d "$DEST" < "$p"
  echo "[layim] applied $(basename "$p")"
done
echo "$WANT" > "$STAMP"
