// The supervisor's desk in Chromium, first slice (issue 24): a supervisor whispers into a live
// conversation (the agent's console shows it, marked, as text; the customer's page never), an
// agent writes an internal note with LayIM's toolbar and the colleague it @mentions is told, and
// an agent who is not a supervisor is refused the board and the whisper.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess, agent, answerOldest, chatHas, launch, login, sleep, visitor, visitorSays, waitingCount, xss } from './harness.mjs';

let browser, server;
before(async () => { browser = await launch(); server = await ServerProcess.start(); });
after(async () => { await browser?.close(); await server?.stop(); });

const hostile = '<img src=x onerror="window.__xss.push(1)">查订单';

async function talking(kf, user) {
  const a = await agent(browser, server, kf);
  const v = await visitor(browser, server, user, '访客' + user);
  await visitorSays(v, '你好');
  await waitingCount(a, 1);
  await answerOldest(a, true);
  await chatHas(a, '你好');
  return { a, v };
}

const noteIn = (page, kind, text) => page.waitForFunction(
  ([k, t]) => [...document.querySelectorAll('.layim-chat-main li.kefu-note')].some((l) => l.dataset.kind === k && l.textContent.includes(t)),
  [kind, text], { timeout: 10000 });

test('a whisper shows in the agent console as text and never on the customer page', async () => {
  const { a, v } = await talking('sv-a', 'sv-v1');
  const r = await server.post('/supervisor/whisper', { userId: 'sv-v1', content: hostile });
  assert.equal(r.code, 0, JSON.stringify(r));
  await noteIn(a, 'whisper', '查订单');
  assert.equal(await a.locator('li.kefu-note[data-kind=whisper] img').count(), 0, 'markup shown as text');
  assert.deepEqual(await xss(a), [], 'nothing ran');
  await sleep(500);
  assert.ok(!(await v.textContent('body')).includes('查订单'), 'the customer never sees a whisper');
});

test('an internal note from the toolbar reaches the colleague it mentions, not the customer', async () => {
  const { a, v } = await talking('sv-b', 'sv-v2');
  const colleague = await agent(browser, server, 'sv-c');
  await a.click('.layim-chat-tool .layim-tool-note');
  await a.fill('.layui-layer-prompt .layui-layer-input', '@sv-c 这位客户要退款');
  await a.click('.layui-layer-prompt .layui-layer-btn0');
  await noteIn(a, 'note', '这位客户要退款');
  await colleague.waitForFunction(() => (document.getElementById('kefu-toast')?.textContent || '').includes('这位客户要退款'), null, { timeout: 10000 });
  await sleep(500);
  assert.ok(!(await v.textContent('body')).includes('退款'), 'the customer never sees a note');
});

test('an agent who is not a supervisor is refused the board and the whisper', async () => {
  const token = await login(server, 'sv-d');
  const h = { authorization: 'Bearer ' + token, 'content-type': 'application/json' };
  assert.equal((await fetch(server.base + '/supervisor/board', { headers: h })).status, 403);
  const w = await fetch(server.base + '/supervisor/whisper', { method: 'POST', headers: h, body: JSON.stringify({ userId: 'sv-v1', content: 'x' }) });
  assert.equal(w.status, 403);
});

test('the supervisor console shows the live board, pushed as it changes, and reassigns from it', async () => {
  const server = await ServerProcess.start(); // its own: no agent of the tests above is offered the customer
  try {
    await boardTest(server);
  } finally {
    await server.stop();
  }
});

