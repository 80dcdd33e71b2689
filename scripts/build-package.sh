#!/usr/bin/env bash
# Builds the npm package for front-end developers: pkg/web (plain <script type="module">, Vite)
# and pkg/bundler (webpack-style bundlers), each with package.json, README, .d.ts and the wasm.
set -euo pipefail
cd "$(dirname "$0")/.."
for target in web bundler; do
  rm -rf "pkg/$target"
  wasm-pack --log-level warn build --release --target "$target" --out-dir "pkg/$target"
  WASM="pkg/$target/kefu_agent_bg.wasm"
  node_modules/.bin/wasm-opt -Oz --strip-debug --strip-producers \
    --enable-bulk-memory --enable-bulk-memory-opt --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-call-indirect-overlong \
    "$WASM" -o "$WASM.opt"
  mv "$WASM.opt" "$WASM"
  echo "[package] pkg/$target: $(node -p "require('./pkg/$target/package.json').files.join(', ')")"
done
