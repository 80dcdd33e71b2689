#!/usr/bin/env bash
# Builds the browser module as scripts/build-wasm.sh ships it (release, the same wasm-opt passes)
# but keeping its function names, for twiggy (scripts/bench.sh) and for the test that no
# formatting or std code is in it (tests/e2e/module.test.mjs). Prints the named module's path.
#   scripts/build-wasm-named.sh OUT_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$1
mkdir -p "$OUT"
cargo build -q --release --target wasm32-unknown-unknown --lib
wasm-bindgen --target web --keep-debug --out-dir "$OUT" target/wasm32-unknown-unknown/release/kefu_agent.wasm
node_modules/.bin/wasm-opt -Oz --debuginfo \
  --enable-bulk-memory --enable-bulk-memory-opt --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-call-indirect-overlong \
  "$OUT/kefu_agent_bg.wasm" -o "$OUT/named.wasm"
echo "$OUT/named.wasm"
