// An auto-answering agent (soak and fault tests): accepts every waiting customer, records what
// customers send, retries refused replies, and `bench.start(n)` sends n numbered replies spread
// over its customers. Options come from the page URL: server, kfId, heartbeatMs, reconnectMs...
// With `durable`, it survives a reload (the fault suite reloads it mid-run): unsent replies stay in
// the durable outbox, the seq resume point and its own counters are saved when the page hides, and
// the numbered replies go on where they stopped.
import init, { AgentSession } from '../pkg/kefu_agent.js';

const params = new URLSearchParams(location.search);
const num = (k) => (params.has(k) ? Number(params.get(k)) : undefined);
const kfId = params.get('kfId') || 'auto';
const durable = params.has('durable');
const bench = { received: [], customers: [], sent: 0, retried: 0, reconnects: 0, state: 'idle', recoveries: [], loads: 1 };
const saved = durable ? JSON.parse(sessionStorage.getItem('bench:' + kfId) || 'null') : null;
if (saved) Object.assign(bench, saved, { state: 'idle', loads: saved.loads + 1 });
let lostAt = 0;
window.bench = bench;
const texts = new Map();

await init();
const base = params.get('server') || location.origin;
const token = params.get('token'); // a server with accounts wants the agent's token in the query
const config = { serverUrl: token ? base + '/?token=' + encodeURIComponent(token) : base, kfId, logLevel: 'error' };
for (const k of ['heartbeatMs', 'heartbeatTimeoutMs', 'reconnectMs', 'helloWaitMs']) if (num(k)) config[k] = num(k);
if (durable) Object.assign(config, { durableOutbox: true, resumeAcrossReloads: true });
const session = new AgentSession(config, {
  onStateChange: ({ state }) => {
    if (state === 'reconnecting' && bench.state === 'open') { bench.reconnects += 1; lostAt = performance.now(); }
    if (state === 'open' && lostAt) { bench.recoveries.push(Math.round(performance.now() - lostAt)); lostAt = 0; }
    bench.state = state;
    document.getElementById('state').textContent = state;
  },
  onCustomerWaiting: (c) => {
    try { session.acceptCustomer(c.id); } catch (e) { bench.acceptErrors = [...(bench.acceptErrors || []), String(e.code || e)].slice(-5); return; }
    if (!bench.customers.includes(c.id)) bench.customers.push(c.id);
  },
  onMessage: (m) => bench.received.push(m.content),
  onMessageStatus: ({ localId, status }) => {
    if (status !== 'failed' || !texts.has(localId)) return;
    const [to, content] = texts.get(localId);
    bench.retried += 1;
    setTimeout(() => send(to, content), 50); // what an agent does with the retry link
  },
});
window.session = session;

function send(to, content) {
  const id = session.send({ userId: to, userName: 'V', content });
  texts.set(id, [to, content]);
}

bench.start = (n, everyMs = 10) => {
  bench.plan = { n, everyMs };
  const timer = setInterval(() => {
    if (bench.sent >= n) return clearInterval(timer);
    if (!bench.customers.length) return;
    const i = bench.sent;
    send(bench.customers[i % bench.customers.length], kfId + '#' + i);
    bench.sent = i + 1;
  }, everyMs);
};
if (durable) {
  window.addEventListener('pagehide', () => {
    session.close(); // saves the resume point
    const { received, customers, sent, retried, reconnects, recoveries, loads, plan } = bench;
    sessionStorage.setItem('bench:' + kfId, JSON.stringify({ received, customers, sent, retried, reconnects, recoveries, loads, plan }));
  });
}
session.connect();
if (bench.plan) bench.start(bench.plan.n, bench.plan.everyMs);
