// The console and the visitor page through a partitioned cluster (`--partitioned`; demo
// departments: 售前 and 售后 share kf001, so they are one partition, `aftersales+presales`, beside
// `default`): the customer arrives without a department, picks 售前 on the page and is handed to
// that partition's routing, where xiaoming answers; then the node routing it is SIGKILLed
// mid-conversation and both sides carry on, every message shown once; the supervisor, routed in
// `default`, sees the conversation on the board. Needs what cluster.test.mjs needs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, agent, visitor, waitingCount, answerOldest, visitorSays, visitorSaw, agentSays, chatHas } from './harness.mjs';
import { bothArrive, eachShownOnce, startCluster } from './cluster-harness.mjs';

const PARTITION = 'aftersales+presales';
let browser;
let cluster;

before(async () => {
  const routed = (health, p) => health.some((h) => h?.partitions?.includes(p));
  cluster = await startCluster({ extra: ['--partitioned'], ready: (health) => routed(health, PARTITION) && routed(health, 'default') && health.every((h) => h?.owners?.[PARTITION]) });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  cluster?.stop();
});

test('a customer picks a department another node routes, and the conversation survives that node being killed', async () => {
  const health = await cluster.health();
  const owner = cluster.nodes.find((_, i) => health[i]?.partitions?.includes(PARTITION));
  const other = cluster.nodes.find((_, i) => health[i]?.partitions?.includes('default'));
  assert.notEqual(owner.name, other.name, 'the two partitions are routed by different nodes');

  const a = await agent(browser, cluster, 'xiaoming');
  const v = await visitor(browser, cluster, 'pt-v', '分区访客');
  // No department: `default` routes the page and asks; the pick hands it to the other partition.
  await v.waitForSelector('#departments:not([hidden]) [data-department="presales"]', { timeout: 15000 });
  await visitorSays(v, '第一句：想买');
  await v.click('#departments [data-department="presales"]');
  await waitingCount(a, 1);
  await answerOldest(a, true);
  await chatHas(a, '第一句：想买');
  await visitorSaw(v, '为您服务');
  await agentSays(a, '回复一：您好');
  await visitorSaw(v, '回复一：您好');

  owner.proc.kill('SIGKILL');
  const killedAt = Date.now();
  await visitorSays(v, '此刻一：在吗');
  await agentSays(a, '此刻二：在的');
  const [toAgent, toCustomer] = await bothArrive(a, v, '此刻一：在吗', '此刻二：在的', killedAt);
  console.log(`# partitioned failover: a message sent as its partition's node was killed arrived after ${toAgent} ms (customer → agent), ${toCustomer} ms (agent → customer)`);
  const now = await cluster.health();
  const survivor = cluster.nodes.find((n, i) => n !== owner && now[i]?.partitions?.includes(PARTITION));
  assert.ok(survivor, 'another node routes the partition');

  await visitorSays(v, '第二句：还在吗');
  await chatHas(a, '第二句：还在吗');
  await agentSays(a, '回复二：在的');
  await visitorSaw(v, '回复二：在的');
  await eachShownOnce(a, v, ['第一句：想买', '此刻一：在吗', '第二句：还在吗'], ['回复一：您好', '此刻二：在的', '回复二：在的']);
  assert.deepEqual(a.errors, []);

  // The supervisor (no department: `default`, another partition) sees xiaoming's conversation on
  // the board; whispering works from here, watching and joining only from the partition's own.
  const sup = await agent(browser, cluster, 'zhuguan');
  await sup.waitForSelector('#board-btn:not([hidden])', { timeout: 15000 });
  await sup.click('#board-btn');
  const row = sup.locator('#kefu-board tr[data-kf-id="xiaoming"]');
  await row.locator('li', { hasText: '分区访客' }).waitFor({ timeout: 15000 });
  assert.equal(await row.locator('button', { hasText: '悄悄话' }).count(), 1);
  assert.equal(await row.locator('button', { hasText: '监听' }).count(), 0, 'watching is for a console the partition serves');
  assert.equal(await row.locator('button', { hasText: '加入' }).count(), 0);
  assert.deepEqual(sup.errors, []);
  await sup.context().close();
  await a.context().close();
  await v.context().close();
});
