// Departments in Chromium (issue 27): the customer's page offers the desk's departments (names
// shown as text), the pick routes the customer to that department's agents only, and an agent
// hands a conversation to another department from the transfer picker, whose free agent gets it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess, agent, chatHas, launch, login, openPage, sleep, visitor, visitorSays, waitingCount } from './harness.mjs';

let browser, server;
before(async () => { browser = await launch(); server = await ServerProcess.start(); });
after(async () => { await browser?.close(); await server?.stop(); });

async function setDepartments(body) {
  const token = await login(server, 'zhuguan');
  const r = await fetch(server.base + '/settings/departments', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token }, body: JSON.stringify(body) });
  return r.json();
}

test('the customer picks a department on the page; only its agents are offered the customer; a transfer to a department reaches its agent', async () => {
  const pre = await agent(browser, server, 'dp-pre');
  const after = await agent(browser, server, 'dp-after');
  const saved = await setDepartments({
    departments: [{ id: 'presales', name: '售前<img src=x onerror=alert(1)>', agents: ['dp-pre'] }, { id: 'aftersales', name: '售后服务', agents: ['dp-after'] }],
    ask: true,
  });
  assert.equal(saved.code, 0, JSON.stringify(saved));
  const v = await visitor(browser, server, 'dp-v', '顾客丙');
  await v.waitForSelector('#departments:not([hidden]) button[data-department="aftersales"]', { timeout: 10000 });
  assert.equal(await v.locator('#departments img').count(), 0, 'a department name is text');
  assert.match(await v.textContent('#departments'), /售前<img/);
  // Without departments the tie would go to dp-after (first by id): presales makes it dp-pre.
  await v.click('#departments button[data-department="presales"]');
  await v.waitForSelector('#departments[hidden]', { state: 'attached', timeout: 5000 });
  await visitorSays(v, '这个多少钱');
  await waitingCount(pre, 1);
  await sleep(300);
  assert.equal(await after.textContent('#waiting-count'), '0', 'aftersales is not offered a presales customer');
  await pre.click('#openDialog');
  // The accept dialog says which department the customer came for, as text.
  await pre.waitForSelector('.layui-layer-dialog .kefu-offer-department', { timeout: 5000 });
  assert.equal(await pre.textContent('.layui-layer-dialog .kefu-offer-department'), '售前<img src=x onerror=alert(1)>');
  assert.equal(await pre.locator('.layui-layer-dialog img').count(), 0);
  await pre.click('.layui-layer-dialog .layui-layer-btn0');
  await chatHas(pre, '这个多少钱');
  // The context panel names the customer's department, as text.
  await pre.waitForSelector('#context dd[data-field="department"]', { timeout: 5000 });
  assert.equal(await pre.textContent('#context dd[data-field="department"]'), '售前<img src=x onerror=alert(1)>');
  assert.equal(await pre.locator('#context img').count(), 0);
  await pre.click('.layim-tool-transfer');
  const toAftersales = pre.locator('button[data-department="aftersales"]');
  await toAftersales.waitFor({ timeout: 5000 });
  assert.match(await toAftersales.textContent(), /1 人可接待/);
  await toAftersales.click();
  await after.waitForSelector('.layui-layer-btn0:has-text("接受")', { timeout: 10000 });
  await after.click('.layui-layer-btn0:has-text("接受")');
  await chatHas(after, '转接成功');
  assert.deepEqual([...pre.errors, ...after.errors, ...v.errors], []);
  for (const p of [pre, after, v]) await p.context().close();
});

