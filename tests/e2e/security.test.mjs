// Security end to end: the console under its Content-Security-Policy, signed in through its form,
// with the Origin allow-list switched on; a wrong password and signing out.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess, launch, agent, visitor, waitingCount, answerOldest, chatHas, visitorSays, cspViolations, agentSays, visitorSaw, openPage } from './harness.mjs';

let server;
let browser;
before(async () => {
  const port = await (await import('./harness.mjs')).freePort();
  server = new ServerProcess(port, (await import('node:fs')).mkdtempSync('/tmp/kefu-e2e-sec-'),
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
