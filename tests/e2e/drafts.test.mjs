// Drafts: what an agent typed and did not send is back in the conversation's input after a
// reload, and gone once sent.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess, launch, agent, visitor, waitingCount, answerOldest, chatHas, visitorSays, visitorSaw } from './harness.mjs';

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
