// Memory over a shift (scripts/bench.sh drives it over CDP): one AgentSession goes through
// reconnect cycles (close → connect → open, each a new WebSocket with its listeners) and takes mixed
// frames; the driver forces GC and reads the JS heap and the wasm memory between phases.
import init, { AgentSession } from '../pkg/kefu_agent.js';

// The reference server wants the agent's token (`?token=`, passed on by the driver).
const token = new URLSearchParams(location.search).get('token') || '';
const serverUrl = location.origin + '/' + (token ? '?token=' + encodeURIComponent(token) : '');

const wasm = await init();
let opened = null;
const noop = () => {};
const session = new AgentSession({ kfId: 'memory-bench', serverUrl, logLevel: 'silent', watchPage: false }, {
  onStateChange: ({ state }) => { if (state === 'open' && opened) { const r = opened; opened = null; r(); } },
  onMessage: noop, onCustomerWaiting: noop, onQueueChange: noop, onTransferRequest: noop, onTransferRejected: noop, onHeartbeat: noop,
});
const frames = [];
for (let i = 0; i < 1000; i++) {
  switch (i % 5) {
    case 0: frames.push(JSON.stringify({ status: 1, data: { userId: 'u' + (i % 50), userName: '张三', kfId: 'memory-bench', content: '你好，我的订单 ' + i + ' 还没到', createTime: Date.now() } })); break;
    case 1: frames.push(JSON.stringify({ status: 2, data: { id: 'w' + (i % 50), userName: '李四' } })); break;
    case 2: frames.push(JSON.stringify({ status: 4, data: { id: 't' + (i % 50), userName: '王五' } })); break;
    case 3: frames.push(JSON.stringify({ status: 5, data: { id: 'r' + (i % 50), userName: '赵六' } })); break;
    default: frames.push('{"status":9}');
  }
}
const open = () => new Promise((r) => { opened = r; session.connect(); });
await open();

window.bench = {
  wasmBytes: () => wasm.memory.buffer.byteLength,
  async cycles(n) {
    for (let i = 0; i < n; i++) {
      session.close();
      await open();
    }
    return session.stats;
  },
  frames(n) {
    for (let i = 0; i < n; i++) session.injectFrame(frames[i % frames.length]);
    return session.stats;
  },
};
document.getElementById('out').textContent = 'ready';
window.benchReady = true;
