#!/usr/bin/env bash
# Builds the wasm AgentSession (release), then shrinks it with binaryen's wasm-opt from npm
# (Debian's binaryen is too old to parse what current Rust emits), and minifies the JS glue.
#   scripts/build-wasm.sh [OUT_DIR=www/pkg] [TARGET=web] [--pack]
# --pack also writes package.json (the npm package); without it only what a page loads.
# KEFU_WASM_CRATE=bench/variants KEFU_WASM_FEATURES=json (or miniserde) builds the benchmark's
# decoder variants (issue 16's experiment, a crate of its own that links the product in).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-www/pkg}
TARGET=${2:-web}
PACK=--no-pack
[ "${3:-}" = "--pack" ] && PACK=""
CRATE=${KEFU_WASM_CRATE:-.}
FEATURES=()
[ -n "${KEFU_WASM_FEATURES:-}" ] && FEATURES=(-- --features "$KEFU_WASM_FEATURES")
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd) # wasm-pack reads --out-dir relative to the crate
wasm-pack --log-level warn build "$CRATE" --release --target "$TARGET" --out-dir "$OUT" $PACK "${FEATURES[@]}"
# The module wasm-pack wrote: the crate's name with `_` (an older build's files may sit beside it).
NAME=$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$CRATE/Cargo.toml" | head -1 | tr - _)
WASM="$OUT/${NAME}_bg.wasm"
node_modules/.bin/wasm-opt -Oz --converge --strip-debug --strip-producers \
  --enable-bulk-memory --enable-bulk-memory-opt --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-call-indirect-overlong \
  "$WASM" -o "$WASM.opt"
mv "$WASM.opt" "$WASM"
# (`free()` is declared twice in the glue on purpose: our own, which closes a connected session first,
# overrides the generated one; src/web/session.rs. And wasm-bindgen lists a snippet that the wasm
# imports more than one function from directly — frames.js: `clock`, `listen` — once per function in
# the imports object, each time the same module's namespace: a duplicate key, harmless, silenced.)
# The generated JS glue is minified like any production script (exports keep their names; the
# TypeScript declarations beside it document them), with its snippets (src/web/outbox.js, tabs.js)
# bundled in: a page then fetches one script, not a second round of imports found only when the
# glue is parsed.
for js in "$OUT"/*.js; do
  node_modules/.bin/esbuild "$js" --bundle --format=esm --minify --log-level=warning --log-override:duplicate-class-member=silent --log-override:duplicate-object-key=silent --outfile="$js.min" && mv "$js.min" "$js"
done
if ! grep -Eq 'from ?"\./snippets' "$OUT"/*.js; then rm -rf "$OUT/snippets"; fi
# The console page's own modules, bundled with that glue into one script (www/console/early.js
# loads it from the top of the page): one request and one compile instead of 25 modules found
# import by import, which kept the page from being ready (issue 28's start-up row).
if [ "$OUT" = "$(pwd)/www/pkg" ] && [ "$CRATE" = . ] && [ "$TARGET" = web ]; then
  node_modules/.bin/esbuild www/console/main.js --bundle --format=esm --minify --log-level=warning --log-override:duplicate-class-member=silent --log-override:duplicate-object-key=silent --outfile="$OUT/console.js"
fi
echo "[build-wasm] $WASM: $(wc -c < "$WASM") bytes, $(gzip -9 -c "$WASM" | wc -c) gzip"
