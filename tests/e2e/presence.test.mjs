// Presence, capacity and the queue in the console: an agent who chooses 离开 from the menu beside
// the connection chip is offered nothing (the colleague is) and shows so in the transfer picker;
// an idle console goes away by itself and comes back online on the next input; a waiting visitor
// sees their place move from 2 to 1; the accept dialog says how long the customer has waited.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess, launch, agent, answerOldest, chatHas, visitor, waitingCount, sleep } from './harness.mjs';

let server;
let browser;
before(async () => { server = await ServerProcess.start(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.stop(); });

const presenceOf = (page) => page.getAttribute('#presence-chip', 'data-presence');
const choose = async (page, p) => {
  await page.click('#presence-chip');
  await page.click(`#presence-menu [data-presence="${p}"]`);
  await page.waitForSelector(`#presence-chip[data-presence="${p}"]`, { timeout: 5000 });
};

test('an agent who chooses away is offered nothing; the colleague is, and sees it in the transfer picker', async () => {
  const a = await agent(browser, server, 'pr-away');
  const b = await agent(browser, server, 'pr-colleague');
  await a.waitForSelector('#presence-chip[data-presence="online"]', { timeout: 5000 });
  await choose(a, 'away');
  const v = await visitor(browser, server, 'pr-v1', '离开测试');
  await waitingCount(b, 1);
  await sleep(300);
  assert.equal(await a.textContent('#waiting-count'), '0', 'nothing offered to the agent who is away');
  const online = await (await fetch(server.base + '/agents/online', { headers: { authorization: 'Bearer ' + await a.evaluate(() => JSON.parse(localStorage.kefuAuth).token) } })).json();
  assert.equal(online.data.find((r) => r.id === 'pr-away').presence, 'away');
  // The accept dialog says how long the customer has waited (extension `queue`).
  await b.click('#openDialog');
  await b.waitForSelector('.layui-layer-dialog .kefu-waited', { timeout: 5000 });
  assert.match(await b.textContent('.layui-layer-dialog .kefu-waited'), /^已等待 \d+ 秒$/);
  await b.click('.layui-layer-dialog .layui-layer-btn0');
  await chatHas(b, '用户已接入');
  await b.click('.layim-tool-transfer');
  await b.waitForSelector('button[data-kf-id="pr-away"]', { timeout: 5000 });
  assert.equal(await b.getAttribute('button[data-kf-id="pr-away"]', 'data-presence'), 'away');
  assert.ok(await b.isDisabled('button[data-kf-id="pr-away"]'), 'an agent who is away takes no transfer');
  assert.match(await b.textContent('button[data-kf-id="pr-away"]'), /离开/);
  // Back online: a new customer can be offered to them again.
  await choose(a, 'online');
  const v2 = await visitor(browser, server, 'pr-v2', '回来了');
  await waitingCount(a, 1);
  assert.deepEqual([...a.errors, ...b.errors, ...v.errors, ...v2.errors], []);
  for (const p of [a, b, v, v2]) await p.context().close();
});

test('an idle console goes away by itself and comes back online on the next input', async () => {
  const a = await agent(browser, server, 'pr-idle', '&autoAwayMs=1500');
  await a.waitForSelector('#presence-chip[data-presence="online"]', { timeout: 5000 });
  await a.waitForSelector('#presence-chip[data-presence="away"]', { timeout: 8000 });
  assert.match(await a.textContent('#presence-chip'), /自动/);
  const v = await visitor(browser, server, 'pr-idle-v', '空闲测试');
  await sleep(300);
  assert.equal(await a.textContent('#waiting-count'), '0', 'away: not offered');
  await a.mouse.move(200, 200);
  await a.mouse.move(260, 240);
  await a.waitForSelector('#presence-chip[data-presence="online"]', { timeout: 5000 });
  await waitingCount(a, 1); // back online: the waiting customer is offered at once
  // Chosen by hand, away stays away whatever the agent does.
  await choose(a, 'away');
  await a.mouse.move(10, 10);
  await a.keyboard.press('Shift');
  await sleep(500);
  assert.equal(await presenceOf(a), 'away');
  assert.deepEqual([...a.errors, ...v.errors], []);
  for (const p of [a, v]) await p.context().close();
});

test('a waiting visitor sees their place in the queue move from 2 to 1', async () => {
  // A server of its own: customers who closed their pages in the tests above are still in its
  // queue for the grace period.
  const server = await ServerProcess.start();
  const v1 = await visitor(browser, server, 'pr-q1', '第一位');
  const v2 = await visitor(browser, server, 'pr-q2', '第二位');
  await v2.waitForSelector('#status[data-position="2"]', { timeout: 5000 });
  assert.match(await v2.textContent('#status'), /前面还有 1 位/);
  const a = await agent(browser, server, 'pr-queue');
  await waitingCount(a, 2);
  await answerOldest(a, true);
  await v2.waitForSelector('#status[data-position="1"]', { timeout: 5000 });
  assert.match(await v2.textContent('#status'), /下一位/);
  assert.deepEqual([...a.errors, ...v1.errors, ...v2.errors], []);
  for (const p of [a, v1, v2]) await p.context().close();
  await server.stop();
});
