// The same agent in two tabs of one browser: one socket between them for the whole run (a leader
// tab owns it, elected with Web Locks, and shares it over a BroadcastChannel), an offer shows in
// both, the tab without the socket accepts and replies, and when the leader tab closes the other
// owns the socket within 5 s and nothing the customer or the agent wrote is lost.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess, launch, agent, agentSays, answerOldest, chatHas, visitor, visitorSays, visitorSaw, waitingCount } from './harness.mjs';

let server;
let browser;
before(async () => { server = await ServerProcess.start(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.stop(); });

const chip = (page) => page.getAttribute('#conn-chip', 'data-state');
const socketsOpened = (page) => page.evaluate(() => window.kefu.session.stats.socketsOpened);

/** A second tab of the agent signed in on `first` (the saved sign-in: no form). */
async function secondTab(first, kfId) {
  const page = await first.context().newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  const states = [];
  await page.exposeFunction('__chip', (s) => states.push(s));
  page.states = states;
  await page.goto(`${server.base}/?kfId=${kfId}`);
  await page.waitForSelector('#conn-chip[data-state="open"]', { timeout: 15000 });
  await page.evaluate(() => new MutationObserver(() => window.__chip(document.getElementById('conn-chip').dataset.state))
    .observe(document.getElementById('conn-chip'), { attributes: true }));
  return page;
}

/** How many chat lines of `page` contain `text`. */
const lines = (page, text) => page.evaluate((t) => [...document.querySelectorAll('.layim-chat-main li')].filter((l) => l.textContent.includes(t)).length, text);

test('two tabs share one socket: an offer shows in both, the tab without the socket accepts and replies', async () => {
  const first = await agent(browser, server, 'two-tabs');
  const second = await secondTab(first, 'two-tabs');
  const v = await visitor(browser, server, 'tab-visitor', '标签访客');
  await visitorSays(v, '有人在吗');
  await waitingCount(first, 1);
  await waitingCount(second, 1);
  const owner = (await socketsOpened(first)) === 1 ? first : second;
  const follower = owner === first ? second : first;
  assert.equal(await socketsOpened(follower), 0, 'the other tab opened no socket');
  await answerOldest(follower, true);
  await chatHas(follower, '用户已接入');
  await chatHas(owner, '已在另一个标签页接入'); // the conversation opens in the owner's tab too
  await waitingCount(owner, 0);
  await chatHas(follower, '有人在吗');
  await chatHas(owner, '有人在吗');
  await agentSays(follower, '您好，我是小明');
  await visitorSaw(v, '您好，我是小明');
  await chatHas(owner, '您好，我是小明');
  await visitorSays(v, '我的订单到哪了');
  await chatHas(owner, '我的订单到哪了');
  await chatHas(follower, '我的订单到哪了');
  assert.deepEqual([await socketsOpened(first) + await socketsOpened(second)], [1], 'one socket for the whole run');
  // The second tab's early.js asked for the agent's lock before the session existed, and the
  // session adopted that request instead of making its own: one request per tab.
  const locks = await second.evaluate(async () => ({ taken: window.kefuEarlyLock?.taken, ...(await navigator.locks.query()) }));
  assert.equal(locks.taken, true, 'the session adopted the early lock request');
  const agentLocks = [...locks.held, ...locks.pending].filter((l) => l.name.endsWith('#two-tabs'));
  const lockName = `kefu-agent:v2:${server.base.replace('http', 'ws')}/websocket/two-tabs#two-tabs`;
  assert.deepEqual(agentLocks.map((l) => l.name), [lockName, lockName], 'one holder and one waiting tab');
  assert.equal(await chip(follower), 'open');
  assert.ok(!second.states.includes('replaced'), 'no tab was ever replaced: ' + second.states.join(','));
  assert.deepEqual([...first.errors, ...second.errors], []);
  await first.close();
  await second.close();
});

test('when the tab owning the socket closes, the other owns it within 5 s and nothing is lost', async () => {
  const first = await agent(browser, server, 'tab-failover');
  const second = await secondTab(first, 'tab-failover');
  const owner = (await socketsOpened(first)) === 1 ? first : second;
  const follower = owner === first ? second : first;
  const v = await visitor(browser, server, 'failover-visitor', '转移访客');
  await visitorSays(v, '你好');
  await waitingCount(owner, 1);
  await answerOldest(owner, true);
  await chatHas(follower, '你好');
  await agentSays(follower, '回复一：在的');
  await visitorSaw(v, '回复一：在的');
  const closedAt = Date.now();
  await owner.close(); // the browser hands the lock to the other tab
  for (let i = 1; i <= 5; i++) await visitorSays(v, '切换期间的消息 ' + i);
  await follower.waitForFunction(() => window.kefu.session.stats.socketsOpened === 1
    && document.getElementById('conn-chip').dataset.state === 'open', null, { timeout: 5000 });
  const tookOver = Date.now() - closedAt;
  console.log(`takeover: the other tab owned an open socket ${tookOver} ms after the owner closed`);
  assert.ok(tookOver <= 5000, tookOver + ' ms');
  for (let i = 1; i <= 5; i++) await chatHas(follower, '切换期间的消息 ' + i);
  await agentSays(follower, '回复二：切换之后');
  await visitorSaw(v, '回复二：切换之后');
  for (let i = 1; i <= 5; i++) assert.equal(await lines(follower, '切换期间的消息 ' + i), 1, 'shown once: ' + i);
  assert.equal(await lines(follower, '你好'), 1, 'nothing shown before is replayed');
  const seen = await v.evaluate(() => [...document.querySelectorAll('#log li')].map((l) => l.textContent));
  assert.equal(seen.filter((t) => t.includes('回复一：在的')).length, 1, 'the visitor got each reply once');
  assert.equal(seen.filter((t) => t.includes('回复二：切换之后')).length, 1);
  assert.deepEqual(follower.errors || [], []);
});

test('a waiting customer rings in one of the agent\'s tabs, again while unanswered, and the button mutes it', async () => {
  const a = await agent(browser, server, 'snd-a', '&remindSec=1');
  const b = await secondTab(a, 'snd-a');
  const count = (page) => page.evaluate(() => window.__plays);
  for (const p of [a, b]) {
    await p.evaluate(() => {
      window.__plays = 0;
      HTMLMediaElement.prototype.play = function () { window.__plays++; return Promise.resolve(); };
    });
  }
  const v = await visitor(browser, server, 'snd-v', '响铃');
  await visitorSays(v, '有人吗');
  await waitingCount(a, 1);
  await a.waitForFunction(() => window.__plays >= 3, null, { timeout: 5000 }); // the offer, then reminders
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(await count(b), 0, 'one tab of the agent plays (the other would only echo it)');
  await answerOldest(a, true);
  await chatHas(a, '有人吗');
  await new Promise((r) => setTimeout(r, 300));
  const after = await count(a);
  await new Promise((r) => setTimeout(r, 2200));
  assert.equal(await count(a), after, 'no reminder once nobody waits');
  // Muted: a new customer rings nowhere, and the choice is kept.
  await a.click('#sound-btn');
  assert.equal(await a.getAttribute('#sound-btn', 'aria-pressed'), 'false');
  const w = await visitor(browser, server, 'snd-w', '静音');
  await visitorSays(w, '在吗');
  await waitingCount(a, 1);
  await new Promise((r) => setTimeout(r, 2200));
  assert.equal(await count(a), after, 'muted');
  assert.equal(await a.evaluate(() => localStorage.getItem('kefu:sound')), 'off');
  assert.deepEqual([...a.errors, ...b.errors], []);
  for (const p of [a, v, w]) await p.context().close();
});