test('the supervisor narrows the board to one department: its agents and its line, names as text', async () => {
  const pre = await agent(browser, server, 'bd-pre');
  const aft = await agent(browser, server, 'bd-after');
  const none = await agent(browser, server, 'bd-none');
  const saved = await setDepartments({
    departments: [{ id: 'presales', name: '售前<b>x</b>', agents: ['bd-pre'] }, { id: 'aftersales', name: '售后服务', agents: ['bd-after'] }],
    ask: false,
  });
  assert.equal(saved.code, 0, JSON.stringify(saved));
  const v = await openPage(browser, `${server.base}/visitor.html?userId=bd-v&userName=${encodeURIComponent('顾客丁')}&department=aftersales`);
  await v.waitForSelector('#status[data-state="open"]', { timeout: 15000 });
  await visitorSays(v, '我要退货');
  await waitingCount(aft, 1);
  const sup = await agent(browser, server, 'zhuguan', '&queueAlarm=1');
  await sup.waitForSelector('#board-btn:not([hidden])', { timeout: 10000 });
  await sup.click('#board-btn');
  await sup.waitForSelector('#kefu-board .kefu-board-filter:not([hidden]) option[value="aftersales"]', { state: 'attached', timeout: 10000 });
  // The alarm names the line that is long.
  await sup.waitForFunction(() => document.querySelector('#kefu-board .kefu-board-alarm')?.textContent.includes('排队 1 人（售后服务 1）'), null, { timeout: 5000 });
  const shown = () => sup.$$eval('#kefu-board tr[data-kf-id]', (rows) => rows.map((r) => r.dataset.kfId));
  const queue = () => sup.$$eval('#kefu-board .kefu-board-queue tbody tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
  // The names, as text: in the select and in the agents' rows.
  assert.match(await sup.textContent('#kefu-board select.kefu-board-department'), /售前<b>x<\/b>/);
  await sup.waitForFunction(() => document.querySelector('#kefu-board tr[data-kf-id="bd-pre"] .kefu-board-groups')?.textContent === '售前<b>x</b>', null, { timeout: 5000 });
  assert.equal(await sup.locator('#kefu-board .kefu-board-groups b, #kefu-board select b').count(), 0, 'a department name is never markup');

  await sup.selectOption('#kefu-board select.kefu-board-department', 'aftersales');
  await sup.waitForFunction(() => !document.querySelector('#kefu-board tr[data-kf-id="bd-pre"]'), null, { timeout: 5000 });
  assert.deepEqual(await shown(), ['bd-after']);
  await sup.waitForFunction(() => document.querySelector('#kefu-board .kefu-board-queue tbody td')?.textContent === '顾客丁', null, { timeout: 5000 });
  const [row] = await queue();
  assert.deepEqual([row[0], row[1], row[3]], ['顾客丁', '售后服务', 'bd-after']);
  assert.equal(await sup.evaluate(() => localStorage.getItem('kefu:board-department')), 'aftersales', 'the choice is kept');
  // Each option says how many wait in its line.
  const options = await sup.$$eval('#kefu-board select.kefu-board-department option', (os) => os.map((o) => o.textContent));
  assert.ok(options.includes('售后服务（1 人排队）') && options.includes('售前<b>x</b>'), options.join(' | '));

  await sup.selectOption('#kefu-board select.kefu-board-department', 'presales');
  await sup.waitForFunction(() => document.querySelector('#kefu-board tr[data-kf-id="bd-pre"]') && !document.querySelector('#kefu-board tr[data-kf-id="bd-after"]'), null, { timeout: 5000 });
  assert.deepEqual(await shown(), ['bd-pre']);
  await sup.waitForFunction(() => document.querySelector('#kefu-board .kefu-board-queue tbody td')?.textContent === '无人排队', null, { timeout: 5000 });
  assert.match(await sup.textContent('#kefu-board h3:last-of-type'), /排队（0，全部 1）/);

  await sup.selectOption('#kefu-board select.kefu-board-department', '-');
  await sup.waitForFunction(() => document.querySelector('#kefu-board tr[data-kf-id="bd-none"]'), null, { timeout: 5000 });
  const ungrouped = await shown();
  assert.ok(ungrouped.includes('zhuguan') && !ungrouped.includes('bd-pre') && !ungrouped.includes('bd-after'), ungrouped.join());

  await sup.selectOption('#kefu-board select.kefu-board-department', '*');
  await sup.waitForFunction(() => ['bd-pre', 'bd-after', 'bd-none'].every((id) => document.querySelector(`#kefu-board tr[data-kf-id="${id}"]`)), null, { timeout: 5000 });
  assert.deepEqual([...pre.errors, ...aft.errors, ...none.errors, ...v.errors, ...sup.errors], []);
  for (const p of [pre, aft, none, v, sup]) await p.context().close();
});

test('the supervisor names the walk-in department in 设置; saving the dialog keeps it, and a walk-in goes to its agents', async () => {
  const pre = await agent(browser, server, 'wk-pre');
  const aft = await agent(browser, server, 'wk-after');
  const saved = await setDepartments({
    departments: [{ id: 'presales', name: '售前', agents: ['wk-pre'] }, { id: 'aftersales', name: '售后', agents: ['wk-after'] }],
    ask: false, walkIn: 'presales',
  });
  assert.equal(saved.code, 0, JSON.stringify(saved));
  const sup = await agent(browser, server, 'zhuguan');
  await sup.waitForSelector('#settings-btn:not([hidden])', { timeout: 10000 });
  await sup.click('#settings-btn');
  const walkIn = sup.locator('form.kefu-settings input[name="walk-in"]');
  await walkIn.waitFor({ timeout: 10000 });
  assert.equal(await walkIn.inputValue(), 'presales', 'the dialog shows the saved walk-in department');
  await walkIn.fill('aftersales');
  await sup.locator('.layui-layer:has(form.kefu-settings) .layui-layer-btn0').click();
  await sup.waitForFunction(() => (document.getElementById('kefu-toast')?.textContent || '').includes('已保存'), null, { timeout: 10000 });
  const token = await login(server, 'zhuguan');
  const now = (await (await fetch(server.base + '/settings/departments', { headers: { authorization: 'Bearer ' + token } })).json()).data;
  assert.equal(now.walkIn, 'aftersales');
  // A customer without a department: aftersales' agent is offered them, presales' is not.
  const v = await visitor(browser, server, 'wk-v', '顾客戊');
  await visitorSays(v, '随便问问');
  await waitingCount(aft, 1);
  await sleep(300);
  assert.equal(await pre.textContent('#waiting-count'), '0', 'presales is not offered a walk-in');
  assert.equal((await setDepartments({ departments: [], ask: false })).code, 0);
  assert.deepEqual([...pre.errors, ...aft.errors, ...sup.errors, ...v.errors], []);
  for (const p of [pre, aft, sup, v]) await p.context().close();
});
