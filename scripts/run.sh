#!/usr/bin/env bash
# The run command: set-up (toolchains, LayIM + patches), wasm build, server build, then runs the
# reference server on 127.0.0.1:9981 (override with KEFU_BIND or --bind) serving the console, in
# demo mode (--demo: the seeded agents sign in with their id as password; printed at start).
# Extra arguments go to kefu-server (see `kefu-server --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build-wasm.sh
cargo build --release -p kefu-server
exec ./target/release/kefu-server --www-dir www --demo "$@"
