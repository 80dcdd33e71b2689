// Bench item 1b (scripts/bench.sh): how small a module loaded up front could get if everything the
// console does not run before it is ready were split off and fetched later (issue 28's "split or
// lazily instantiated"). Chromium compiles wasm functions lazily, on their first call; with V8
// tracing each compilation, the functions compiled from navigation until 1 s after the console's
// ready marks are the ones start-up runs. Their bodies plus every non-code section of the shipped module, gzipped,
// are a lower bound for such a first module (a real split adds placeholders and the exports the
// second module imports). Prints one table row.
import { withServerAndBrowser, agent, launch, tempDir, ROOT } from './harness.mjs';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const WASM = path.join(ROOT, 'www/pkg/kefu_agent_bg.wasm');
const GLUE = path.join(ROOT, 'www/pkg/kefu_agent.js');
const dir = tempDir('kefu-bench-split-');
const log = path.join(dir, 'v8.log');
const wrapper = path.join(dir, 'chromium');
const real = process.env.CHROMIUM || '/usr/bin/chromium';
fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${real} --js-flags="--wasm-lazy-compilation --no-wasm-tier-up --trace-wasm-compilation-times" "$@" >>${log}\n`, { mode: 0o755 });
process.env.CHROMIUM = wrapper;
const mark = (s) => fs.appendFileSync(log, `\n@@ ${s}\n`);

/** Function bodies (by their index among the module's own functions) and the module's other bytes. */
function readModule(buf) {
  let p = 8;
  const leb = () => { let r = 0, s = 0, b; do { b = buf[p++]; r += (b & 0x7f) * 2 ** s; s += 7; } while (b & 0x80); return r; };
  const bodies = []; const other = [];
  while (p < buf.length) {
    const id = buf[p++], size = leb(), start = p;
    if (id === 10) {
      for (let n = leb(); n > 0; n--) { const s = leb(); bodies.push(buf.subarray(p, p + s)); p += s; }
    } else other.push(buf.subarray(start, start + size));
    p = start + size;
  }
  return { bodies, other: Buffer.concat(other) };
}

// Playwright's pipes to this browser do not keep Node's loop alive while it closes (through the
// wrapper): without a timer the process could end before the close settles.
const alive = setInterval(() => {}, 1000);
await withServerAndBrowser(async (server, browser) => {
  // An agent opening the console again: signed in through the form in one browser (which leaves
  // the saved sign-in and the session's resume point), then the page opened in a fresh browser with
  // that storage, so this page is the first there to compile the module (V8 shares a compiled
  // module within a process: an earlier page's compilations would be missing from the trace).
  const signedIn = await agent(browser, server, 'xiaoming');
  const storageState = await signedIn.context().storageState();
  await signedIn.close();
  const fresh = await launch();
  const ctx = await fresh.newContext({ storageState });
  const page = await ctx.newPage();
  mark('start');
  await page.goto(server.base + '/?kfId=xiaoming');
  await page.waitForFunction(() => performance.getEntriesByName('kefu:socket-open').length && performance.getEntriesByName('kefu:layim-ready').length, null, { timeout: 20000 });
  await new Promise((r) => setTimeout(r, 1000)); // the server's first frames (hello, queue, presence)
  mark('settled');
  await fresh.close();
});

const text = fs.readFileSync(log, 'utf8');
clearInterval(alive);
const wasm = fs.readFileSync(WASM);
const { bodies, other } = readModule(wasm);
// Function indices count the imported functions first: their number from the engine's own reading
// of the module (a hand-written import reader once skipped names wrongly and shifted every index).
const imported = WebAssembly.Module.imports(new WebAssembly.Module(wasm)).filter((i) => i.kind === 'function').length;
const bytes = (list) => list.reduce((n, b) => n + b.length, 0);
const gz = (b) => zlib.gzipSync(b, { level: 9 }).length;
const glue = gz(fs.readFileSync(GLUE));
// Up to 1 s after ready: the server's first frames (hello, queue, presence) are handled by then.
const run = text.slice(text.indexOf('@@ start'), text.indexOf('@@ settled'));
const used = new Set([...run.matchAll(/Compiled function \S+#(\d+) using/g)].map((m) => Number(m[1])));
const keep = bodies.filter((_, i) => used.has(i + imported)), rest = bodies.filter((_, i) => !used.has(i + imported));
if (keep.length === 0) throw new Error('no wasm function compiles were traced: is --trace-wasm-compilation-times still a V8 flag?');
const first = gz(Buffer.concat([other, ...keep]));
console.log(`| 1b | what start-up runs (a signed-in agent opens the console, until 1 s after it is ready): ${keep.length} of ${bodies.length} wasm functions, ${bytes(keep)} of ${bytes(keep) + bytes(rest)} code bytes | a first module of only those (+ every other section) ≥ ${first} B gzip, + glue ${glue} B = **≥ ${first + glue} B gzip** up front; the rest ${gz(Buffer.concat(rest))} B gzip | budget ≤ 40 KB up front |`);
