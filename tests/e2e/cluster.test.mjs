// The console and the visitor page through a 3-node cluster (PostgreSQL + NATS, HAProxy in front),
// unchanged: a conversation, then the routing node is SIGKILLed mid-conversation and both sides
// carry on through the other nodes, every message shown once. Needs KEFU_TEST_PG (a PostgreSQL
// URL; scripts/test-browser.sh starts one), nats-server and haproxy (scripts/setup.sh).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  freePort, tempDir, launch, agent, visitor, waitingCount, answerOldest, visitorSays, visitorSaw, agentSays, chatHas, sleep, ROOT,
} from './harness.mjs';

const PG = process.env.KEFU_TEST_PG;
let browser;
const procs = [];
const nodes = [];
let cluster;

async function up(url) {
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(url)).status === 200) return; } catch (_) { /* not yet */ }
    await sleep(50);
  }
  throw new Error(url + ' did not come up');
}

function run(cmd, args) {
  const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  p.log = '';
  p.stderr.on('data', (d) => { p.log += d; });
  procs.push(p);
  return p;
}

before(async () => {
  assert.ok(PG, 'KEFU_TEST_PG: a PostgreSQL URL (scripts/test-browser.sh sets it)');
  const dir = tempDir('kefu-e2e-cluster-');
  const natsPort = await freePort();
  run('nats-server', ['-a', '127.0.0.1', '-p', String(natsPort)]);
  const store = `${PG}?options=-c%20search_path%3De2e_${process.pid}_${Date.now()}`;
  for (let i = 1; i <= 3; i++) {
    const port = await freePort();
    const proc = run(join(ROOT, 'target/debug/kefu-server'), ['--bind', `127.0.0.1:${port}`, '--store', store,
      '--nats', `nats://127.0.0.1:${natsPort}`, '--node-id', `n${i}`, '--data-dir', join(dir, `n${i}`), '--www-dir', join(ROOT, 'www'),
      '--open-registration', '--demo', '--trusted-proxies', '127.0.0.1', '--offer-silent-visitors']);
    nodes.push({ name: `n${i}`, port, proc });
  }
  const lb = await freePort();
  const servers = nodes.map((n) => `    server ${n.name} 127.0.0.1:${n.port} check inter 300ms fall 2 rise 1`).join('\n');
  writeFileSync(join(dir, 'haproxy.cfg'), `defaults
    mode http
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    option forwardfor
    retries 3
    option redispatch
frontend kefu
    bind 127.0.0.1:${lb}
    default_backend nodes
backend nodes
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
${servers}
`);
  run('haproxy', ['-f', join(dir, 'haproxy.cfg'), '-db']);
  cluster = { base: `http://127.0.0.1:${lb}` };
  for (const n of nodes) await up(`http://127.0.0.1:${n.port}/healthz`);
  await up(`${cluster.base}/healthz`);
  for (let i = 0; i < 200 && !(await routingNode()); i++) await sleep(50);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  for (const p of procs) p.kill('SIGKILL');
});

async function routingNode() {
  for (const n of nodes) {
    try {
      const h = await (await fetch(`http://127.0.0.1:${n.port}/healthz`)).json();
      if (h.routing) return n;
    } catch (_) { /* killed */ }
  }
  return null;
}

const count = (page, sel, text) => page.evaluate(([s, t]) => [...document.querySelectorAll(s)].filter((l) => l.textContent.includes(t)).length, [sel, text]);

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
  const arrived = (page, sel, t) => page.waitForFunction(([s, t]) => [...document.querySelectorAll(s)].some((l) => l.textContent.includes(t)), [sel, t], { timeout: 20000 }).then(() => Date.now() - killedAt);
  await visitorSays(v, '此刻一：在吗');
  await agentSays(a, '此刻二：在的');
  const [toAgent, toCustomer] = await Promise.all([arrived(a, '.layim-chat-main li', '此刻一：在吗'), arrived(v, '#log li', '此刻二：在的')]);
  console.log(`# failover: a message sent as the routing node was killed arrived after ${toAgent} ms (customer → agent), ${toCustomer} ms (agent → customer)`);
  await a.waitForSelector('#conn-chip[data-state="open"]', { timeout: 20000 });
  await v.waitForSelector('#status[data-state="open"]', { timeout: 20000 });
  assert.notEqual((await routingNode())?.name ?? router.name, router.name, 'another node routes');

  await visitorSays(v, '第二句：还在吗');
  await chatHas(a, '第二句：还在吗');
  await agentSays(a, '回复二：在的');
  await visitorSaw(v, '回复二：在的');
  for (const t of ['第一句：订单没到', '此刻一：在吗', '第二句：还在吗']) assert.equal(await count(a, '.layim-chat-main li', t), 1, t);
  for (const t of ['回复一：我来查', '此刻二：在的', '回复二：在的']) assert.equal(await count(v, '#log li', t), 1, t);
  assert.deepEqual(a.errors, []);
  await a.context().close();
  await v.context().close();
});
