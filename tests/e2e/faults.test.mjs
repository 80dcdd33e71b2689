// Fault injection with real browsers: 2 agents in headless Chromium (the wasm session) and 4
// visitors (browser WebSockets), through a TCP proxy, while the server is SIGKILLed and
// restarted, every connection is cut mid-stream, heartbeats stall and an agent's page is reloaded
// (durable outbox, resume point). Counts lost, duplicated and out-of-order messages per direction. KEFU_E2E_FAULT_MESSAGES sets messages per direction.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ServerProcess, launch, freePort, login, sleep } from './harness.mjs';

const PER_DIRECTION = Number(process.env.KEFU_E2E_FAULT_MESSAGES || 400);
let server;
let browser;
let proxyServer;
let proxyPort;
const live = new Set();

function startProxy(port, upstream) {
  proxyServer = net.createServer((client) => {
    const up = net.connect(upstream, '127.0.0.1');
    const pair = { client, up };
    live.add(pair);
    client.pipe(up).pipe(client);
    const done = () => { live.delete(pair); client.destroy(); up.destroy(); };
    client.on('error', done); up.on('error', done); client.on('close', done); up.on('close', done);
  });
  return new Promise((r) => proxyServer.listen(port, '127.0.0.1', r));
}

function cutAll() {
  for (const { client, up } of live) { client.resetAndDestroy(); up.destroy(); }
  live.clear();
}

before(async () => {
  // The agents' pages talk to the server through the fault proxy: a chat server the page's
  // deployment must list (kefu-config.json, and the CSP's connect-src).
  proxyPort = await freePort();
  server = await ServerProcess.start(['--grace-ms', '120000', '--chat-servers', `http://127.0.0.1:${proxyPort}`]);
  browser = await launch();
});
after(async () => { proxyServer?.close(); cutAll(); await browser?.close(); await server?.stop(); });

// Runs inside a page: n scripted visitors with msgId/ack/resend and lastSeq replay.
function visitors(base, ids, perVisitor) {
  window.got = {};
  window.sentCount = 0;
  for (const id of ids) {
    let lastSeq = 0; let next = 0; let resume = ''; const unacked = new Map(); const seen = new Set();
    window.got[id] = [];
    const connect = () => {
      const ws = new WebSocket(base.replace(/^http/, 'ws') + '/websocket/visitor/' + id + '?userName=V&lastSeq=' + lastSeq + (resume ? '&resume=' + resume : ''));
      let timer;
      ws.onopen = () => {
        for (const f of unacked.values()) ws.send(f);
        timer = setInterval(() => {
          if (next >= perVisitor) return;
          const msgId = id + '-m' + next;
          const f = JSON.stringify({ type: 'message', content: id + '#' + next, msgId });
          next += 1; window.sentCount += 1;
          unacked.set(msgId, f);
          ws.send(f);
        }, 20);
      };
      ws.onmessage = (e) => {
        const f = JSON.parse(e.data);
        if (f.type === 'ack') unacked.delete(f.msgId);
        if (f.resume) resume = f.resume; // the id's resume secret, from its first status frame
        if (f.type === 'message' && !seen.has(f.seq)) { seen.add(f.seq); lastSeq = Math.max(lastSeq, f.seq); window.got[id].push(f.content); }
      };
      ws.onclose = () => { clearInterval(timer); setTimeout(connect, 100); };
    };
    connect();
  }
}

function count(expected, receivedByReceiver) {
  const all = new Map();
  let outOfOrder = 0;
  for (const [receiver, list] of Object.entries(receivedByReceiver)) {
    const last = new Map();
    for (const c of list) {
      all.set(c, (all.get(c) || 0) + 1);
      const [who, n] = c.split('#');
      const key = receiver + '|' + who;
      if (last.has(key) && Number(n) < last.get(key)) outOfOrder += 1;
      last.set(key, Number(n));
    }
  }
  const delivered = expected.filter((e) => all.has(e)).length;
  const duplicated = [...all.values()].reduce((s, n) => s + n - 1, 0);
  return { sent: expected.length, delivered, lost: expected.length - delivered, duplicated, outOfOrder };
}

