// The console and the visitor page through a 3-node cluster (PostgreSQL + NATS, HAProxy in front),
// unchanged: a conversation, then the routing node is SIGKILLed mid-conversation and both sides
// carry on through the other nodes, every message shown once. Needs KEFU_TEST_PG (a PostgreSQL
// URL; scripts/test-browser.sh starts one), nats-server and haproxy (scripts/setup.sh).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, agent, visitor, waitingCount, answerOldest, visitorSays, visitorSaw, agentSays, chatHas,
} from './harness.mjs';
import { bothArrive, eachShownOnce, startCluster } from './cluster-harness.mjs';

let browser;
let cluster;

before(async () => {
  cluster = await startCluster({ ready: (health) => health.some((h) => h?.routing) });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  cluster?.stop();
});

async function routingNode() {
  const health = await cluster.health();
  return cluster.nodes.find((_, i) => health[i]?.routing) ?? null;
}

test('through the cluster, a conversation survives the routing node being killed', async () => {
  const a = await agent(browser, cluster, 'cl-agent');
  const v = await visitor(browser, cluster, 'cl-v', '集群访客');
  await waitingCount(a, 1);
  await answerOldest(a, true);
  await visitorSaw(v, '为您服务');
  await visitorSays(v, '第一句：订单没到');
  await chatHas(a, '第一句：订单没到');
  await agentSays(a, '回复一：我来查');
  await visitorSaw(v, '回复一：我来查');

  const router = await routingNode();
  assert.ok(router, 'a node routes');
  router.proc.kill('SIGKILL');
  // Each side writes at the moment the routing node dies: the frames reach no router; the gateways
  // close the sockets it served (1012) as soon as another node routes, both pages come back at
  // once through HAProxy and re-send what was not acknowledged.
  const killedAt = Date.now();
  await visitorSays(v, '此刻一：在吗');
  await agentSays(a, '此刻二：在的');
  const [toAgent, toCustomer] = await bothArrive(a, v, '此刻一：在吗', '此刻二：在的', killedAt);
  console.log(`# failover: a message sent as the routing node was killed arrived after ${toAgent} ms (customer → agent), ${toCustomer} ms (agent → customer)`);
  await a.waitForSelector('#conn-chip[data-state="open"]', { timeout: 20000 });
  await v.waitForSelector('#status[data-state="open"]', { timeout: 20000 });
  assert.notEqual((await routingNode())?.name ?? router.name, router.name, 'another node routes');

  await visitorSays(v, '第二句：还在吗');
  await chatHas(a, '第二句：还在吗');
  await agentSays(a, '回复二：在的');
  await visitorSaw(v, '回复二：在的');
  await eachShownOnce(a, v, ['第一句：订单没到', '此刻一：在吗', '第二句：还在吗'], ['回复一：我来查', '此刻二：在的', '回复二：在的']);
  assert.deepEqual(a.errors, []);
  await a.context().close();
  await v.context().close();
});
