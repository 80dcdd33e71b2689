// The customer widget on another company's site and a conversation's life in Chromium (issue 25):
// one <script> line on a page of another origin shows a launcher (在线客服) that opens the chat in
// the desk's own iframe — out of the host page's reach — with the form to leave a message when
// nobody is online (kept while the customer moves to another page), an unread badge while closed,
// the agent's recall, the rating after the end (which the agent sees), Escape and the keyboard,
// and a full-screen panel on a phone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { ServerProcess, agent, agentSays, answerOldest, chatHas, launch, login, sleep, waitingCount } from './harness.mjs';

let browser, server;
before(async () => { browser = await launch(); server = await ServerProcess.start(['--offer-timeout-secs', '600', '--grace-ms', '300']); });
after(async () => { await browser?.close(); await server?.stop(); });

// The host site: another origin than the desk (its own port), served by a small server of this
// test (from the same machine, so Chromium's local-network rules see loopback calling loopback,
// as a site and a desk on the internet are both public).
let shopServer, shopOrigin;
let shopAttrs = '';
before(async () => {
  shopServer = createServer((req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(`<!doctype html><html><head><title>小店</title><style>button{background:red!important}</style></head>` +
      `<body><h1>商品</h1><input id="search"><script src="${server.base}/widget.js" async ${shopAttrs}></script></body></html>`);
  });
  await new Promise((r) => shopServer.listen(0, '127.0.0.1', r));
  shopOrigin = `http://127.0.0.1:${shopServer.address().port}`;
});
after(() => shopServer?.close());

async function shop(attrs = '', viewport = { width: 1100, height: 760 }) {
  shopAttrs = attrs;
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(shopOrigin + '/product/1');
  await page.waitForSelector('button[aria-label="在线客服"]', { timeout: 15000 });
  return page;
}

const chat = (page) => page.frameLocator('iframe[title="在线客服"]');
const inChat = (page, text) => chat(page).locator('#log li', { hasText: text }).first().waitFor({ timeout: 10000 });

test('with nobody online the widget offers the form, and the message left reaches the agents', async () => {
  const page = await shop('data-user-name="王先生"');
  await page.click('button[aria-label="在线客服"]');
  const f = chat(page);
  await f.locator('#leave').waitFor({ state: 'visible', timeout: 10000 });
  await f.locator('#leave input[name=name]').fill('王先生');
  await f.locator('#leave input[name=contact]').fill('138-0000');
  await f.locator('#leave textarea[name=content]').fill('<b>发票</b>怎么开？');
  // Another page of the site before sending: the chat is open there with the form as it was.
  await page.goto(shopOrigin + '/product/2');
  await page.waitForSelector('button[aria-label="关闭在线客服"]', { timeout: 10000 });
  await f.locator('#leave').waitFor({ state: 'visible', timeout: 10000 });
  assert.deepEqual(await f.locator('#leave').evaluate((form) => ['name', 'contact', 'content'].map((n) => form.elements[n].value)), ['王先生', '138-0000', '<b>发票</b>怎么开？']);
  await f.locator('#leave button[type=submit]').click();
  await inChat(page, '留言已收到');
  const token = await login(server, 'w-a');
  const r = await (await fetch(server.base + '/offlineMessages/list?open=1', { headers: { authorization: 'Bearer ' + token } })).json();
  assert.ok(r.data.list.some((m) => m.content === '<b>发票</b>怎么开？' && m.contact === '138-0000'), JSON.stringify(r));
  assert.deepEqual(page.errors, []);
  await page.context().close();
  await sleep(1000); // gone from the queue after the grace period
});

test('one line on another site: launcher, isolated chat, unread badge, recall, rating', async () => {
  const a = await agent(browser, server, 'w-a');
  const page = await shop('data-user-name="李女士"');
  const launcher = page.locator('button[aria-label="在线客服"]');
  assert.equal(await launcher.evaluate((b) => getComputedStyle(b).backgroundColor), 'rgb(30, 159, 255)', 'the host page CSS does not reach it');
  await launcher.click();
  const f = chat(page);
  await f.locator('#text').fill('你好，在吗');
  await f.locator('#form button[type=submit]').click();
  await waitingCount(a, 1);
  await answerOldest(a, true);
  await chatHas(a, '你好，在吗');
  // The host page cannot reach into the conversation.
  const reach = await page.evaluate(() => {
    const frame = document.querySelector('[data-kefu-widget]').shadowRoot.querySelector('iframe');
    try { return frame.contentDocument === null ? 'blocked' : 'open'; } catch (_) { return 'blocked'; }
  });
  assert.equal(reach, 'blocked');
  // Closed: a reply shows on the badge.
  await page.click('button[aria-label="关闭在线客服"]');
  await agentSays(a, '在的，请讲');
  await page.waitForFunction(() => document.querySelector('[data-kefu-widget]').shadowRoot.querySelector('.badge').textContent === '1', null, { timeout: 10000 });
  await launcher.click();
  await inChat(page, '在的，请讲');
  assert.equal(await page.evaluate(() => document.querySelector('[data-kefu-widget]').shadowRoot.querySelector('.badge').hidden), true);
  // The agent recalls a message sent by mistake: the customer sees 消息已撤回.
  await agentSays(a, '发错的内容');
  await inChat(page, '发错的内容');
  const mine = a.locator('.layim-chat-main li.layim-chat-mine', { hasText: '发错的内容' });
  await mine.locator('.kefu-msg-status[data-status="acked"], .kefu-msg-status[data-status="read"]').waitFor({ timeout: 10000 });
  await mine.locator('.kefu-recall').click();
  await inChat(page, '消息已撤回');
  assert.equal(await f.locator('#log li', { hasText: '发错的内容' }).count(), 0);
  // The end: the customer rates, the agent sees it.
  const token = await login(server, 'w-a');
  const userId = await f.locator('body').evaluate(() => window.kefuVisitor.userId);
  const end = await (await fetch(`${server.base}/overSession/overUser?kfId=w-a&userId=${encodeURIComponent(userId)}`, { headers: { authorization: 'Bearer ' + token } })).json();
  assert.equal(end.code, 0, JSON.stringify(end));
  await f.locator('#rate').waitFor({ state: 'visible', timeout: 10000 });
  await f.locator('#rate button[data-stars="4"]').click();
  await f.locator('#rate textarea[name=comment]').fill('回复很快');
  await f.locator('#rate button[type=submit]').click();
  await inChat(page, '感谢您的评价');
  await chatHas(a, '访客评价 ★★★★☆');
  assert.deepEqual(page.errors, []);
});

test('by keyboard, and on a phone the chat fills the screen', async () => {
  const page = await shop('', { width: 375, height: 667 });
  await page.focus('#search');
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.getAttribute('aria-label'));
  assert.equal(focused, '在线客服', 'the launcher is next in the tab order');
  await page.keyboard.press('Enter');
  const box = await page.locator('iframe[title="在线客服"]').boundingBox();
  assert.ok(box && box.width >= 370 && box.height >= 660, JSON.stringify(box));
  await chat(page).locator('#text').waitFor({ timeout: 10000 });
  await sleep(300);
  await chat(page).locator('#text').press('Escape');
  await page.waitForSelector('button[aria-label="在线客服"][aria-expanded="false"]', { timeout: 5000 });
});
