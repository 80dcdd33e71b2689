// A customer moves between pages of a site with the widget (each page loads the chat again): the
// conversation so far is shown again, in order and once; what they sent while the network was
// down is sent from the next page and reaches the agent once; what they were typing is still in
// the input; the chat is open on the next page when it was open on the last. The desk runs with its
// default grace period, as a customer's page change is short.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { ServerProcess, agent, agentSays, answerOldest, chatHas, launch, waitingCount } from './harness.mjs';

let browser, server, shopServer, shopOrigin;
before(async () => {
  browser = await launch();
  server = await ServerProcess.start();
  // The host site, on an origin of its own: every path is a product page with the widget.
  shopServer = createServer((req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(`<!doctype html><title>小店</title><h1>商品 ${req.url.replace(/\D/g, '')}</h1>` +
      `<script src="${server.base}/widget.js" async data-user-name="周先生"></script>`);
  });
  await new Promise((r) => shopServer.listen(0, '127.0.0.1', r));
  shopOrigin = `http://127.0.0.1:${shopServer.address().port}`;
});
after(async () => { shopServer?.close(); await browser?.close(); await server?.stop(); });

const chat = (page) => page.frameLocator('iframe[title="在线客服"]');
const inChat = (page, text) => chat(page).locator('#log li', { hasText: text }).first().waitFor({ timeout: 10000 });
/** The chat lines the customer sees (theirs and the agent's), as text. */
const lines = (page) => chat(page).locator('#log li.me, #log li.agent').evaluateAll((ls) => ls.map((l) => l.firstChild.textContent));

test('another page of the site keeps the conversation, what was sent offline and the draft', async () => {
  const a = await agent(browser, server, 'nav-a');
  const context = await browser.newContext();
  // The customer's network: through to the desk, or (cut) a socket that answers nothing.
  let cut = false;
  let live = null;
  await context.routeWebSocket(/\/websocket\/visitor\//, (ws) => { live = ws; if (!cut) ws.connectToServer(); });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(shopOrigin + '/product/1');
  await page.click('button[aria-label="在线客服"]');
  let f = chat(page);
  await f.locator('#text').fill('这件有货吗');
  await f.locator('#form button[type=submit]').click();
  await waitingCount(a, 1);
  await answerOldest(a, true);
  await chatHas(a, '这件有货吗');
  await agentSays(a, '有货，今天发');
  await inChat(page, '有货，今天发');
  // The network drops: what the customer sends now is not stored, and they type on.
  cut = true;
  live.close();
  await f.locator('#status[data-state="open"]').waitFor({ timeout: 10000 }); // the socket that answers nothing
  await f.locator('#text').fill('能包邮吗');
  await f.locator('#form button[type=submit]').click();
  await f.locator('#text').fill('还想问尺码');
  // The network is back, and the customer opens another product: the chat is open there too.
  cut = false;
  await page.goto(shopOrigin + '/product/2');
  await page.waitForSelector('button[aria-label="关闭在线客服"]', { timeout: 10000 });
  f = chat(page);
  await chatHas(a, '能包邮吗');
  await inChat(page, '有货，今天发');
  await f.locator('body').evaluate(() => new Promise((r) => { const t = setInterval(() => { if (window.kefuVisitor.unacked() === 0) { clearInterval(t); r(); } }, 50); }));
  assert.deepEqual(await lines(page), ['这件有货吗', 'nav-a：有货，今天发', '能包邮吗'], 'the conversation, in order, once each');
  assert.equal(await f.locator('#text').inputValue(), '还想问尺码', 'the draft is still there');
  assert.equal(await a.locator('.layim-chat-main li', { hasText: '能包邮吗' }).count(), 1, 'the agent got it once');
  await a.locator('#context', { hasText: '/product/2' }).waitFor({ timeout: 10000 }); // the agent sees where they are now
  // The conversation goes on from there.
  await agentSays(a, '包邮的');
  await inChat(page, '包邮的');
  assert.deepEqual(await lines(page), ['这件有货吗', 'nav-a：有货，今天发', '能包邮吗', 'nav-a：包邮的']);
  // Closed on this page, it stays closed on the next, still connected (replies show on the badge).
  await page.click('button[aria-label="关闭在线客服"]');
  await page.goto(shopOrigin + '/product/3');
  await page.waitForSelector('button[aria-label="在线客服"][aria-expanded="false"]', { timeout: 10000 });
  await agentSays(a, '还在吗');
  await page.waitForFunction(() => document.querySelector('[data-kefu-widget]').shadowRoot.querySelector('.badge').textContent === '1', null, { timeout: 10000 });
  assert.deepEqual(page.errors, []);
  await context.close();
});