test(`no message lost, duplicated or reordered under faults (${PER_DIRECTION} each way, Chromium agents)`, async () => {
  await startProxy(proxyPort, server.port);
  const base = `http://127.0.0.1:${proxyPort}`;
  const agents = [];
  for (const kf of ['bf-a', 'bf-b']) {
    const p = await (await browser.newContext()).newPage();
    const token = await login(server, kf);
    await p.goto(`${server.base}/examples/auto-agent.html?server=${encodeURIComponent(base)}&kfId=${kf}&token=${token}&heartbeatMs=400&heartbeatTimeoutMs=400&reconnectMs=200&helloWaitMs=2000&durable=1`);
    // Open, and the hello answered (the server says the presence then): only then is the agent
    // offered customers, and each agent must get some.
    await p.waitForFunction(() => window.bench && window.bench.state === 'open' && window.session.presence !== null, null, { timeout: 15000 });
    agents.push(p);
  }
  const ids = ['bv0', 'bv1', 'bv2', 'bv3'];
  // Two customers at most each: an agent that reconnects (400 ms heartbeat timeout on a busy
  // machine) just as the customers come still gets its share, which waits in the queue for it.
  for (const kf of ['bf-a', 'bf-b']) {
    assert.equal((await server.post('/agents/capacity', { kfId: kf, maxConversations: ids.length / 2 })).code, 0);
  }
  const vpage = await (await browser.newContext()).newPage();
  const perVisitor = PER_DIRECTION / ids.length;
  await vpage.addScriptTag({ content: `(${visitors.toString()})(${JSON.stringify(base)}, ${JSON.stringify(ids)}, ${perVisitor});` });
  // Every visitor accepted by someone, every agent with at least one customer to reply to.
  const spread = () => Promise.all(agents.map((a) => a.evaluate(() => window.bench.customers.length)));
  for (let i = 0; i < 300; i++) {
    const c = await spread();
    if (c.reduce((s, n) => s + n, 0) >= ids.length && c.every((n) => n >= 1)) break;
    await sleep(100);
  }
  const c = await spread();
  const why = await Promise.all(agents.map((a) => a.evaluate(() => JSON.stringify({ state: window.bench.state, presence: window.session.presence, acceptErrors: window.bench.acceptErrors, stats: window.session.stats }))));
  assert.ok(c.every((n) => n >= 1) && c.reduce((s, n) => s + n, 0) >= ids.length, 'customers per agent: ' + c.join('/') + ' ' + why.join(' '));
  const perAgent = PER_DIRECTION / agents.length;
  await Promise.all(agents.map((a) => a.evaluate((n) => window.bench.start(n, 10), perAgent)));

  const started = Date.now();
  const faults = [];
  let k = 0;
  while (Date.now() - started < Math.max(7000, PER_DIRECTION * 6)) {
    await sleep(1500);
    const at = ((Date.now() - started) / 1000).toFixed(2);
    if (k % 4 === 0) { await server.kill(); await sleep(300); await server.spawn(); faults.push(at + ' s  server SIGKILL + restart'); }
    else if (k % 4 === 1) { cutAll(); faults.push(at + ' s  network cut (RST mid-stream)'); }
    else if (k % 4 === 2) { await fetch(server.base + '/test/stall?ms=1500', { method: 'POST' }); faults.push(at + ' s  heartbeat stall'); }
    else { const a = agents[(k >> 2) % agents.length]; await a.reload(); faults.push(at + ' s  agent page reloaded mid-run'); }
    k += 1;
  }
  // Settle.
  const expectToAgents = ids.flatMap((v) => Array.from({ length: perVisitor }, (_, n) => v + '#' + n));
  const expectToVisitors = ['bf-a', 'bf-b'].flatMap((a) => Array.from({ length: perAgent }, (_, n) => a + '#' + n));
  let toAgents; let toVisitors;
  for (let i = 0; i < 300; i++) {
    const byAgent = {};
    for (const [j, a] of agents.entries()) byAgent['agent' + j] = await a.evaluate(() => window.bench.received);
    toAgents = count(expectToAgents, byAgent);
    toVisitors = count(expectToVisitors, await vpage.evaluate(() => window.got));
    if (toAgents.lost === 0 && toVisitors.lost === 0) break;
    await sleep(100);
  }
  const reconnects = (await Promise.all(agents.map((a) => a.evaluate(() => window.bench.reconnects)))).reduce((s, n) => s + n, 0);
  const retried = (await Promise.all(agents.map((a) => a.evaluate(() => window.bench.retried)))).reduce((s, n) => s + n, 0);
  const recoveries = (await Promise.all(agents.map((a) => a.evaluate(() => window.bench.recoveries)))).flat();
  console.log(`\nFault injection with Chromium agents: ${faults.length} faults\n  ${faults.join('\n  ')}`);
  console.log('| direction | sent | delivered | lost | duplicated | out of order |\n|---|---|---|---|---|---|');
  for (const [name, r] of [['visitor → agent', toAgents], ['agent → visitor', toVisitors]]) {
    console.log(`| ${name} | ${r.sent} | ${r.delivered} | ${r.lost} | ${r.duplicated} | ${r.outOfOrder} |`);
  }
  console.log(`agent reconnects: ${reconnects}; longest time to recover: ${Math.max(0, ...recoveries)} ms (reconnectMs 200); refused sends retried: ${retried}`);
  for (const r of [toAgents, toVisitors]) assert.deepEqual([r.lost, r.duplicated, r.outOfOrder], [0, 0, 0]);
  assert.ok(faults.some((f) => f.includes('reloaded')), 'the run included a reload');
  const loads = await Promise.all(agents.map((a) => a.evaluate(() => window.bench.loads)));
  assert.ok(loads.some((n) => n > 1), 'a page was reloaded: loads ' + loads.join('/'));
});
