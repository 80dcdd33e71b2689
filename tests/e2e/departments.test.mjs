// Departments in Chromium (issue 27): the customer's page offers the desk's departments (names
// shown as text), the pick routes the customer to that department's agents only, and an agent
// hands a conversation to another department from the transfer picker, whose free agent gets it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess, agent, chatHas, launch, login, sleep, visitor, visitorSays, waitingCount } from './harness.mjs';

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
  await pre.click('.layui-layer-dialog .layui-layer-btn0');
  await chatHas(pre, '这个多少钱');
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
