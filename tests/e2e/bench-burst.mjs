// Prints the 1 000-message burst benchmark (scripts/bench.sh runs it): a customer's messages arrive
// back to back at an agent's console (as a replay after a reconnect does) and are rendered with
// LayIM. Long Tasks API in Chromium: the longest main-thread task and how long until all are shown.
import { withServerAndBrowser, agent, visitor, waitingCount, answerOldest, sleep } from './harness.mjs';

const N = Number(process.env.BURST || 1000);
await withServerAndBrowser(async (server, browser) => {
  const a = await agent(browser, server, 'xiaoming');
  const v = await visitor(browser, server, 'burst-customer', '连发');
  await waitingCount(a, 1);
  await answerOldest(a);
  await a.waitForFunction(() => document.querySelector('.layim-chat-username'), null, { timeout: 10000 });
  await a.evaluate(() => {
    window.longTasks = [];
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.longTasks.push(e.duration); }).observe({ type: 'longtask' });
  });
  await sleep(500);
  const frames = Array.from({ length: N }, (_, i) => JSON.stringify({
    status: 1,
    data: { userId: 'burst-customer', userName: '连发', kfId: 'xiaoming', content: '第 ' + (i + 1) + ' 条：我的订单还没到，请帮我查一下 <b>急</b>', createTime: Date.now() },
  }));
  // Each frame is handed to the live session in its own task, back to back: what the page sees when
  // the socket delivers a replay (the server is not what this measures; its figures are item 7).
  const { t0, pushedAt } = await a.evaluate((frames) => new Promise((done) => {
    const t0 = performance.now();
    frames.forEach((f, i) => setTimeout(() => {
      window.kefu.session.injectFrame(f);
      if (i === frames.length - 1) done({ t0, pushedAt: performance.now() });
    }, 0));
  }), frames);
  await a.waitForFunction((n) => window.kefu.rendered >= n, N, { timeout: 300000, polling: 50 });
  const r = await a.evaluate(() => ({ last: window.kefu.lastRenderAt, tasks: window.longTasks.slice() }));
  const longest = Math.max(0, ...r.tasks);
  console.log(`| burst: ${N} customer messages rendered with LayIM | all shown ${Math.round(r.last - t0)} ms after the first frame arrived (frames delivered over ${Math.round(pushedAt - t0)} ms); ${r.tasks.length} long tasks, longest ${Math.round(longest)} ms |`);
  await v.close();
});
