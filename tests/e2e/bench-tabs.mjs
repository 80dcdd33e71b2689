// Prints the new costs of the durable outbox and of one socket across tabs (scripts/bench.sh):
// `send()` to its IndexedDB write committed (onMessageSaved), and a frame the leader tab receives to
// the same hook called in a follower tab (BroadcastChannel across two renderer tabs), median and
// p99, with the budgets of 1 ms and 5 ms judged in docs/performance.md.
import { withServerAndBrowser, login, sleep } from './harness.mjs';

const N = Number(process.env.TAB_EVENTS || 500);
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const ms = (x) => x.toFixed(3) + ' ms';

await withServerAndBrowser(async (server, browser) => {
  const token = await login(server, 'xiaoming');
  const context = await browser.newContext();
  const pages = [await context.newPage(), await context.newPage()];
  for (const p of pages) await p.goto(server.base + '/bench/blank.html');
  // Both tabs run a session of the same agent with the option on; the first to ask leads.
  const start = (p, cfg) => p.evaluate(async ({ base, token, cfg }) => {
    const m = await import('/pkg/kefu_agent.js');
    await m.default();
    window.got = [];
    const hooks = { onMessage: (e) => window.got.push([e.content, performance.timeOrigin + performance.now()]) };
    window.s = new m.AgentSession({ serverUrl: base + '/?token=' + token, kfId: 'xiaoming', logLevel: 'error', ...cfg }, hooks);
    window.s.connect();
  }, { base: server.base, token, cfg });
  await start(pages[0], { shareAcrossTabs: true, durableOutbox: true });
  await pages[0].waitForFunction(() => window.s.state === 'open', null, { timeout: 15000 });
  await start(pages[1], { shareAcrossTabs: true, durableOutbox: true });
  await pages[1].waitForFunction(() => window.s.state === 'open', null, { timeout: 15000 });
  await sleep(300);

  // 1. send() → write committed, one at a time, on a session of its own that is not connected
  // (every message is held, so kept in IndexedDB; nothing reaches the server's rate limit).
  const saves = await pages[0].evaluate(async (n) => {
    const m = await import('/pkg/kefu_agent.js');
    window.saved = new Map();
    window.o = new m.AgentSession({ serverUrl: location.origin, kfId: 'outbox-bench-' + Date.now(), durableOutbox: true, maxHeldMessages: 100000 },
      { onMessageSaved: ({ localId }) => window.saved.set(localId, performance.now()) });
    const out = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      const id = window.o.send({ userId: 'bench-' + (i % 7), userName: 'B', content: 'reply ' + i });
      while (!window.saved.has(id)) await new Promise((r) => setTimeout(r, 0));
      out.push(window.saved.get(id) - t);
    }
    return out;
  }, N);
  const sendCost = await pages[0].evaluate((n) => {
    const t = performance.now();
    for (let i = 0; i < n; i++) window.o.send({ userId: 'bench-x', userName: 'B', content: 'sync ' + i });
    return (performance.now() - t) / n;
  }, N);
  console.log(`| send() → onMessageSaved (IndexedDB commit), ${N} sends | median ${ms(pct(saves, 0.5))}, p99 ${ms(pct(saves, 0.99))}; send() itself ${ms(sendCost)} |`);

  // 2. A frame in the leader → the hook in the follower tab.
  const sent = await pages[0].evaluate(async (n) => {
    const at = [];
    for (let i = 0; i < n; i++) {
      const t = performance.timeOrigin + performance.now();
      window.s.injectFrame(JSON.stringify({ status: 1, data: { userId: 'u', userName: 'U', content: 'e' + i } }));
      at.push(t);
      await new Promise((r) => setTimeout(r, 2));
    }
    return at;
  }, N);
  await pages[1].waitForFunction((n) => window.got.filter(([c]) => c.startsWith('e')).length >= n, N, { timeout: 30000 });
  const got = await pages[1].evaluate(() => window.got.filter(([c]) => c.startsWith('e')).map(([, t]) => t));
  const lat = got.map((t, i) => t - sent[i]);
  console.log(`| a frame in the leader tab → the same hook in a follower tab, ${N} frames | median ${ms(pct(lat, 0.5))}, p99 ${ms(pct(lat, 0.99))}; sockets: leader ${await pages[0].evaluate(() => window.s.stats.socketsOpened)}, follower ${await pages[1].evaluate(() => window.s.stats.socketsOpened)} |`);
  await context.close();
});
