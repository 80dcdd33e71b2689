// Prints the Chromium side-by-side decode + dispatch benchmark (scripts/bench.sh runs it).
import { withServerAndBrowser, openPage } from './harness.mjs';

await withServerAndBrowser(async (server, browser) => {
  const page = await openPage(browser, `${server.base}/bench/decode.html?n=${process.env.N || 100000}`);
  await page.waitForFunction(() => window.benchResult, null, { timeout: 300000 });
  const r = await page.evaluate(() => window.benchResult);
  console.log(`| decode + dispatch in Chromium (${r.frames} mixed frames, median of 5 runs / slowest) | wasm: ${r.wasm.median} ns/frame (${r.wasm.p99}) | JS baseline: ${r.js.median} ns/frame (${r.js.p99}) |`);
});
