// Decode + dispatch cost per frame, side by side in one browser run: the wasm AgentSession and the
// JS baseline's onmessage (which, like the original, parses every frame twice), each handed the
// same MessageEvent objects the way a socket hands them over (the session's socket is a stand-in
// that only delivers them, so no server traffic is measured). Hooks are no-ops in both: no DOM. When the benchmark built
// issue 16's variant (bench/pkg-text: the frame's text copied into wasm once, parsed there, the
// hook's payload parsed from the same text in JS only when a hook is called; and bench/pkg-mini,
// the same with miniserde), they are measured too.
import init, { AgentSession, hookNames } from '../pkg/kefu_agent.js';
import { createBaseline } from './baseline-chatDialog.js';

const N = Number(new URLSearchParams(location.search).get('n') || 100000);
const frames = [];
for (let i = 0; i < N; i++) {
  switch (i % 5) {
    case 0: frames.push(JSON.stringify({ status: 1, data: { userId: 'u' + (i % 50), userName: '张三', kfId: 'bench', content: '你好，我的订单 ' + i + ' 还没到', createTime: 1764064800000 } })); break;
    case 1: frames.push(JSON.stringify({ status: 2, data: { id: 'w' + (i % 50), userName: '李四' } })); break;
    case 2: frames.push(JSON.stringify({ status: 4, data: { id: 't' + (i % 50), userName: '王五', fromKfId: 'x' } })); break;
    case 3: frames.push(JSON.stringify({ status: 5, data: { id: 'r' + (i % 50), userName: '赵六' } })); break;
    default: frames.push('{"status":9}');
  }
}
// The session's socket: delivers `message` events and nothing else (made before any timing).
const sockets = [];
class BenchSocket extends EventTarget {
  constructor(url) {
    super();
    this.url = url;
    this.readyState = 0;
    this.binaryType = 'blob';
    this.onmessage = null;
    sockets.push(this);
    setTimeout(() => { this.readyState = 1; this.dispatchEvent(new Event('open')); }, 0);
  }
  addEventListener(type, listener) {
    if (type === 'message') this.onmessage = listener;
    else super.addEventListener(type, listener);
  }
  removeEventListener() {}
  send() {}
  close() { this.readyState = 3; }
}
const events = frames.map((data) => new MessageEvent('message', { data }));
const noop = () => {};
const hooks = { onMessage: noop, onCustomerWaiting: noop, onQueueChange: noop, onTransferRequest: noop, onTransferRejected: noop, onHeartbeat: noop };
const median = (a) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
const p99 = (a) => a.slice().sort((x, y) => x - y)[Math.floor(a.length * 0.99)];

await init();
// The reference server wants the agent's token (`?token=`, passed on by bench-decode.mjs).
const token = new URLSearchParams(location.search).get('token') || '';
const serverUrl = location.origin + '/' + (token ? '?token=' + encodeURIComponent(token) : '');
const RealWebSocket = window.WebSocket;
window.WebSocket = BenchSocket;
const session = new AgentSession({ kfId: 'bench', serverUrl, logLevel: 'silent', heartbeatMs: 3600000 }, hooks);
session.connect();
while (session.state !== 'open') await new Promise((r) => setTimeout(r, 10));
window.WebSocket = RealWebSocket;
const socket = sockets[sockets.length - 1];

const baseline = createBaseline('ws://unused', 'bench', hooks);
const realSetTimeout = window.setTimeout, realClearTimeout = window.clearTimeout;
window.setTimeout = () => 0; // the baseline's heartCheck re-arms timers on every frame; not part of decoding
window.clearTimeout = () => {};

function run(fn) {
  const perRun = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    for (const e of events) fn(e);
    perRun.push(((performance.now() - t) * 1e6) / N); // ns per frame
  }
  return perRun;
}
// The session and the baseline run by turns, 9 rounds after one warm-up round each, so a machine
// that slows down or speeds up during the run weighs on both alike.
function runBoth(a, b) {
  for (const e of events) { a(e); b(e); }
  const perA = [], perB = [];
  for (let r = 0; r < 9; r++) {
    for (const [fn, out] of [[a, perA], [b, perB]]) {
      const t = performance.now();
      for (const e of events) fn(e);
      out.push(((performance.now() - t) * 1e6) / N);
    }
  }
  return [perA, perB];
}
// Issue 16's variants, when the benchmark built them: serde_json (pkg-text), miniserde (pkg-mini).
async function variant(path, className) {
  try {
    const m = await import(path);
    await m.default();
    const bench = new m[className]('bench');
    const names = hookNames();
    return ({ data: f }) => {
      const bits = bench.inject(f);
      let payload;
      for (let i = 0; bits >> i; i++) {
        if (bits & (1 << i) && hooks[names[i]]) hooks[names[i]]((payload ??= JSON.parse(f).data ?? {}));
      }
    };
  } catch (_) {
    return null; // not built
  }
}
const text = await variant('./pkg-text/kefu_bench_variants.js', 'TextFrameBench');
const mini = await variant('./pkg-mini/kefu_bench_variants.js', 'MiniFrameBench');

const stat = (a) => ({ median: Math.round(median(a)), p99: Math.round(p99(a)) });
const [wasm, js] = runBoth((e) => socket.onmessage(e), (e) => baseline.onmessage(e));
const textRuns = text && run(text);
const miniRuns = mini && run(mini);
// Per kind: the same frames, one status at a time.
const all = events.slice();
const kinds = {};
for (const [k, status] of [[0, 1], [1, 2], [2, 4], [3, 5], [4, 9]]) {
  events.length = 0;
  for (let i = k; i < all.length; i += 5) events.push(all[i]);
  const scale = events.length / N; // run() divides by N
  const per = (fn) => Math.round(median(run(fn)) / scale);
  const [w, j] = runBoth((e) => socket.onmessage(e), (e) => baseline.onmessage(e)).map((r) => Math.round(median(r) / scale));
  kinds[status] = {
    wasm: w, js: j,
    text: text ? per(text) : null, mini: mini ? per(mini) : null,
  };
}
events.length = 0;
events.push(...all);
window.setTimeout = realSetTimeout;
window.clearTimeout = realClearTimeout;
// The same with the baseline's timers live: what the original pays per frame as it runs (it
// clears two timeouts and sets one on every frame; the session keeps its running timer instead).
const [wasmLive, jsLive] = runBoth((e) => socket.onmessage(e), (e) => baseline.onmessage(e));
const result = { frames: N, wasm: stat(wasm), js: stat(js), text: textRuns && stat(textRuns), mini: miniRuns && stat(miniRuns), kinds, live: { wasm: stat(wasmLive), js: stat(jsLive) } };
document.getElementById('out').textContent = JSON.stringify(result, null, 2);
window.benchResult = result;
