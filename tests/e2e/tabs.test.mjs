// The same agent in two tabs of one browser: they share the sign-in, and the tab the server
// replaced (close 4409) shows so instead of reconnecting every 5 s; a click takes it back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess, launch, agent, sleep } from './harness.mjs';

let server;
let browser;
before(async () => { server = await ServerProcess.start(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.stop(); });

const chip = (page) => page.getAttribute('#conn-chip', 'data-state');

test('a second tab of the same agent takes over and the first stops fighting for the socket', async () => {
  const first = await agent(browser, server, 'two-tabs');
  const second = await first.context().newPage();
  await second.goto(`${server.base}/?kfId=two-tabs`); // the saved sign-in: no form
  await second.waitForSelector('#conn-chip[data-state="open"]', { timeout: 15000 });
  await first.waitForSelector('#conn-chip[data-state="replaced"]', { timeout: 15000 });
  // Longer than the 5 s reconnect delay: the first tab has not reconnected and taken it back.
  await sleep(6500);
  assert.equal(await chip(first), 'replaced');
  assert.equal(await chip(second), 'open');
  const stats = await first.evaluate(() => window.kefu.session.stats.socketsOpened);
  assert.equal(stats, 1, 'the replaced tab opened no other socket');
  // "Use here": the click takes the connection back, and the other tab steps aside.
  await first.click('#conn-chip');
  await first.waitForSelector('#conn-chip[data-state="open"]', { timeout: 15000 });
  await second.waitForSelector('#conn-chip[data-state="replaced"]', { timeout: 15000 });
  assert.deepEqual([...first.errors, ...(second.errors || [])], []);
});
