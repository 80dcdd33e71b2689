#!/usr/bin/env bash
# The front-end package checks: builds pkg/web and pkg/bundler, type-checks an example against the
# published declarations (tsc --noEmit --strict), and builds the Vite example from pkg/web.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-package.sh
node_modules/.bin/tsc -p examples/typecheck
echo "[package] TypeScript declarations type-check"
(cd examples/vite && npm install --no-audit --no-fund --loglevel=error && node_modules/.bin/vite build --logLevel warn)
echo "[package] Vite example built: $(ls examples/vite/dist/assets | tr '\n' ' ')"
