// A 3-node cluster for the browser tests: kefu-server nodes on one PostgreSQL schema and a private
// nats-server, HAProxy in front (cluster.test.mjs, partitions.test.mjs). Needs KEFU_TEST_PG (a
// PostgreSQL URL; scripts/test-browser.sh starts one), nats-server and haproxy (scripts/setup.sh).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, tempDir, sleep, ROOT } from './harness.mjs';

async function up(url) {
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(url)).status === 200) return; } catch (_) { /* not yet */ }
    await sleep(50);
  }
  throw new Error(url + ' did not come up');
}

/// Starts the cluster (demo mode; `extra`: more flags for every node) and waits until `ready`
/// (given each node's /healthz, or null for one that does not answer) holds.
export async function startCluster({ extra = [], ready }) {
  assert.ok(process.env.KEFU_TEST_PG, 'KEFU_TEST_PG: a PostgreSQL URL (scripts/test-browser.sh sets it)');
  const procs = [];
  const run = (cmd, args) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    p.log = '';
    p.stderr.on('data', (d) => { p.log += d; });
    procs.push(p);
    return p;
  };
  const dir = tempDir('kefu-e2e-cluster-');
  const natsPort = await freePort();
  run('nats-server', ['-a', '127.0.0.1', '-p', String(natsPort)]);
  const store = `${process.env.KEFU_TEST_PG}?options=-c%20search_path%3De2e_${process.pid}_${Date.now()}`;
  const nodes = [];
  for (let i = 1; i <= 3; i++) {
    const port = await freePort();
    const proc = run(join(ROOT, 'target/debug/kefu-server'), ['--bind', `127.0.0.1:${port}`, '--store', store,
      '--nats', `nats://127.0.0.1:${natsPort}`, '--node-id', `n${i}`, '--data-dir', join(dir, `n${i}`), '--www-dir', join(ROOT, 'www'),
      '--open-registration', '--demo', '--trusted-proxies', '127.0.0.1', '--offer-silent-visitors', ...extra]);
    nodes.push({ name: `n${i}`, port, proc });
  }
  const lb = await freePort();
  const servers = nodes.map((n) => `    server ${n.name} 127.0.0.1:${n.port} check inter 300ms fall 2 rise 1`).join('\n');
  // Partitioned: each socket to the node that routes it, as scripts/run-cluster.sh sets it up,
  // and one sent to an owner that just died retried on another node at once (`redispatch 1`).
  const affinity = extra.includes('--partitioned');
  const lua = join(ROOT, 'server/haproxy/kefu-affinity.lua');
  const pick = nodes.map((n) => `    use-server ${n.name} if { var(txn.kefu_node) -m str ${n.name} }\n`).join('');
  writeFileSync(join(dir, 'haproxy.cfg'), `${affinity ? `global\n    lua-load ${lua}\n` : ''}defaults
    mode http
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    option forwardfor
    retries 3
    option redispatch${affinity ? ' 1' : ''}
frontend kefu
    bind 127.0.0.1:${lb}
${affinity ? '    http-request deny if { path_beg /cluster/ }\n    http-request lua.kefu_owner if { path_beg /websocket/ }\n' : ''}    default_backend nodes
backend nodes
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
${affinity ? pick : ''}${servers}
`);
  run('haproxy', ['-f', join(dir, 'haproxy.cfg'), '-db']);
  const cluster = {
    base: `http://127.0.0.1:${lb}`,
    nodes,
    /// Each node's /healthz (null for one that does not answer).
    async health() {
      return Promise.all(nodes.map(async (n) => {
        try { return await (await fetch(`http://127.0.0.1:${n.port}/healthz`)).json(); } catch (_) { return null; }
      }));
    },
    stop() { for (const p of procs) p.kill('SIGKILL'); },
  };
  for (const n of nodes) await up(`http://127.0.0.1:${n.port}/healthz`);
  await up(`${cluster.base}/healthz`);
  for (let i = 0; i < 400 && !ready(await cluster.health()); i++) await sleep(50);
  assert.ok(ready(await cluster.health()), 'the cluster got ready');
  return cluster;
}

const AGENT_LINES = '.layim-chat-main li';
const VISITOR_LINES = '#log li';

/// Both sides write at the moment a node is killed (at `killedAt`): how many ms after it the
/// customer's line reached the agent's console and the agent's the customer's page.
export async function bothArrive(agentPage, visitorPage, toAgent, toCustomer, killedAt) {
  const arrived = (page, sel, t) => page.waitForFunction(([s, t]) => [...document.querySelectorAll(s)].some((l) => l.textContent.includes(t)), [sel, t], { timeout: 20000 }).then(() => Date.now() - killedAt);
  return Promise.all([arrived(agentPage, AGENT_LINES, toAgent), arrived(visitorPage, VISITOR_LINES, toCustomer)]);
}

/// Asserts that each of the customer's `fromCustomer` lines shows once in the agent's console,
/// and each of the agent's `fromAgent` lines once on the customer's page.
export async function eachShownOnce(agentPage, visitorPage, fromCustomer, fromAgent) {
  const count = (page, sel, text) => page.evaluate(([s, t]) => [...document.querySelectorAll(s)].filter((l) => l.textContent.includes(t)).length, [sel, text]);
  for (const t of fromCustomer) assert.equal(await count(agentPage, AGENT_LINES, t), 1, t);
  for (const t of fromAgent) assert.equal(await count(visitorPage, VISITOR_LINES, t), 1, t);
}
