// Prints the Chromium side-by-side decode + dispatch benchmark (scripts/bench.sh runs it).
import { withServerAndBrowser, openPage, login } from './harness.mjs';

await withServerAndBrowser(async (server, browser) => {
  const token = await login(server, 'bench'); // registered on first login (the test server's --open-registration)
  const page = await openPage(browser, `${server.base}/bench/decode.html?n=${process.env.N || 100000}&token=${encodeURIComponent(token)}`);
  await page.waitForFunction(() => window.benchResult, null, { timeout: 300000 });
  const r = await page.evaluate(() => window.benchResult);
  const ratio = (w, j) => (w / j).toFixed(2) + '×';
  console.log(`| decode + dispatch in Chromium (${r.frames} mixed frames as MessageEvents, median of 9 rounds taken by turns / slowest) | wasm: ${r.wasm.median} ns/frame (${r.wasm.p99}) | JS baseline: ${r.js.median} ns/frame (${r.js.p99}) | ${ratio(r.wasm.median, r.js.median)} (budget ≤ 1.5×) |`);
  console.log(`| the same with the JS baseline's heartbeat timers live (the original clears two timeouts and sets one per frame; above they are stubbed out) | wasm: ${r.live.wasm.median} ns/frame | JS baseline: ${r.live.js.median} ns/frame | ${ratio(r.live.wasm.median, r.live.js.median)} |`);
  if (r.text) console.log(`| the same, issue 16's one-crossing variant with serde_json (text copied in, parsed in wasm, payload parsed lazily) | ${r.text.median} ns/frame (${r.text.p99}) | |`);
  if (r.mini) console.log(`| the same, one-crossing variant with miniserde | ${r.mini.median} ns/frame (${r.mini.p99}) | |`);
  for (const [status, k] of Object.entries(r.kinds)) {
    const variants = (k.text === null ? '' : ` serde_json variant: ${k.text} ns/frame |`) + (k.mini === null ? '' : ` miniserde variant: ${k.mini} ns/frame |`);
    console.log(`| status ${status} only | wasm: ${k.wasm} ns/frame | JS baseline: ${k.js} ns/frame | ${ratio(k.wasm, k.js)} |${variants}`);
  }
});
