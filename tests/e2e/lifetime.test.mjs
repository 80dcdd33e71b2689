// A session's lifetime from JS: like a WebSocket, a connected AgentSession keeps working when the
// page holds no reference to it (only its hooks), until close(); a closed one that nobody holds is
// collected (and its Rust side freed by wasm-bindgen's finalizer). Garbage collection is forced
// through the DevTools protocol, three times, with a pause for the finalizers in between.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess, launch, login, openPage, sleep, visitor, visitorSays } from './harness.mjs';

let server;
let browser;
before(async () => { server = await ServerProcess.start(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.stop(); });

/** Forces full garbage collections and lets the finalizers run. */
async function collect(page) {
  const cdp = await page.context().newCDPSession(page);
  for (let i = 0; i < 3; i++) {
    await cdp.send('HeapProfiler.collectGarbage');
    await sleep(100);
  }
}

/** A blank page with the session module loaded (`window.kefuModule`) and `window.config(extra)`,
 * the config of agent `kfId` (signed in on the reference server) for this page. */
async function pageFor(kfId) {
  const token = await login(server, kfId);
  const page = await openPage(browser, `${server.base}/bench/blank.html`);
  await page.evaluate(async ({ kfId, token }) => {
    window.kefuModule = await import('/pkg/kefu_agent.js');
    await window.kefuModule.default();
    window.config = (extra = {}) => ({ serverUrl: location.origin + '/', kfId, authToken: token, logLevel: 'silent', ...extra });
  }, { kfId, token });
  return page;
}

/** Starts a session in `page` that the page keeps no reference to; its hooks log to `window.events`. */
async function unheldSession(page) {
  await page.evaluate(() => {
    window.events = [];
    const log = (name) => (e) => window.events.push([name, e.state ?? e.id ?? null]);
    const hooks = { onStateChange: log('state'), onCustomerWaiting: log('waiting') };
    new window.kefuModule.AgentSession(window.config(), hooks).connect();
  });
  await page.waitForFunction(() => window.events.some(([n, s]) => n === 'state' && s === 'open'), null, { timeout: 15000 });
}

test('a connected session nobody holds keeps its socket and hooks through garbage collection', async () => {
  const page = await pageFor('gc-agent');
  await unheldSession(page);
  await collect(page);
  const v = await visitor(browser, server, 'gc-visitor', '回收测试');
  await visitorSays(v, '还在吗');
  await page.waitForFunction(() => window.events.some(([n, id]) => n === 'waiting' && id === 'gc-visitor'), null, { timeout: 15000 });
  assert.deepEqual(page.errors, []);
  assert.ok(!(await page.evaluate(() => window.events.some(([n, s]) => n === 'state' && s === 'closed'))), 'never closed');
});

test('a closed session nobody holds is collected', async () => {
  const page = await pageFor('gc-closer');
  await page.evaluate(() => {
    window.registry = new FinalizationRegistry(() => { window.freed = (window.freed || 0) + 1; });
    const s = new window.kefuModule.AgentSession(window.config(), {});
    window.registry.register(s, 'session');
    s.connect();
    s.close();
  });
  await collect(page);
  await page.waitForFunction(() => window.freed === 1, null, { timeout: 5000 });
  assert.deepEqual(page.errors, []);
});

test('free() on a connected session closes its socket first', async () => {
  const page = await pageFor('gc-freer');
  await page.evaluate(() => {
    window.events = [];
    const hooks = { onStateChange: (e) => window.events.push(e.state) };
    window.s = new window.kefuModule.AgentSession(window.config(), hooks);
    window.s.connect();
  });
  await page.waitForFunction(() => window.events.includes('open'), null, { timeout: 15000 });
  const online = async () => {
    const r = await fetch(server.base + '/agents/online', { headers: { authorization: 'Bearer ' + await login(server, 'zhuguan') } });
    return JSON.stringify(await r.json()).includes('"gc-freer"');
  };
  assert.equal(await online(), true, 'online while connected');
  await page.evaluate(() => { window.s.free(); window.s = null; });
  assert.equal(await page.evaluate(() => window.events.at(-1)), 'closed');
  for (let i = 0; i < 50 && await online(); i++) await sleep(100);
  assert.equal(await online(), false, 'the server saw the socket close');
  assert.deepEqual(page.errors, []);
});

test('free() right after send() with a durable outbox: the write still commits, and nothing calls into the freed session', async () => {
  const page = await pageFor('gc-outbox');
  const kept = await page.evaluate(async () => {
    const cfg = window.config({ durableOutbox: true });
    const s = new window.kefuModule.AgentSession(cfg, {});
    await new Promise((r) => setTimeout(r, 200)); // the outbox's database is open
    s.send({ userId: 'nobody', content: '留着' }); // not connected: held, and written to IndexedDB
    s.free();
    await new Promise((r) => setTimeout(r, 500)); // the write's transaction completes meanwhile
    const restored = [];
    const again = new window.kefuModule.AgentSession(cfg, { onMessageRestored: (e) => restored.push(e.content) });
    await new Promise((r) => setTimeout(r, 500));
    again.free();
    return restored;
  });
  assert.deepEqual(kept, ['留着'], 'the message freed with its session was kept for the next one');
  assert.deepEqual(page.errors, []);
});
