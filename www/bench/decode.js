// Decode + dispatch cost per frame, side by side in one browser run: the wasm AgentSession
// (frames injected into its open session) and the JS baseline's onmessage (which, like the
// original, parses every frame twice). Hooks are no-ops in both: no DOM.
import init, { AgentSession } from '../pkg/kefu_agent.js';
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
const noop = () => {};
const hooks = { onMessage: noop, onCustomerWaiting: noop, onQueueChange: noop, onTransferRequest: noop, onTransferRejected: noop, onHeartbeat: noop };
const median = (a) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
const p99 = (a) => a.slice().sort((x, y) => x - y)[Math.floor(a.length * 0.99)];

await init();
const session = new AgentSession({ kfId: 'bench', logLevel: 'silent', heartbeatMs: 3600000 }, hooks);
session.connect();
while (session.state !== 'open') await new Promise((r) => setTimeout(r, 10));

const baseline = createBaseline('ws://unused', 'bench', hooks);
const realSetTimeout = window.setTimeout;
window.setTimeout = () => 0; // the baseline's heartCheck re-arms timers on every frame; not part of decoding
window.clearTimeout = () => {};

function run(fn) {
  const perRun = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    for (const f of frames) fn(f);
    perRun.push(((performance.now() - t) * 1e6) / N); // ns per frame
  }
  return perRun;
}
const wasm = run((f) => session.injectFrame(f));
const js = run((f) => baseline.onmessage({ data: f }));
window.setTimeout = realSetTimeout;
const result = {
  frames: N,
  wasm: { median: Math.round(median(wasm)), p99: Math.round(p99(wasm)) },
  js: { median: Math.round(median(js)), p99: Math.round(p99(js)) },
};
document.getElementById('out').textContent = JSON.stringify(result, null, 2);
window.benchResult = result;
