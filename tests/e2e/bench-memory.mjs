// Prints the memory-over-a-shift benchmark (scripts/bench.sh runs it): 10 000 reconnect cycles and
// 100 000 frames through one AgentSession in Chromium; JS heap (CDP Performance.getMetrics) and
// wasm memory after a forced GC, before and after.
import { withServerAndBrowser, openPage, login } from './harness.mjs';

const CYCLES = Number(process.env.CYCLES || 10000);
const FRAMES = Number(process.env.FRAMES || 100000);
await withServerAndBrowser(async (server, browser) => {
  const token = await login(server, 'memory-bench'); // registered on first login (--open-registration)
  const page = await openPage(browser, `${server.base}/bench/memory.html?token=${encodeURIComponent(token)}`);
  await page.waitForFunction(() => window.benchReady, null, { timeout: 30000 });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const measure = async () => {
    for (let i = 0; i < 3; i++) await cdp.send('HeapProfiler.collectGarbage');
    const { metrics } = await cdp.send('Performance.getMetrics');
    const heap = metrics.find((m) => m.name === 'JSHeapUsedSize').value;
    return { heap, wasm: await page.evaluate(() => window.bench.wasmBytes()) };
  };
  // Warm-up: caches, interned names and the first growth of the wasm heap are not leaks.
  await page.evaluate(async () => { await window.bench.cycles(100); window.bench.frames(5000); });
  const before = await measure();
  const t = Date.now();
  const stats = await page.evaluate(async ({ c, f }) => {
    await window.bench.cycles(c);
    return window.bench.frames(f);
  }, { c: CYCLES, f: FRAMES });
  const secs = (Date.now() - t) / 1000;
  const after = await measure();
  const kib = (b) => (b / 1024).toFixed(0);
  console.log(`| memory: ${CYCLES} reconnect cycles + ${FRAMES} frames (${stats.socketsOpened} sockets opened, ${secs.toFixed(0)} s) | JS heap ${kib(before.heap)} → ${kib(after.heap)} KiB (${((after.heap - before.heap) / 1024).toFixed(0)} KiB), wasm memory ${kib(before.wasm)} → ${kib(after.wasm)} KiB, after forced GC |`);
});
