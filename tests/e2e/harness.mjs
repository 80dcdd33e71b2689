// Shared harness for the console's browser tests: a real kefu-server process on a free port with
// its own data dir, headless Chromium through playwright-core, and page helpers.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const ROOT = new URL('../../', import.meta.url).pathname;

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Servers this process started and has not seen exit: killed when it exits. */
const LIVE = new Set();
/** Data dirs made by `tempDir`: removed when the process exits (a run leaves nothing in /tmp). */
const DIRS = new Set();
process.on('exit', () => {
  for (const p of LIVE) p.kill('SIGKILL');
  if (process.env.KEFU_KEEP_E2E_DATA) return;
  for (const d of DIRS) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory under the system's temp dir, removed when this test file's process exits. */
export function tempDir(prefix = 'kefu-e2e-') {
  const d = mkdtempSync(join(tmpdir(), prefix));
  DIRS.add(d);
  return d;
}

export class ServerProcess {
  constructor(port, dataDir, extra = []) {
    this.port = port;
    this.dataDir = dataDir;
    this.extra = extra;
    this.base = `http://127.0.0.1:${port}`;
  }

  static async start(extra = []) {
    const s = new ServerProcess(await freePort(), tempDir(), extra);
    await s.spawn();
    return s;
  }

  async spawn() {
    const bin = process.env.KEFU_SERVER_BIN || join(ROOT, 'target/debug/kefu-server');
    this.proc = spawn(bin, ['--bind', `127.0.0.1:${this.port}`, '--data-dir', this.dataDir, '--www-dir', join(ROOT, 'www'),
      '--open-registration', '--demo', '--test-hooks', '--offer-silent-visitors', ...this.extra], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.log = '';
    this.proc.stderr.on('data', (d) => { this.log += d; });
    // A test that fails before stopping its own server must not keep the file's process (and so
    // the whole run) waiting: the server does not hold the event loop, and dies with the process.
    this.proc.unref();
    this.proc.stderr.unref?.();
    LIVE.add(this.proc);
    this.proc.once('exit', () => LIVE.delete(this.proc));
    for (let i = 0; i < 200; i++) {
      try {
        const r = await fetch(this.base + '/agents/online');
        if (r.status) return; // any answer (401 with --auth-token) means it is up
      } catch (_) { /* not up yet */ }
      await sleep(50);
    }
    throw new Error('kefu-server did not start:\n' + this.log);
  }

  async kill() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const done = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGKILL');
    await done;
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const done = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    await done;
  }

  /// POST as the seeded supervisor (demo mode: its password is its id).
  async post(path, body) {
    const token = await login(this, 'zhuguan');
    const r = await fetch(this.base + path, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token }, body: JSON.stringify(body),
    });
    return r.json();
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--autoplay-policy=no-user-gesture-required'],
  });
}

// Counts anything a hostile string could make run: dialogs, and calls to a canary the payloads use.
const TRAP = `
  window.__xss = [];
  for (const k of ['alert', 'confirm', 'prompt']) window[k] = (m) => { window.__xss.push(k + ':' + m); };
  window.pwn = (m) => window.__xss.push('pwn:' + m);
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) =>
    window.__csp.push(e.violatedDirective + ' ' + e.sourceFile.replace(location.origin, '') + ':' + e.lineNumber));
`;

/// A page in a fresh context (`options`: Playwright context options, e.g. `bypassCSP`).
export async function openPage(browser, url, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 }, ...options });
  await context.addInitScript(TRAP);
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('dialog', (d) => { page.errors.push('dialog: ' + d.message()); d.dismiss().catch(() => {}); });
  await page.goto(url);
  return page;
}

/// A console signed in through its form (the server runs with --open-registration: an unknown
/// agent is registered with the password it gives; here, its id).
export async function agent(browser, server, kfId, extra = '', options = {}) {
  const page = await openPage(browser, `${server.base}/?kfId=${encodeURIComponent(kfId)}${extra}`, options);
  await signInThroughForm(page, kfId);
  await page.waitForSelector('#conn-chip[data-state="open"]', { timeout: 15000 });
  return page;
}

/// Fills and submits the console's sign-in form (password: the id).
export async function signInThroughForm(page, kfId) {
  await page.waitForSelector('#login-form input[name="password"]', { state: 'visible', timeout: 15000 });
  await page.fill('#login-form input[name="password"]', kfId);
  await page.click('#login-form button[type="submit"]');
}

/// A token for agent `kfId` from POST /auth/login (password: the id), for pages given `?token=`.
export async function login(server, kfId) {
  const r = await fetch(server.base + '/auth/login', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kfId, password: kfId }),
  });
  const json = await r.json();
  if (json.code !== 0) throw new Error('login ' + kfId + ': ' + json.msg);
  return json.data.token;
}

export async function visitor(browser, server, userId, userName) {
  const page = await openPage(browser, `${server.base}/visitor.html?userId=${encodeURIComponent(userId)}&userName=${encodeURIComponent(userName)}`);
  await page.waitForSelector('#status[data-state="open"]', { timeout: 15000 });
  return page;
}

export async function waitingCount(page, n) {
  await page.waitForFunction((n) => document.getElementById('waiting-count').textContent === String(n), n, { timeout: 10000 });
}

/// Clicks 接入 and answers the confirmation: btn0 accepts, btn1 declines.
export async function answerOldest(page, accept = true) {
  await page.click('#openDialog');
  await page.click(accept ? '.layui-layer-dialog .layui-layer-btn0' : '.layui-layer-dialog .layui-layer-btn1');
}

export async function visitorSays(page, text) {
  await page.fill('#text', text);
  await page.click('#form button[type=submit]');
}

export async function visitorSaw(page, text) {
  await page.waitForFunction((t) => [...document.querySelectorAll('#log li')].some((l) => l.textContent.includes(t)), text, { timeout: 10000 });
}

export async function agentSays(page, text) {
  await page.fill('.layim-chat-textarea textarea', text);
  await page.click('.layim-send-btn');
}

export async function chatHas(page, text) {
  await page.waitForFunction((t) => [...document.querySelectorAll('.layim-chat-main li')].some((l) => l.textContent.includes(t)), text, { timeout: 10000 });
}

export async function xss(page) {
  return page.evaluate(() => window.__xss);
}

/// CSP violations on the page, minus the one LayIM's bundled jQuery 1.12 causes on purpose: its
/// `focusin` support probe sets an `onfocusin` attribute on a detached div (blocked, never run).
export async function cspViolations(page) {
  const all = await page.evaluate(() => window.__csp);
  return all.filter((v) => !/^script-src-attr \/vendor\/layui\/lay\/modules\/jquery\.js:\d+$/.test(v));
}

/// Runs `fn(server, browser)` against a fresh reference server and Chromium, and closes both after
/// (the benchmark and screenshot scripts).
export async function withServerAndBrowser(fn) {
  const server = await ServerProcess.start();
  const browser = await launch();
  try {
    return await fn(server, browser);
  } catch (e) {
    // Printed here: the clean-up below can end the process (exit code 13) before a caller sees it.
    console.error(e);
    process.exitCode = 1;
    throw e;
  } finally {
    await browser.close();
    await server.stop();
  }
}
