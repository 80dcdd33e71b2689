// A conversation's end and what follows, in Chromium (issue 25): 退出此会话 asks for the close-out
// tags supervisors keep (required ones enforced), the customer rates, and the chat log shows tags,
// comment and rating; the 留言 button lists a message left, an agent claims and answers it, and
// the customer's page shows the answer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess, agent, answerOldest, chatHas, launch, login, visitor, visitorSaw, visitorSays, waitingCount } from './harness.mjs';

let browser, server;
before(async () => { browser = await launch(); server = await ServerProcess.start(); });
after(async () => { await browser?.close(); await server?.stop(); });

async function asSupervisor(path, body) {
  const token = await login(server, 'zhuguan');
  const r = await fetch(server.base + path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token }, body: JSON.stringify(body) });
  return r.json();
}

test('ending asks for the required close-out tags; the rating and the tags are in the chat log', async () => {
  assert.equal((await asSupervisor('/settings/closeout', { tags: ['退款', '<b>咨询</b>'], required: true })).code, 0);
  const a = await agent(browser, server, 'lc-a');
  const v = await visitor(browser, server, 'lc-v', '顾客甲');
  await visitorSays(v, '我要退款');
  await waitingCount(a, 1);
  await answerOldest(a, true);
  await chatHas(a, '我要退款');
  await a.click('.layim-end-chat');
  const dialog = a.locator('.layui-layer form.kefu-closeout');
  await dialog.waitFor({ timeout: 10000 });
  assert.equal(await dialog.locator('b').count(), 0, 'a tag is text, never markup');
  await a.locator('.layui-layer:has(form.kefu-closeout) .layui-layer-btn0').click(); // no tag picked
  await a.waitForFunction(() => (document.getElementById('kefu-toast')?.textContent || '').includes('至少'), null, { timeout: 5000 });
  await dialog.locator('input[value="退款"]').check();
  await dialog.locator('textarea[name=comment]').fill('已登记退款');
  await a.locator('.layui-layer:has(form.kefu-closeout) .layui-layer-btn0').click();
  await v.waitForSelector('#rate:not([hidden])', { timeout: 10000 });
  await v.click('#rate button[data-stars="5"]');
  await v.click('#rate button[type=submit]');
  await visitorSaw(v, '感谢您的评价');
  const log = await browser.newPage();
  await log.goto(`${server.base}/chatlog.html?id=h${Buffer.from('lc-v').toString('hex')}&type=kefu&token=${await login(server, 'lc-a')}`);
  await log.waitForFunction(() => (document.getElementById('conversations')?.textContent || '').includes('★★★★★'), null, { timeout: 10000 });
  const text = await log.textContent('#conversations');
  assert.ok(text.includes('标签：退款') && text.includes('备注：已登记退款') && text.includes('客服结束'), text);
});

test('a message left is claimed and answered from the 留言 panel, and the customer sees the answer', async () => {
  const v = await visitor(browser, server, 'lc-w', '顾客乙');
  await v.evaluate(() => window.kefuVisitor.sendRaw({ type: 'leaveMessage', name: '乙', contact: 'b@example.com', content: '请回电 <script>x</script>' }));
  await visitorSaw(v, '留言已收到');
  const a = await agent(browser, server, 'lc-b');
  await a.waitForSelector('#offline-btn:not([hidden])', { timeout: 10000 });
  await a.waitForFunction(() => Number(document.getElementById('offline-count').textContent) >= 1, null, { timeout: 10000 });
  await a.click('#offline-btn');
  const item = a.locator('.kefu-offline-item', { hasText: '请回电' });
  await item.waitFor({ timeout: 10000 });
  assert.equal(await a.locator('.kefu-offline-item script').count(), 0, 'shown as text');
  await item.locator('button', { hasText: '认领' }).click();
  await item.locator('textarea').fill('已回电，问题已解决');
  await item.locator('button', { hasText: '标记已处理' }).click();
  await v.waitForFunction(() => (document.getElementById('answers')?.textContent || '').includes('已回电，问题已解决'), null, { timeout: 10000 });
});

test('a supervisor sets the close-out tags and the business hours from the console', async () => {
  const sup = await agent(browser, server, 'zhuguan');
  await sup.waitForSelector('#settings-btn:not([hidden])', { timeout: 10000 });
  const plain = await agent(browser, server, 'lc-c');
  assert.equal(await plain.locator('#settings-btn').isHidden(), true, 'an agent has no 设置');
  await sup.click('#settings-btn');
  const f = sup.locator('form.kefu-settings');
  await f.waitFor({ timeout: 10000 });
  await f.locator('textarea[name=tags]').fill('投诉\n建议');
  await f.locator('input[name=required]').uncheck();
  await f.locator('input[name=always]').uncheck();
  await f.locator('input[name=tz]').fill('Asia/Shanghai');
  await f.locator('input[name="mon-from"]').fill('09:00');
  await f.locator('input[name="mon-to"]').fill('18:00');
  await f.locator('textarea[name=closed]').fill('2026-10-01');
  await sup.locator('.layui-layer:has(form.kefu-settings) .layui-layer-btn0').click();
  await sup.waitForFunction(() => (document.getElementById('kefu-toast')?.textContent || '').includes('已保存'), null, { timeout: 10000 });
  const token = await login(server, 'lc-c');
  const get = async (p) => (await (await fetch(server.base + p, { headers: { authorization: 'Bearer ' + token } })).json()).data;
  assert.deepEqual(await get('/settings/closeout'), { tags: ['投诉', '建议'], required: false });
  const { schedule } = await get('/settings/hours');
  assert.equal(schedule.timeZone, 'Asia/Shanghai');
  assert.deepEqual(schedule.weekly.mon, [['09:00', '18:00']]);
  assert.deepEqual(schedule.exceptions, [{ date: '2026-10-01', hours: [], note: '' }]);
  assert.equal((await asSupervisor('/settings/hours', { schedule: null })).code, 0);
});

test('the chat log shows the latest page and scrolling to the top loads the ones before, each message once, in order', async () => {
  const r = await fetch(`${server.base}/test/history?userId=lc-long&kfId=lc-a&count=100`, { method: 'POST' }).then((x) => x.json());
  assert.equal(r.data.stored, 100);
  const log = await browser.newPage();
  await log.goto(`${server.base}/chatlog.html?id=h${Buffer.from('lc-long').toString('hex')}&type=kefu&token=${await login(server, 'zhuguan')}`);
  const numbers = () => log.$$eval('#list .content', (cs) => cs.map((c) => Number(c.textContent.split(' ')[1])));
  await log.waitForFunction(() => window.kefuChatlog?.pages === 1, null, { timeout: 10000 });
  assert.deepEqual(await numbers(), Array.from({ length: 40 }, (_, i) => 61 + i), 'the latest page, oldest first');
  for (let pages = 2; pages <= 3; pages++) {
    await log.evaluate(() => window.scrollTo(0, 0));
    await log.waitForFunction((n) => window.kefuChatlog.pages === n, pages, { timeout: 10000 });
  }
  assert.deepEqual(await numbers(), Array.from({ length: 100 }, (_, i) => 1 + i), 'every message once, in order');
  assert.equal(await log.isHidden('#more'), true, 'nothing older to load');
  await log.close();
});
