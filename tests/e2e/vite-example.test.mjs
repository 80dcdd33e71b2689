// The Vite example (examples/vite, built by scripts/test-package.sh) talks to a real server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ServerProcess, launch, login, openPage, visitor, visitorSays, visitorSaw, freePort, sleep, ROOT } from './harness.mjs';

const DIST = ROOT + 'examples/vite/dist/index.html';
let server;
let browser;
let preview;
let base;

before(async () => {
  server = await ServerProcess.start();
  browser = await launch();
  if (!existsSync(DIST)) return;
  const port = await freePort();
  preview = spawn(ROOT + 'examples/vite/node_modules/.bin/vite', ['preview', '--port', String(port), '--strictPort', '--host', '127.0.0.1'],
    { cwd: ROOT + 'examples/vite', stdio: 'ignore' });
  base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(base)).ok) break; } catch (_) { /* starting */ }
    await sleep(100);
  }
});
after(async () => { preview?.kill(); await browser?.close(); await server?.stop(); });

test('the Vite build of the example page connects, accepts and answers', { skip: !existsSync(DIST) && 'run scripts/test-package.sh first' }, async () => {
  const token = await login(server, 'vite-agent');
  const page = await openPage(browser, `${base}/?server=${encodeURIComponent(server.base)}&kfId=vite-agent&token=${token}`);
  await page.waitForFunction(() => document.getElementById('state').textContent === 'open', null, { timeout: 15000 });
  const v = await visitor(browser, server, 'vite-v', 'Vite customer');
  await visitorSaw(v, '为您服务');
  await visitorSays(v, 'ping from vite test');
  await visitorSaw(v, 'Got it: ping from vite test');
  assert.deepEqual(page.errors, []);
});
