#!/usr/bin/env bash
# Refreshes docs/console.png (the console mid-conversation) and docs/board.png (the supervisor's
# live board) from a live run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
if ! fc-list 2>/dev/null | grep -qi 'cjk'; then # Chinese glyphs for the picture
  apt-get install -y -qq fonts-noto-cjk >/dev/null || echo "no CJK font: the screenshot will show boxes" >&2
fi
scripts/build-wasm.sh >/dev/null
cargo build -q -p kefu-server
mkdir -p docs
node tests/e2e/screenshot.mjs
node tests/e2e/screenshot-board.mjs
