// Prints the start-up benchmark (scripts/bench.sh runs it): navigation start → socket open and →
// LayIM ready, for the console and for an original-style page (LayIM + the chatDialog.js logic),
// loaded alternately in the same browser, warm cache, median of RUNS.
import { withServerAndBrowser, signInThroughForm, login } from './harness.mjs';

const RUNS = Number(process.env.RUNS || 15);
const median = (a) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
await withServerAndBrowser(async (server, browser) => {
  const ctx = await browser.newContext();
  // Sign in once (demo password); every later load reuses the saved sign-in, as an agent's would.
  const first = await ctx.newPage();
  await first.goto(server.base + '/?kfId=xiaoming');
  await signInThroughForm(first, 'xiaoming');
  await first.waitForSelector('#conn-chip[data-state="open"]', { timeout: 20000 });
  await first.close();
  const pages = { console: '/?kfId=xiaoming', original: '/bench/original.html?kfId=xiaohong&token=' + encodeURIComponent(await login(server, 'xiaohong')) };
  const times = { console: [], original: [] };
  let wasmType = '';
  for (let i = 0; i <= RUNS; i++) {
    for (const [name, path] of Object.entries(pages)) {
      const page = await ctx.newPage();
      page.on('response', (r) => { if (r.url().endsWith('.wasm')) wasmType = r.headers()['content-type']; });
      await page.goto(server.base + path);
      await page.waitForFunction(() => performance.getEntriesByName('kefu:socket-open').length && performance.getEntriesByName('kefu:layim-ready').length, null, { timeout: 20000 });
      const t = await page.evaluate(() => ({
        open: performance.getEntriesByName('kefu:socket-open')[0].startTime,
        layim: performance.getEntriesByName('kefu:layim-ready')[0].startTime,
      }));
      if (i > 0) times[name].push(t); // run 0 fills the cache
      await page.close();
    }
  }
  const row = (name) => {
    const t = times[name];
    return `socket open ${median(t.map((x) => x.open)).toFixed(0)} ms, LayIM ready ${median(t.map((x) => x.layim)).toFixed(0)} ms, both ${median(t.map((x) => Math.max(x.open, x.layim))).toFixed(0)} ms`;
  };
  console.log(`| start-up (navigation start →, median of ${RUNS} warm loads) | console: ${row('console')} | original-style page: ${row('original')} | wasm served as ${wasmType} (streaming compile) |`);
});
