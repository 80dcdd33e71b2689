// The console against a backend written for the original chatDialog.js: no accounts, no hello, no
// extensions. The agent socket is a mock speaking only the original frames (Playwright's
// routeWebSocket); the page and its static files come from the reference server, whose newer
// endpoints answer 404 as an old backend's would. The console must work as the original did, send
// nothing but the original frames (no hello answer, no presence, typing, seen or msgId), hide what
// needs extensions, and still hold one socket for two tabs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess, launch, sleep } from './harness.mjs';

let server;
let browser;
before(async () => { server = await ServerProcess.start(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.stop(); });

/** A browser context whose agent socket is a legacy backend; returns it with its sockets. */
async function legacyContext() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const sockets = [];
  await context.routeWebSocket(/\/websocket\/legacy-agent/, (ws) => {
    const s = { ws, got: [] };
    sockets.push(s);
    ws.onMessage((m) => {
      s.got.push(m);
      if (JSON.parse(m).respStatus === 9) ws.send('{"status":9}');
    });
  });
  // What an old backend does not have.
  for (const path of ['/auth/**', '/visitors/**', '/agents/presence', '/queue']) {
    await context.route(server.base + path, (r) => r.fulfill({ status: 404, body: 'not found' }));
  }
  await context.route(server.base + '/personalConfig/getInfo**', (r) => r.fulfill({
    status: 200, contentType: 'application/json', body: JSON.stringify({ code: 0, msg: 'ok', data: { id: 'legacy-agent', name: '老客服', image: '' } }),
  }));
  return { context, sockets };
}

async function consolePage(context) {
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(`${server.base}/?kfId=legacy-agent`);
  await page.waitForSelector('#conn-chip[data-state="open"]', { timeout: 15000 });
  return page;
}

test('against a legacy backend the console works as the original did and sends only its frames', async () => {
  const { context, sockets } = await legacyContext();
  const a = await consolePage(context);
  assert.equal(sockets.length, 1);
  const backend = sockets[0];
  backend.ws.send(JSON.stringify({ status: 2, data: { id: 'c1', userName: '老客户' } }));
  await a.waitForFunction(() => document.getElementById('waiting-count').textContent === '1', null, { timeout: 5000 });
  await a.click('#openDialog');
  await a.click('.layui-layer-dialog .layui-layer-btn0');
  backend.ws.send(JSON.stringify({ status: 1, data: { userId: 'c1', userName: '老客户', kfId: 'legacy-agent', content: '在吗', createTime: Date.now() } }));
  await a.waitForFunction(() => [...document.querySelectorAll('.layim-chat-main li')].some((l) => l.textContent.includes('在吗')), null, { timeout: 5000 });
  await a.focus('.layim-chat-textarea textarea');
  await a.keyboard.type('您好，请讲');
  await a.click('.layim-send-btn');
  await a.waitForFunction(() => [...document.querySelectorAll('.kefu-msg-status')].some((s) => s.textContent === '已发送'), null, { timeout: 5000 });
  await sleep(2500); // time for any signal that should not be there
  const frames = backend.got.map((m) => JSON.parse(m));
  const kinds = new Set(frames.map((f) => f.respStatus ?? 'chat'));
  assert.deepEqual([...kinds].filter((k) => ![2, 9, 'chat'].includes(k)), [], 'only original frames: ' + JSON.stringify(frames));
  const chat = frames.find((f) => f.respStatus === undefined);
  assert.deepEqual(Object.keys(chat), ['kfId', 'kfName', 'userId', 'userName', 'content'], 'the original chat frame, no msgId');
  assert.equal(chat.kfName, '老客服');
  assert.equal(frames.find((f) => f.respStatus === 2).userId, 'c1');
  // What needs extensions is not shown; nothing failed.
  assert.ok(await a.locator('#presence').isHidden(), 'no presence menu without the extension');
  assert.ok(await a.locator('#context').isHidden(), 'no context panel without the endpoint');
  assert.equal(await a.locator('.kefu-msg-status', { hasText: '未读' }).count(), 0, 'no read receipts without the extension');
  // A second tab: still one socket to the backend (the original's socket-per-kfId map is not fought over).
  const b = await consolePage(context);
  await sleep(1000);
  assert.equal(sockets.length, 1, 'one socket for both tabs');
  backend.ws.send(JSON.stringify({ status: 1, data: { userId: 'c1', userName: '老客户', kfId: 'legacy-agent', content: '第二个标签页也看得到', createTime: Date.now() } }));
  await b.waitForFunction(() => [...document.querySelectorAll('.layim-chat-main li')].some((l) => l.textContent.includes('第二个标签页也看得到')), null, { timeout: 5000 });
  assert.deepEqual([...a.errors, ...b.errors], []);
  await context.close();
});
