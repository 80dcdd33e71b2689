// Security end to end: the console under its Content-Security-Policy, signed in through its form,
// with the Origin allow-list switched on; a wrong password and signing out.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess, freePort, tempDir, launch, agent, visitor, waitingCount, answerOldest, chatHas, visitorSays, cspViolations, agentSays, visitorSaw, openPage, signInThroughForm } from './harness.mjs';

let server;
let browser;
before(async () => {
  const port = await freePort();
  server = new ServerProcess(port, tempDir('kefu-e2e-sec-'),
    ['--allowed-origins', `http://127.0.0.1:${port}`]);
  await server.spawn();
  browser = await launch();
});
after(async () => { await browser?.close(); await server?.stop(); });

test('the console signs in and works under its CSP with an origin allow-list', async () => {
  const res = await fetch(server.base + '/');
  const csp = res.headers.get('content-security-policy');
  assert.ok(csp && csp.includes("object-src 'none'") && !csp.includes("script-src 'self' 'unsafe-inline'"), csp);
  assert.equal((await fetch(server.base + '/agents/online')).status, 401, 'the API needs the token');
  const a = await agent(browser, server, 'sec-agent');
  const v = await visitor(browser, server, 'sec-v', 'S');
  await waitingCount(a, 1);
  await answerOldest(a, true);
  await chatHas(a, '用户已接入');
  await visitorSays(v, 'under csp');
  await chatHas(a, 'under csp');
  await agentSays(a, 'reply under csp');
  await visitorSaw(v, 'reply under csp');
  await a.click('.layim-tool-commonLang');
  await a.waitForSelector('.layui-layim-commonLang .cl-item');
  await a.click('.layim-tool-face');
  await a.click('.layim-tool-log[layim-event="chatLog"]');
  await a.frameLocator('iframe[id^="layui-layer-iframe"]').locator('#list li', { hasText: 'under csp' }).first().waitFor();
  assert.deepEqual(a.errors, []);
  // layer's iframe onload="this.className=''" is blocked too: it only clears a loading style.
  const violations = (await cspViolations(a)).filter((v) => !/^script-src-attr \/vendor\/layui\/lay\/modules\/layer\.js/.test(v));
  assert.deepEqual(violations, [], "no CSP violations beyond the two documented, harmless ones");
});

test('a wrong password is refused with a message and opens no socket', async () => {
  const a = await openPage(browser, `${server.base}/?kfId=xiaoming`);
  await a.fill('#login-form input[name="password"]', 'not-the-password');
  await a.click('#login-form button[type="submit"]');
  await a.waitForSelector('#login-error:not([hidden])');
  assert.match(await a.textContent('#login-error'), /登录失败/);
  assert.equal(await a.getAttribute('#conn-chip', 'data-state'), 'connecting', 'no session was started');
  assert.equal(await a.evaluate(() => window.kefu), undefined);
});

test('signing out voids the token and returns to the sign-in form', async () => {
  const a = await agent(browser, server, 'sec-out');
  const token = await a.evaluate(() => JSON.parse(localStorage.getItem('kefuAuth')).token);
  assert.equal((await fetch(server.base + '/agents/online?token=' + token)).status, 200);
  await a.click('#logout');
  await a.waitForSelector('#login-form input[name="password"]', { state: 'visible' });
  assert.match(await a.textContent('#login-error'), /已退出登录/);
  assert.equal((await fetch(server.base + '/agents/online?token=' + token)).status, 401, 'the old token is void');
});

test('a saved sign-in voided elsewhere: the console, started early from it, returns to the sign-in form', async () => {
  const a = await agent(browser, server, 'sec-void');
  const token = await a.evaluate(() => JSON.parse(localStorage.getItem('kefuAuth')).token);
  const context = a.context();
  await a.close(); // the tab is closed; the browser keeps the saved sign-in
  // Signed out from another device: the token this browser saved is void.
  const out = await fetch(server.base + '/auth/logout', { method: 'POST', headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' }, body: '{}' });
  assert.equal(out.status, 200);
  // A new tab: early.js starts the session and the profile request from the saved sign-in before
  // main.js has set its sign-out handler; the refusal must still reach it.
  const b = await context.newPage();
  await b.goto(`${server.base}/?kfId=sec-void`);
  await b.waitForSelector('#login-form input[name="password"]', { state: 'visible', timeout: 15000 });
  await b.waitForFunction(() => /登录已失效/.test(document.getElementById('login-error').textContent), null, { timeout: 15000 });
  assert.equal(await b.evaluate(() => localStorage.getItem('kefuAuth')), null, 'the void sign-in is forgotten');
  await signInThroughForm(b, 'sec-void');
  await b.waitForSelector('#conn-chip[data-state="open"]', { timeout: 15000 });
});

/** A rogue chat server on another port that records every request it gets. */
async function rogue() {
  const { createServer } = await import('node:http');
  const got = [];
  const s = createServer((req, res) => { got.push(req.method + ' ' + req.url); res.setHeader('access-control-allow-origin', '*'); res.end('{}'); });
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${s.address().port}`, got, close: () => s.close() };
}

test('issue 22, finding 6: ?server= outside the deployment is refused before any form, on the console and the visitor page', async () => {
  const evil = await rogue();
  try {
    const a = await openPage(browser, `${server.base}/?server=${encodeURIComponent(evil.url)}&kfId=xiaoming`);
    await a.waitForFunction(() => /不在本部署允许的列表中/.test(document.getElementById('hint').textContent), null, { timeout: 10000 });
    assert.equal(await a.isVisible('#login-form input[name="password"]'), false, 'no sign-in form for a foreign server');
    const v = await openPage(browser, `${server.base}/visitor.html?server=${encodeURIComponent(evil.url)}`);
    await v.waitForSelector('#status[data-state="refused"]', { timeout: 10000 });
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(evil.got, [], 'the rogue server heard nothing');
  } finally {
    evil.close();
  }
});

test('issue 22, tokens out of URLs: the console signs in, talks and reads the chat log without the token in any URL', async () => {
  const context = await browser.newContext();
  const urls = [];
  context.on('request', (r) => urls.push(r.url()));
  const page = await context.newPage();
  page.on('websocket', (ws) => urls.push(ws.url()));
  await page.goto(`${server.base}/?kfId=sec-url`);
  await page.fill('#login-form input[name="password"]', 'sec-url');
  await page.click('#login-form button[type="submit"]');
  await page.waitForSelector('#conn-chip[data-state="open"]', { timeout: 15000 });
  const v = await visitor(browser, server, 'sec-url-v', 'U');
  await waitingCount(page, 1);
  await answerOldest(page, true);
  await chatHas(page, '用户已接入');
  await visitorSays(v, 'token?');
  await chatHas(page, 'token?');
  await page.click('.layim-tool-log[layim-event="chatLog"]');
  await page.frameLocator('iframe[id^="layui-layer-iframe"]').locator('#list li', { hasText: 'token?' }).first().waitFor();
  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('kefuAuth')).token);
  const withToken = urls.filter((u) => u.includes('token=') || u.includes(token));
  assert.deepEqual(withToken, [], 'no URL carries the token');
  assert.ok(urls.some((u) => u.includes('/websocket/sec-url')), 'the socket opened (authenticated by its subprotocol)');
  await context.close();
});
