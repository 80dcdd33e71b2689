// Search and reports in Chromium (issue 26): the console's search box finds a Chinese substring
// in a served customer's conversation and opens its chat log; a supervisor's reports page shows
// the agent's figures with Chart.js charts, and downloads the CSV.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess, agent, agentSays, answerOldest, chatHas, launch, login, visitor, visitorSays, waitingCount } from './harness.mjs';

let browser, server;
before(async () => { browser = await launch(); server = await ServerProcess.start(); });
after(async () => { await browser?.close(); await server?.stop(); });

test('the search box finds 退款 inside 申请退款了吗 and opens the chat log', async () => {
  const a = await agent(browser, server, 'sr-a');
  const v = await visitor(browser, server, 'sr-v', '顾客丙');
  await visitorSays(v, '请问申请退款了吗');
  await waitingCount(a, 1);
  await answerOldest(a, true);
  await chatHas(a, '申请退款了吗');
  await agentSays(a, '已经为您提交');
  await a.fill('#search-form input[name=q]', '退款');
  await a.click('#search-form button[type=submit]');
  const hit = a.locator('.kefu-search-results li', { hasText: '申请退款了吗' });
  await hit.waitFor({ timeout: 10000 });
  await hit.locator('a', { hasText: '聊天记录' }).click();
  const log = a.frameLocator('iframe[src*="chatlog.html"]');
  await log.locator('#list li', { hasText: '请问申请退款了吗' }).waitFor({ timeout: 10000 });
});

test('the reports page shows each agent with charts and downloads the CSV', async () => {
  const sup = await agent(browser, server, 'zhuguan');
  const token = await login(server, 'sr-a');
  const supToken = await login(server, 'zhuguan');
  const tag = '退款<b>x</b>';
  const set = await (await fetch(`${server.base}/settings/closeout`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + supToken }, body: JSON.stringify({ tags: [tag], required: false }) })).json();
  assert.equal(set.code, 0, JSON.stringify(set));
  const end = await (await fetch(`${server.base}/overSession/overUser?kfId=sr-a&userId=sr-v&tags=${encodeURIComponent(tag)}`, { headers: { authorization: 'Bearer ' + token } })).json();
  assert.equal(end.code, 0, JSON.stringify(end));
  await sup.waitForSelector('#reports-btn:not([hidden])', { timeout: 10000 });
  const page = await sup.context().newPage();
  await page.goto(server.base + '/reports.html');
  await page.waitForSelector('body[data-loaded="1"]', { timeout: 10000 });
  // Per department (shown on a desk with departments, as the demo's): sr-a's conversation came with none.
  assert.deepEqual(await page.$$eval('#departments tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent).slice(0, 3))), [['未分组', '1', '0']]);
  // The close-out tags, as text.
  assert.deepEqual(await page.$$eval('#tags tbody td', (tds) => tds.map((td) => td.textContent)), [tag, '1']);
  assert.equal(await page.locator('#tags b').count(), 0);
  const row = page.locator('#agents tr[data-kf-id="sr-a"] td');
  assert.equal(await row.nth(1).textContent(), '1', 'one conversation ended with sr-a');
  assert.ok(await page.evaluate(() => !!window.Chart && !!Chart.getChart('per-hour') && !!Chart.getChart('first-response')), 'charts drawn');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
  const path = await download.path();
  const csv = (await import('node:fs')).readFileSync(path, 'utf8');
  assert.ok(csv.startsWith('agent,conversations,') && csv.includes('\r\nsr-a,1,'), csv);
  // One department (the demo's, by name): sr-a's conversation came with none, so it is not there.
  await page.waitForSelector('#department-label:not([hidden]) option[value="presales"]', { state: 'attached', timeout: 5000 });
  assert.match(await page.textContent('#range select[name="department"]'), /售前咨询/);
  await page.evaluate(() => { document.body.dataset.loaded = ''; });
  await page.selectOption('#range select[name="department"]', 'presales');
  await page.waitForSelector('body[data-loaded="1"]', { timeout: 10000 });
  assert.equal(await page.locator('#agents tr[data-kf-id="sr-a"]').count(), 0, 'not a presales conversation');
  await page.evaluate(() => { document.body.dataset.loaded = ''; });
  await page.selectOption('#range select[name="department"]', '-');
  await page.waitForSelector('body[data-loaded="1"]', { timeout: 10000 });
  assert.equal(await page.locator('#agents tr[data-kf-id="sr-a"] td').nth(1).textContent(), '1', 'among those of no department');
});
