// Security basics end to end: the console under its Content-Security-Policy, with the server's
// auth token and Origin allow-list switched on.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess, launch, agent, visitor, waitingCount, answerOldest, chatHas, visitorSays, cspViolations, agentSays, visitorSaw } from './harness.mjs';

let server;
let browser;
before(async () => {
  const port = await (await import('./harness.mjs')).freePort();
  server = new ServerProcess(port, (await import('node:fs')).mkdtempSync('/tmp/kefu-e2e-sec-'),
    ['--auth-token', 't0k3n', '--allowed-origins', `http://127.0.0.1:${port}`]);
  await server.spawn();
  browser = await launch();
});
after(async () => { await browser?.close(); await server?.stop(); });

test('the console works under its CSP with a token and an origin allow-list', async () => {
  const res = await fetch(server.base + '/');
  const csp = res.headers.get('content-security-policy');
  assert.ok(csp && csp.includes("object-src 'none'") && !csp.includes("script-src 'self' 'unsafe-inline'"), csp);
  assert.equal((await fetch(server.base + '/agents/online')).status, 401, 'the API needs the token');
  const a = await agent(browser, server, 'sec-agent', '&token=t0k3n');
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

test('a console without the token cannot connect', async () => {
  const a = await (await import('./harness.mjs')).openPage(browser, `${server.base}/?kfId=sec-nobody`);
  await a.waitForSelector('#conn-chip[data-state="reconnecting"]', { timeout: 15000 });
});
