// The UI-agnostic proof: www/examples/plain.html uses the session with plain DOM, no LayIM.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess, launch, login, openPage, visitor, visitorSays, visitorSaw } from './harness.mjs';

let server;
let browser;
before(async () => { server = await ServerProcess.start(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.stop(); });

test('the plain DOM example accepts a customer and chats', async () => {
  const token = await login(server, 'plain-agent');
  const a = await openPage(browser, `${server.base}/examples/plain.html?kfId=plain-agent&token=${token}`);
  await a.waitForSelector('#state[data-state="open"]', { timeout: 15000 });
  assert.equal(await a.evaluate(() => typeof window.layui), 'undefined', 'no LayIM on this page');
  const v = await visitor(browser, server, 'plain-v', '<b>Plain</b>');
  await a.waitForSelector('#waiting li button[data-action="acceptCustomer"]');
  assert.equal((await a.locator('#waiting li').textContent()).startsWith('<b>Plain</b>'), true, 'names are text');
  await a.click('#waiting li button[data-action="acceptCustomer"]');
  await visitorSaw(v, '为您服务');
  await visitorSays(v, 'hello plain');
  await a.waitForSelector('#messages li:has-text("hello plain")');
  await a.fill('#text', 'hi from plain DOM');
  await a.click('#reply button');
  await visitorSaw(v, 'hi from plain DOM');
  await a.waitForSelector('#messages li.me[data-status="acked"]'); // the reference server acks (extension)
  assert.deepEqual(a.errors, []);
});
