#!/usr/bin/env bash
# The headless-Chrome suite of the wasm session against a live reference server (tests/web_live.rs):
# starts a throw-away server with test hooks, runs the suite with KEFU_TEST_SERVER baked in, stops
# the server. A plain `wasm-pack test --headless --chrome` runs everything else (tests/web_fake.rs
# against an in-page fake server) and reports these as ignored, naming this script.
set -euo pipefail
cd "$(dirname "$0")/.."
PIDFILE=$(mktemp /tmp/kefu-web-server.XXXXXX)
cleanup() {
  kill "$(cat "$PIDFILE" 2>/dev/null)" 2>/dev/null || true
  if [ -f "$PIDFILE.dir" ]; then rm -rf "$(cat "$PIDFILE.dir")"; fi
  rm -f "$PIDFILE" "$PIDFILE.dir"
}
trap cleanup EXIT
KEFU_TEST_SERVER=$(scripts/test-server.sh "$PIDFILE")
export KEFU_TEST_SERVER
echo "test server at $KEFU_TEST_SERVER"
wasm-pack test --headless --chrome --test web_live -- --include-ignored
