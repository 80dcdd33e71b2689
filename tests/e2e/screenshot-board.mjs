// Refreshes docs/board.png: the supervisor's live board mid-shift (run by scripts/screenshot.sh):
// two agents with conversations and timers (one past its threshold), one agent busy, a queue, an
// alarm, and a conversation being watched.
import { withServerAndBrowser, agent, visitor, waitingCount, answerOldest, visitorSays, agentSays, chatHas, ROOT } from './harness.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

await withServerAndBrowser(async (server, browser) => {
  const a = await agent(browser, server, 'xiaoming');
  const b = await agent(browser, server, 'xiaohong');
  const serve = async (page, id, name, text) => {
    const v = await visitor(browser, server, id, name);
    await visitorSays(v, text);
    await waitingCount(page, 1);
    await answerOldest(page, true);
    await chatHas(page, text);
    return v;
  };
  const presence = async (page, p) => { await page.click('#presence-chip'); await page.click(`#presence-menu [data-presence="${p}"]`); await sleep(300); };
  await presence(b, 'busy');
  await serve(a, 'demo-1', '张女士', '我昨天下的订单还没有发货');
  await agentSays(a, '您好，请提供订单号。');
  await serve(a, 'demo-2', '李先生', '请问支持开发票吗？');
  await presence(a, 'busy');
  await presence(b, 'online');
  await serve(b, 'demo-3', '王同学', '退款多久到账？');
  await presence(b, 'busy');
  const k = await agent(browser, server, 'kf001');
  await presence(k, 'away');
  for (const [id, name] of [['demo-4', '赵先生'], ['demo-5', '孙女士']]) await visitorSays(await visitor(browser, server, id, name), '在吗？');
  const sup = await agent(browser, server, 'zhuguan', '&queueAlarm=2&replyAlarmS=20');
  await sup.setViewportSize({ width: 1280, height: 720 });
  await presence(sup, 'away'); // watching, not taking customers
  await sup.waitForSelector('#board-btn:not([hidden])', { timeout: 10000 });
  await sup.click('#board-btn');
  await sup.waitForSelector('#kefu-board tr[data-kf-id="xiaohong"] .kefu-board-convs li', { timeout: 10000 });
  await sleep(21000); // the timers run past the threshold
  await sup.screenshot({ path: ROOT + 'docs/board.png' });
  console.log('wrote docs/board.png');
});