async function boardTest(server) {
  const sup = await agent(browser, server, 'zhuguan', '&replyAlarmS=2');
  await sup.waitForSelector('#board-btn:not([hidden])', { timeout: 10000 });
  const plain = await agent(browser, server, 'sv-e');
  await sleep(500);
  assert.equal(await plain.locator('#board-btn').isHidden(), true, 'an agent never gets the board');
  await sup.click('#board-btn');
  await sup.waitForSelector('#kefu-board tr[data-kf-id="sv-e"]', { timeout: 10000 });
  // Presence and cap are buttons until the supervisor reaches for them (no form controls in the
  // rows otherwise); each becomes its control, focused, and a change is applied and pushed back.
  const svRow = sup.locator('#kefu-board tr[data-kf-id="sv-e"]');
  assert.equal(await svRow.locator('select, input').count(), 0, 'no form controls until used');
  await svRow.locator('button.kefu-board-edit', { hasText: '▾' }).click();
  assert.equal(await svRow.locator('select.kefu-board-presence').inputValue(), 'online');
  assert.ok(await svRow.locator('select.kefu-board-presence').evaluate((s) => s === document.activeElement), 'the select has the focus');
  await svRow.locator('select.kefu-board-presence').evaluate((s) => s.blur()); // leaving it puts the button back
  await svRow.locator('button.kefu-board-edit', { hasText: '▾' }).waitFor({ timeout: 5000 });
  assert.equal(await svRow.locator('select').count(), 0);
  // An editor left open while the board changes stays; the row catches up when it closes.
  await svRow.locator('button.kefu-board-edit', { hasText: '▾' }).click();
  assert.equal((await server.post('/agents/capacity', { kfId: 'sv-e', maxConversations: 9 })).code, 0);
  await sleep(1500); // the board is pushed within a second of a change
  assert.ok(await svRow.locator('select.kefu-board-presence').evaluate((s) => s === document.activeElement), 'the open select was not rebuilt away');
  await svRow.locator('select.kefu-board-presence').evaluate((s) => s.blur());
  await sup.waitForFunction(() => [...document.querySelectorAll('#kefu-board tr[data-kf-id="sv-e"] .kefu-board-edit')].some((b) => b.textContent === '9'), null, { timeout: 5000 });
  const capButton = svRow.locator('button.kefu-board-edit').nth(1);
  assert.ok(Number(await capButton.textContent()) > 0);
  await capButton.focus();
  await sup.keyboard.press('Enter'); // from the keyboard too
  await svRow.locator('input.kefu-board-cap').fill('7');
  await sup.keyboard.press('Tab');
  await sup.waitForFunction(() => [...document.querySelectorAll('#kefu-board tr[data-kf-id="sv-e"] .kefu-board-edit')].some((b) => b.textContent === '7'), null, { timeout: 10000 });
  // Escape from an editor whose row changed meanwhile: the focus goes to the rebuilt row's button.
  await svRow.locator('button.kefu-board-edit').nth(1).focus();
  await sup.keyboard.press('Enter');
  assert.equal((await server.post('/agents/capacity', { kfId: 'sv-e', maxConversations: 8 })).code, 0);
  await sleep(1500);
  await sup.keyboard.press('Escape');
  assert.equal(await sup.evaluate(() => document.activeElement?.closest('tr')?.dataset.kfId + ':' + document.activeElement?.textContent), 'sv-e:8', 'the focus is on the cap button of the rebuilt row');
  // A customer is served by sv-e: the board shows it without a reload, and the unanswered
  // customer's timer turns red and raises the alarm after `replyAlarmS`.
  const v = await visitor(browser, server, 'sv-v5', '<b>访客五</b>');
  await visitorSays(v, '有人吗');
  await waitingCount(plain, 1);
  await answerOldest(plain, true);
  await sup.waitForFunction(() => document.querySelector('#kefu-board tr[data-kf-id="sv-e"] .kefu-board-convs li')?.textContent.includes('<b>访客五</b>'), null, { timeout: 10000 });
  await sup.waitForSelector('#kefu-board .kefu-board-timer[data-level="red"]', { timeout: 10000 });
  await sup.waitForSelector('#kefu-board .kefu-board-alarm:not([hidden])', { timeout: 5000 });
  assert.deepEqual(await xss(sup), []);
  // Silent monitor from the board: the history, then the conversation live; the agent sees who
  // watches; the customer nothing.
  const watched = sup.locator('#kefu-board tr[data-kf-id="sv-e"] .kefu-board-convs li', { hasText: '访客五' });
  await watched.locator('button', { hasText: '监听' }).click();
  const monitorHas = (t) => sup.waitForFunction((t) => [...document.querySelectorAll('.kefu-monitor li')].some((l) => l.textContent.includes(t)), t, { timeout: 10000 });
  await monitorHas('有人吗');
  await plain.waitForFunction(() => (document.querySelector('.kefu-viewers')?.textContent || '').includes('正在查看'), null, { timeout: 10000 });
  await visitorSays(v, '<i>订单</i>还没到');
  await monitorHas('<i>订单</i>还没到');
  assert.ok(!(await v.textContent('body')).includes('正在查看'));
  // Barge in: the supervisor's console opens the chat; the customer sees the supervisor's message
  // under the supervisor's name, the agent a marked copy; 退出此会话 leaves, visibly to both.
  await watched.locator('button', { hasText: '加入' }).click();
  await sup.waitForSelector('.layim-chat-textarea textarea', { timeout: 10000 });
  await sup.click('#board-btn'); // the board closes, out of the chat's way
  await sup.evaluate(() => { // and the monitor view (only it: the chat is a layer too)
    const view = document.querySelector('.kefu-monitor')?.closest('.layui-layer');
    if (view) layui.layer.close(Number(view.getAttribute('times')));
  });
  await sup.fill('.layim-chat-textarea textarea', '我是主管，来帮您看看');
  await sup.click('.layim-send-btn');
  await v.waitForFunction(() => [...document.querySelectorAll('#log li')].some((l) => l.textContent.includes('主管：我是主管')), null, { timeout: 10000 });
  await plain.waitForFunction(() => [...document.querySelectorAll('li.kefu-note[data-kind="supervisor"]')].some((l) => l.textContent.includes('我是主管')), null, { timeout: 10000 });
  await sup.click('.layim-end-chat');
  await v.waitForFunction(() => document.body.textContent.includes('离开了会话'), null, { timeout: 10000 });
  await sup.click('#board-btn');
  // Reassign it to sv-f from the board: it moves on the board, the customer is told, and sv-f's
  // console opens the conversation with the supervisor's word on it.
  const next = await agent(browser, server, 'sv-f');
  await sup.waitForSelector('#kefu-board tr[data-kf-id="sv-f"]', { timeout: 10000 });
  const row = sup.locator('#kefu-board tr[data-kf-id="sv-e"] .kefu-board-convs li', { hasText: '访客五' });
  await row.locator('button', { hasText: '转接' }).click();
  await sup.locator('.layui-layer .kefu-transfer-list button', { hasText: 'sv-f' }).click();
  await sup.waitForFunction(() => document.querySelector('#kefu-board tr[data-kf-id="sv-f"] .kefu-board-convs li')?.textContent.includes('访客五'), null, { timeout: 10000 });
  await v.waitForFunction(() => document.body.textContent.includes('sv-f'), null, { timeout: 10000 });
  await next.waitForFunction(() => [...document.querySelectorAll('li.kefu-note[data-kind="whisper"]')].some((l) => l.textContent.includes('转给了您')), null, { timeout: 10000 });
  // End it from the board: the customer is told, the board empties.
  const moved = sup.locator('#kefu-board tr[data-kf-id="sv-f"] .kefu-board-convs li', { hasText: '访客五' });
  await moved.locator('button', { hasText: '结束' }).click();
  await sup.click('.layui-layer-dialog .layui-layer-btn0');
  await v.waitForFunction(() => document.body.textContent.includes('会话已结束'), null, { timeout: 10000 });
  await sup.waitForFunction(() => !document.querySelector('#kefu-board tr[data-kf-id="sv-f"] .kefu-board-convs li'), null, { timeout: 10000 });
}
