#!/usr/bin/env bash
# The one test command: set-up, then every suite (native core, server, headless Chromium).
# Ends with one summary line "tests: N passed, M failed" over all suites.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

# A clean clone's build and the suites' data take about 12 GB; say so up front rather than as a
# compiler's "No space left on device" half-way through.
FREE_KB=$(df -Pk . | awk 'NR == 2 {print $4}')
if [ "${FREE_KB:-0}" -lt $((12 * 1024 * 1024)) ]; then
  echo "warning: only $((FREE_KB / 1024)) MB free on $(df -P . | awk 'NR == 2 {print $6}'); a clean build and the suites need about 12 GB" >&2
fi

LOG=$(mktemp /tmp/kefu-test-log.XXXXXX)
trap 'rm -f "$LOG"' EXIT

summary() {
  # Sums cargo's "N passed; M failed" lines and node's "# pass N" / "# fail M" lines.
  { grep -Eo '[0-9]+ passed; [0-9]+ failed' "$LOG" | awk '{print $1, $3}'
    paste <(grep -E '^# pass [0-9]+' "$LOG" | awk '{print $3}') <(grep -E '^# fail [0-9]+' "$LOG" | awk '{print $3}'); } |
    awk '{p+=$1; f+=$2} END {printf "tests: %d passed, %d failed\n", p, f}'
}

run() { # run a suite, keeping its output for the summary
  echo "== $1 =="; shift
  if ! "$@" 2>&1 | tee -a "$LOG"; then summary; echo "FAILED: $*"; exit 1; fi
}

run "native tests: core state machine and reference server" cargo test --workspace

# The server's suites again on PostgreSQL (a private instance, started here; a schema per test
# server), then the cluster: three nodes on PostgreSQL + NATS behind HAProxy, nodes SIGKILLed.
PG_URL=$(scripts/pg.sh fresh-test-db)
run "reference server on PostgreSQL: the same suites" env KEFU_TEST_PG="${PG_URL%/kefu}/kefu_test" \
  cargo test -p kefu-server --lib --test attacks --test auth --test extensions --test http_api --test ops --test presence --test routing --test signals --test supervisor --test lifecycle --test search --test privacy --test reports --test webhooks --test departments --test group_commit --test http_nul --test routing_writes --test under_lock --test frame_fuzz --test history
run "cluster: 3 nodes on PostgreSQL + NATS behind HAProxy, the routing node and the others SIGKILLed in turn, then a rolling restart (SIGTERM); then partitioned routing, HAProxy sending each socket to its partition's node" \
  env KEFU_TEST_PG="${PG_URL%/kefu}/kefu_test" cargo test -p kefu-server --test cluster --test partitions --test affinity --test partition_board --test spread -- --ignored --nocapture

# The design card's own command, exactly as a developer types it (no server: the live tests report
# as ignored), then the live suite against a throw-away reference server.
run "headless Chromium: wasm-pack test --headless --chrome (in-page fake server)" wasm-pack test --headless --chrome
run "headless Chromium: the wasm AgentSession against a live reference server" scripts/test-web.sh

run "front-end package: npm build, type check, Vite example" scripts/test-package.sh

if [ -x scripts/test-browser.sh ]; then
  run "headless Chromium: the console end to end" scripts/test-browser.sh
fi

summary
