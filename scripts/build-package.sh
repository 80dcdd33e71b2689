#!/usr/bin/env bash
# Builds the npm package for front-end developers: pkg/web (plain <script type="module">, Vite)
# and pkg/bundler (webpack-style bundlers), each with package.json, README, .d.ts and the wasm.
set -euo pipefail
cd "$(dirname "$0")/.."
for target in web bundler; do
  rm -rf "pkg/$target"
  scripts/build-wasm.sh "pkg/$target" "$target" --pack
  echo "[package] pkg/$target: $(node -p "require('./pkg/$target/package.json').files.join(', ')")"
done
