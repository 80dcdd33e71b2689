#!/usr/bin/env bash
# Installs everything the run and test commands need. Idempotent: each step is skipped when its
# tool is already present at the right version. Needs root (or sudo) for apt on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

# 1. Rust toolchain target for WebAssembly.
if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# 2. Debian packages: Chromium + ChromeDriver for the browser tests; PostgreSQL, nats-server and
#    HAProxy for the cluster (its tests, scripts/run-cluster.sh). None is started as a service:
#    scripts/pg.sh and scripts/nats.sh run private instances.
need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v chromedriver >/dev/null || need_apt+=(chromium-driver)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
command -v nats-server >/dev/null || need_apt+=(nats-server)
command -v haproxy >/dev/null || need_apt+=(haproxy)

if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing ${need_apt[*]} (apt)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# 3. wasm-bindgen-cli pinned to the wasm-bindgen version in Cargo.lock (wasm-pack uses it from PATH
#    instead of downloading one). No --locked: its own lock file does not resolve here.
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WB_VERSION" ]; then
  log "installing wasm-bindgen-cli $WB_VERSION (about 3 minutes)"
  cargo install wasm-bindgen-cli --version "$WB_VERSION" --force
fi

# 4. wasm-pack.
if ! command -v wasm-pack >/dev/null; then
  log "installing wasm-pack (about 2.5 minutes)"
  cargo install wasm-pack
fi

# 5. Front-end packages (LayIM from layui-src, the browser-test driver, TypeScript) from npm.
if [ -f package.json ]; then
  if [ ! -d node_modules ] || [ package.json -nt node_modules/.setup-stamp ]; then
    log "installing npm packages"
    npm install --no-audit --no-fund --loglevel=error
    touch node_modules/.setup-stamp
  fi
fi

# 6. LayIM: copy layui from npm into www/vendor and apply our patches (re-applicable).
if [ -x scripts/layim.sh ]; then
  scripts/layim.sh
fi
# 7. Chart.js for the reports page (loaded by that page only).
if [ -f node_modules/chart.js/dist/chart.umd.js ]; then
  mkdir -p www/vendor
  cmp -s node_modules/chart.js/dist/chart.umd.js www/vendor/chart.umd.js || cp node_modules/chart.js/dist/chart.umd.js www/vendor/chart.umd.js
fi
log "set-up complete"
