// Prints the start-up benchmark (scripts/bench.sh runs it): navigation start → each phase, for the
// console and for an original-style page (LayIM + the chatDialog.js logic), loaded alternately in
// the same browser, warm cache, RUNS loads each (median and p99) both ways an agent opens it: in a
// new tab, and reloading the tab it is in.
import { withServerAndBrowser, signInThroughForm, login } from './harness.mjs';

const RUNS = Number(process.env.RUNS || 30);
const pct = (a, p) => a.slice().sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(p * a.length))];
// The console's phases in the order they usually come (console/early.js, main.js, bridge.js, boot.js).
const PHASES = ['early', 'begin-loaded', 'wasm-ready', 'lock-asked', 'connect-called', 'lock-granted', 'socket-created', 'socket-open', 'layim-loaded', 'layim-ready'];
const READY = () => performance.getEntriesByName('kefu:socket-open').length && performance.getEntriesByName('kefu:layim-ready').length;
const MARKS = () => Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name.replace('kefu:', ''), m.startTime]));

await withServerAndBrowser(async (server, browser) => {
  const ctx = await browser.newContext();
  // Sign in once (demo password); every later load reuses the saved sign-in, as an agent's would.
  const first = await ctx.newPage();
  await first.goto(server.base + '/?kfId=xiaoming');
  await signInThroughForm(first, 'xiaoming');
  await first.waitForSelector('#conn-chip[data-state="open"]', { timeout: 20000 });
  await first.close();
  const pages = { console: '/?kfId=xiaoming', original: '/bench/original.html?kfId=xiaohong&token=' + encodeURIComponent(await login(server, 'xiaohong')) };
  let wasmType = '';
  ctx.on('response', (r) => { if (r.url().endsWith('.wasm')) wasmType = r.headers()['content-type']; });
  for (const how of ['new tab', 'reload']) {
    const times = { console: [], original: [] };
    const tabs = {};
    for (let i = 0; i <= RUNS; i++) {
      for (const [name, path] of Object.entries(pages)) {
        let page = tabs[name];
        if (how === 'new tab' || !page) {
          if (page) await page.close();
          page = tabs[name] = await ctx.newPage();
          await page.goto(server.base + path);
        } else {
          await page.reload();
        }
        await page.waitForFunction(READY, null, { timeout: 20000 });
        const t = await page.evaluate(MARKS);
        t.both = Math.max(t['socket-open'], t['layim-ready']);
        if (i > 0) times[name].push(t); // run 0 fills the cache
      }
    }
    for (const page of Object.values(tabs)) await page.close();
    const stat = (name, phase) => {
      const v = times[name].map((t) => t[phase]).filter((x) => x !== undefined);
      return `${pct(v, 0.5).toFixed(0)} / ${pct(v, 0.99).toFixed(0)}`;
    };
    console.log(`| 4, start-up, ${how} (navigation start → ms, median / p99 of ${RUNS}) | console: ${[...PHASES, 'both'].map((p) => `${p} ${stat('console', p)}`).join(', ')} | original-style page: socket-open ${stat('original', 'socket-open')}, layim-ready ${stat('original', 'layim-ready')}, both ${stat('original', 'both')} |`);
  }
  console.log(`| 4 | wasm served as ${wasmType} (streaming compile) |`);
});
