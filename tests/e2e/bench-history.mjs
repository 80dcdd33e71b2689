// Prints bench item 3d (issue 28, long conversations): a customer with 10 000 messages of history.
// (1) The agent opens the conversation in the console: LayIM's window keeps its short list, so
// opening it costs the same as with no history. (2) 查看更多记录 (chatlog.html): how long until the
// latest page shows, then scrolling back to the top 25 times (each loads the page before, by
// message id, and keeps the reader's place). Long Tasks API in Chromium for both.
import { withServerAndBrowser, agent, visitor, waitingCount, answerOldest, login, openPage, sleep } from './harness.mjs';

const N = Number(process.env.HISTORY || 10000);
const USER = 'long-customer';
const longTasks = () => {
  window.longTasks = [];
  new PerformanceObserver((l) => { for (const e of l.getEntries()) window.longTasks.push(e.duration); }).observe({ type: 'longtask', buffered: true });
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

await withServerAndBrowser(async (server, browser) => {
  // (1) The console: accept a new customer, then the returning one, and open each conversation
  // (the accept clicked in the page, timed until LayIM shows the window with the customer's name).
  // The customer's page claims its id before the history is seeded: a page may not take over an
  // id with history it does not own.
  const a = await agent(browser, server, 'xiaoming');
  await a.evaluate(longTasks);
  const open = async (userId, name) => {
    const v = await visitor(browser, server, userId, name);
    if (userId === USER) {
      const seeded = await fetch(`${server.base}/test/history?userId=${USER}&kfId=xiaoming&count=${N}`, { method: 'POST' }).then((r) => r.json());
      if (seeded.data?.stored !== N) throw new Error('seeding failed: ' + JSON.stringify(seeded));
    }
    await waitingCount(a, 1);
    await a.click('#openDialog');
    await sleep(300);
    const before = await a.evaluate(() => window.longTasks.length);
    const ms = await a.evaluate((name) => new Promise((done) => {
      const t = performance.now();
      document.querySelector('.layui-layer-dialog .layui-layer-btn0').click();
      const poll = () => ([...document.querySelectorAll('.layim-chat-username')].some((e) => e.textContent.includes(name)) ? done(performance.now() - t) : requestAnimationFrame(poll));
      poll();
    }), name);
    await sleep(300);
    const tasks = await a.evaluate((n) => window.longTasks.slice(n), before);
    return { v, ms, tasks };
  };
  const fresh = await open('new-customer', '新顾客');
  const old = await open(USER, '老顾客');
  const items = await a.evaluate(() => document.querySelectorAll('.layim-chat-main li').length);
  const row = (r) => `${Math.round(r.ms)} ms, ${r.tasks.length} long tasks (longest ${Math.round(Math.max(0, ...r.tasks))} ms)`;
  console.log(`| 3d | opening a conversation in the console (accept → window shown): a customer with ${N} messages of history / a new customer | ${row(old)} / ${row(fresh)}; ${items} items in LayIM's lists |`);

  // (2) The history page the window's 查看更多记录 opens.
  const token = await login(server, 'zhuguan');
  const lid = 'h' + Buffer.from(USER, 'utf8').toString('hex');
  const page = await openPage(browser, 'about:blank');
  await page.addInitScript(longTasks);
  await page.goto(`${server.base}/chatlog.html?id=${lid}&type=kefu&token=${encodeURIComponent(token)}`);
  await page.waitForFunction(() => window.kefuChatlog?.pages === 1, null, { timeout: 20000 });
  const first = await page.evaluate(() => ({ at: window.kefuChatlog.at, shown: window.kefuChatlog.shown, tasks: window.longTasks.slice() }));
  await sleep(300);
  const scrolls = [];
  for (let i = 0; i < 25; i++) {
    const r = await page.evaluate(() => new Promise((done) => {
      const pages = window.kefuChatlog.pages;
      const top = document.querySelector('#list li');
      const t = performance.now();
      window.scrollTo(0, 0);
      const poll = () => {
        if (window.kefuChatlog.pages > pages) {
          const box = top.getBoundingClientRect();
          done({ ms: window.kefuChatlog.at - t, kept: box.bottom > 0 && box.top < innerHeight });
        } else requestAnimationFrame(poll);
      };
      poll();
    }));
    scrolls.push(r);
  }
  const after = await page.evaluate(() => ({ tasks: window.longTasks.slice(), shown: window.kefuChatlog.shown }));
  const scrollTasks = after.tasks.slice(first.tasks.length);
  const kept = scrolls.filter((s) => s.kept).length;
  console.log(`| 3d | chat log of ${N} messages: latest page shown | ${Math.round(first.at)} ms after navigation start (${first.shown} messages); ${first.tasks.length} long tasks (longest ${Math.round(Math.max(0, ...first.tasks))} ms) |`);
  console.log(`| 3d | scrolling back 25 pages (${after.shown} messages shown) | per page median ${Math.round(median(scrolls.map((s) => s.ms)))} ms, max ${Math.round(Math.max(...scrolls.map((s) => s.ms)))} ms; reader's place kept ${kept}/25; ${scrollTasks.length} long tasks (longest ${Math.round(Math.max(0, ...scrollTasks))} ms) |`);
  await old.v.close();
  await fresh.v.close();
});
