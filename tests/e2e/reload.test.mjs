// Nothing typed is lost across a reload: a draft is back in its conversation's input, and a reply
// sent while the server was down (kept in the durable outbox) is delivered once after the reload.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess, launch, agent, agentSays, visitor, waitingCount, answerOldest, chatHas, visitorSays, visitorSaw, sleep } from './harness.mjs';

let server;
let browser;
before(async () => { server = await ServerProcess.start(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.stop(); });

const input = (page) => page.locator('.layim-chat-textarea textarea').first();

test('an unsent reply survives a reload and is cleared when sent', async () => {
  const a = await agent(browser, server, 'draft-agent');
  const v = await visitor(browser, server, 'draft-v', 'D');
  await waitingCount(a, 1);
  await answerOldest(a, true);
  await chatHas(a, '用户已接入');
  await input(a).fill('还没发送的回复：订单 42');
  await a.reload();
  await a.waitForSelector('#conn-chip[data-state="open"]', { timeout: 15000 });
  await visitorSays(v, '还在吗？');
  await chatHas(a, '还在吗？');
  assert.equal(await input(a).inputValue(), '还没发送的回复：订单 42', 'the draft is back in its conversation');
  await a.click('.layim-send-btn');
  await visitorSaw(v, '还没发送的回复：订单 42');
  await a.reload();
  await a.waitForSelector('#conn-chip[data-state="open"]', { timeout: 15000 });
  await visitorSays(v, '收到了');
  await chatHas(a, '收到了');
  assert.equal(await input(a).inputValue(), '', 'a sent draft is gone');
  assert.deepEqual(a.errors, []);
});

/** Resolves true once the console's durable outbox holds a message. */
const outboxHasMessages = () => new Promise((resolve) => {
  const open = indexedDB.open('kefu-agent');
  open.onerror = () => resolve(false);
  open.onsuccess = () => {
    try {
      const count = open.result.transaction('outbox').objectStore('outbox').count();
      count.onsuccess = () => resolve(count.result > 0);
      count.onerror = () => resolve(false);
    } catch (_) { resolve(false); }
  };
});

/** A console served by a second server (so its page still loads while the chat server is down),
 * in a conversation with a visitor, and then the chat server killed. */
async function talkingThenServerDown(kfId, userId) {
  // The pages come from another server, which lists the chat server as one its console may use.
  const pages = await ServerProcess.start(['--chat-servers', server.base]);
  const a = await agent(browser, pages, kfId, '&server=' + encodeURIComponent(server.base));
  const v = await visitor(browser, server, userId, 'V');
  await waitingCount(a, 1);
  await answerOldest(a, true);
  await chatHas(a, '用户已接入');
  await server.kill();
  await a.waitForSelector('#conn-chip[data-state="reconnecting"]', { timeout: 15000 });
  return { pages, a, v };
}

test('a reply sent while the server is down survives a reload and arrives exactly once', async () => {
  const { pages, a, v } = await talkingThenServerDown('outbox-agent', 'outbox-v');
  await agentSays(a, '服务器断开时写的回复');
  await a.waitForSelector('.kefu-msg-status[data-status="held"]');
  await a.waitForFunction(outboxHasMessages, null, { timeout: 5000 });
  await a.reload();
  await a.waitForSelector('.layim-chat-mine .kefu-msg-status[data-status="held"]', { timeout: 15000 });
  const lines = await a.locator('.layim-chat-mine', { hasText: '服务器断开时写的回复' }).count();
  assert.equal(lines, 1, 'shown once in its conversation after the reload');
  await server.spawn();
  await visitorSaw(v, '服务器断开时写的回复');
  await a.waitForSelector('.kefu-msg-status[data-status="acked"]', { state: 'attached', timeout: 15000 });
  await sleep(1000); // a duplicate would have arrived by now
  const copies = await v.evaluate(() => [...document.querySelectorAll('#log li')].filter((l) => l.textContent.includes('服务器断开时写的回复')).length);
  assert.equal(copies, 1, 'exactly once');
  assert.equal(await a.evaluate(outboxHasMessages), false, 'acknowledged: gone from the outbox');
  assert.deepEqual(a.errors, []);
  await pages.stop();
});

test('replies left unsent by a crashed tab are delivered once by the next load', async () => {
  const { pages, a, v } = await talkingThenServerDown('crash-agent', 'crash-v');
  await agentSays(a, '崩溃前的第一条');
  await agentSays(a, '崩溃前的第二条');
  await a.waitForFunction(outboxHasMessages, null, { timeout: 5000 });
  const cdp = await a.context().newCDPSession(a);
  // The renderer dies with the replies unsent (the call itself never answers: its page is gone).
  await Promise.race([cdp.send('Page.crash').catch(() => {}), sleep(1000)]);
  await server.spawn();
  const b = await a.context().newPage();
  await b.goto(`${pages.base}/?kfId=crash-agent&server=${encodeURIComponent(server.base)}`);
  await visitorSaw(v, '崩溃前的第二条');
  await b.waitForFunction(() => document.querySelectorAll('.kefu-msg-status[data-status="acked"]').length === 2, null, { timeout: 15000 });
  await sleep(1000); // a duplicate would have arrived by now
  const texts = await v.evaluate(() => [...document.querySelectorAll('#log li')].map((l) => l.textContent));
  assert.equal(texts.filter((t) => t.includes('崩溃前的第一条')).length, 1);
  assert.equal(texts.filter((t) => t.includes('崩溃前的第二条')).length, 1);
  assert.ok(texts.findIndex((t) => t.includes('第一条')) < texts.findIndex((t) => t.includes('第二条')), 'in order');
  await pages.stop();
});
