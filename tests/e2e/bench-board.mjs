// Prints the supervisor board benchmark (scripts/bench.sh runs it; issue 28): a supervisor's
// console with the 看板 open is handed boards of 200 agents and 2 000 conversations (as the server
// pushes them, status 106), first whole, then ten updates where a few conversations change (as
// changes, extension `boardDelta`), then left to tick for 3 s. Long Tasks API in Chromium: the longest main-thread task and how long each
// board took to be on screen.
import { withServerAndBrowser, agent, sleep } from './harness.mjs';

const AGENTS = Number(process.env.BOARD_AGENTS || 200);
const PER = Number(process.env.BOARD_PER_AGENT || 10);

function boardAt(now, round) {
  const agents = Array.from({ length: AGENTS }, (_, a) => ({
    kfId: 'agent-' + String(a).padStart(3, '0'), name: '客服' + a, online: true, presence: a % 7 ? 'online' : 'busy',
    maxConversations: PER + 2, departments: [a % 2 ? 'presales' : 'aftersales'], ratings: a % 5, ratingAverage: a % 5 ? 4.2 : null,
    conversations: Array.from({ length: PER }, (_, c) => ({
      userId: `v-${a}-${c}`, userName: `顾客${a}-${c}`, startedAt: now - 600000, connected: true,
      // Each round a few conversations get a new customer message.
      lastVisitorAt: (a * PER + c) % 97 === round ? now - 1000 : now - 300000, lastAgentAt: now - 200000, inactive: false,
      department: a % 2 ? 'presales' : 'aftersales',
    })),
  }));
  const queue = Array.from({ length: 50 }, (_, i) => ({ userId: 'q' + i, userName: '排队' + i, waitingSince: now - i * 1000, offeredTo: null, connected: true, department: null }));
  return { status: 106, data: { agents, queue } };
}

/** What the server pushes after a board (extension `boardDelta`): the agents whose row changed. */
function changesFrom(before, after) {
  const was = new Map(before.data.agents.map((a) => [a.kfId, JSON.stringify(a)]));
  const agents = after.data.agents.filter((a) => was.get(a.kfId) !== JSON.stringify(a));
  return { status: 106, data: { delta: true, agents, removed: [] } };
}

await withServerAndBrowser(async (server, browser) => {
  const s = await agent(browser, server, 'zhuguan');
  await s.waitForSelector('#board-btn:not([hidden])', { timeout: 15000 });
  await s.click('#board-btn');
  await s.waitForSelector('#kefu-board', { timeout: 5000 });
  await s.evaluate(() => {
    window.longTasks = [];
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.longTasks.push(e.duration); }).observe({ type: 'longtask' });
  });
  await sleep(1500); // the server's own boards (whole after the hello and at the next push) come first
  const now = Date.now();
  // A frame's text is handed to the page first, in a call of its own: DevTools' transfer of a
  // 400 KB argument is itself a long task in the page, which a socket's frame is not.
  const stage = (frame) => s.evaluate((f) => { window.boardFrame = f; }, JSON.stringify(frame));
  // One board on screen: injected in its own task, measured to the next frame after it.
  const show = async (frame) => {
    await stage(frame);
    return s.evaluate(() => new Promise((done) => setTimeout(() => {
      const t0 = performance.now();
      window.kefu.session.injectFrame(window.boardFrame);
      requestAnimationFrame(() => setTimeout(() => done(performance.now() - t0)));
    })));
  };
  // The first board is built over several tasks: measured until its last conversation is in.
  await stage(boardAt(now, -1));
  await sleep(300);
  await s.evaluate(() => { window.longTasks.length = 0; });
  const first = await s.evaluate((n) => new Promise((done) => setTimeout(() => {
    const t0 = performance.now();
    window.kefu.session.injectFrame(window.boardFrame);
    const poll = () => (document.querySelectorAll('#kefu-board .kefu-board-convs li').length >= n ? done(performance.now() - t0) : requestAnimationFrame(poll));
    poll();
  })), AGENTS * PER);
  const rows = await s.evaluate(() => document.querySelectorAll('#kefu-board .kefu-board-convs li').length);
  await sleep(500);
  const firstTasks = await s.evaluate(() => window.longTasks.splice(0));
  // Updates as the server sends them to a console (`boardDelta`): the rows that changed.
  const updates = [];
  let pushed = 0;
  for (let round = 0; round < 10; round++) {
    const changes = changesFrom(boardAt(now, round - 1), boardAt(now, round));
    pushed += JSON.stringify(changes).length;
    updates.push(await show(changes));
    await sleep(100);
  }
  const shown = await s.evaluate(() => document.querySelectorAll('#kefu-board .kefu-board-convs li').length);
  if (shown !== rows) throw new Error(`the board merged from changes shows ${shown} conversations, not ${rows}`);
  await sleep(3000); // the timers tick once a second
  const tasks = await s.evaluate(() => window.longTasks.slice());
  updates.sort((x, y) => x - y);
  const longest = Math.max(0, ...tasks);
  console.log(`| board: ${AGENTS} agents, ${rows} conversations on the 看板 | first board on screen (every row) ${Math.round(first)} ms (longest task ${Math.round(Math.max(0, ...firstTasks))} ms); an update (a few conversations change; sent as changes, ${Math.round(pushed / 10 / 1024)} KB a push against ${Math.round(JSON.stringify(boardAt(now, 0)).length / 1024)} KB whole) on screen in median ${Math.round(updates[5])} ms, max ${Math.round(updates[9])} ms; ${tasks.length} long tasks over 10 updates and 3 s of ticking, longest ${Math.round(longest)} ms |`);
  await s.close();
});
