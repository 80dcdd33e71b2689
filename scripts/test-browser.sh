#!/usr/bin/env bash
# Browser suite of the console: builds what the page loads, then runs tests/e2e/*.test.mjs
# (node's test runner + playwright-core driving Debian's Chromium) against real kefu-server processes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/layim.sh
scripts/build-wasm.sh >/dev/null
cargo build -q -p kefu-server
# The cluster test's store: the private PostgreSQL (each run makes a schema of its own).
KEFU_TEST_PG="$(scripts/pg.sh)"
export KEFU_TEST_PG="${KEFU_TEST_PG%/kefu}/kefu_test"
node --test --test-concurrency=1 tests/e2e/
