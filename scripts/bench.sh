#!/usr/bin/env bash
# Benchmarks (issue: performance budgets): prints every figure as table rows; the latest run is
# kept in docs/performance.md. Numbers, not pass/fail: the budgets are judged there.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
scripts/build-wasm.sh >/dev/null
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -m)"
echo "== 1. transfer size (release, wasm-opt -Oz) =="
node -e '
const fs = require("fs"), z = require("zlib");
const row = (name, files) => {
  const buf = Buffer.concat(files.map((f) => fs.readFileSync(f)));
  const gz = z.gzipSync(buf, { level: 9 }).length, br = z.brotliCompressSync(buf).length;
  console.log(`| ${name} | ${buf.length} B | ${gz} B gzip | ${br} B brotli |`);
};
console.log("| module | raw | gzip | brotli |\n|---|---|---|---|");
row("kefu_agent_bg.wasm", ["www/pkg/kefu_agent_bg.wasm"]);
row("kefu_agent.js (glue)", ["www/pkg/kefu_agent.js"]);
row("session total (wasm + glue)", ["www/pkg/kefu_agent_bg.wasm", "www/pkg/kefu_agent.js"]);
row("JS baseline (bench/baseline-chatDialog.js)", ["bench/baseline-chatDialog.js"]);
'
echo "== 2. decode + dispatch, 100 000 mixed frames (native core, then Chromium side by side with the JS baseline) =="
cargo test -q --release --test core_bench -- --ignored --nocapture 2>&1 | grep -E "decode|timers"
cp bench/baseline-chatDialog.js www/bench/baseline-chatDialog.js
cargo build -q -p kefu-server
node tests/e2e/bench-decode.mjs
echo "== 3. 1 000-message burst rendered in the console (LayIM, Long Tasks API) =="
scripts/layim.sh >/dev/null
node tests/e2e/bench-burst.mjs
echo "== 7. reference server: 1 000 conversations over loopback, 2 000 msg/s =="
cargo build -q --release -p kefu-server --bin kefu-server --example load
KEFU_SERVER_BIN=target/release/kefu-server target/release/examples/load
