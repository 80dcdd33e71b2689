// Refreshes docs/console.png: the workbench mid-conversation (run by scripts/screenshot.sh): the
// conversation list with its timers, the context panel, a read receipt, the customer typing, and
// the `/` phrase list open.
import { withServerAndBrowser, agent, openPage, visitor, waitingCount, answerOldest, visitorSays, agentSays, chatHas, ROOT } from './harness.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

await withServerAndBrowser(async (server, browser) => {
  const a = await agent(browser, server, 'xiaoming', '&amberSec=20&redSec=40');
  await a.setViewportSize({ width: 1440, height: 800 }); // room for the list, LayIM and the panel
  const page = encodeURIComponent('https://shop.example/orders/2026112500123');
  const v = await openPage(browser, `${server.base}/visitor.html?userId=demo-customer&userName=${encodeURIComponent('张女士')}`
    + `&pageUrl=${page}&pageTitle=${encodeURIComponent('我的订单 - 示例商城')}&referrer=${encodeURIComponent('https://www.example-search.com/?q=示例商城')}`);
  await v.waitForSelector('#status[data-state="open"]', { timeout: 15000 });
  await visitorSays(v, '你好，我昨天下的订单还没有发货 😟');
  await waitingCount(a, 1);
  const v2 = await visitor(browser, server, 'demo-customer-2', '李先生');
  await visitorSays(v2, '请问支持开发票吗？');
  await waitingCount(a, 2);
  await answerOldest(a, true);
  await chatHas(a, '还没有发货');
  await a.click('#openDialog');
  await a.click('.layui-layer-dialog .layui-layer-btn0');
  await chatHas(a, '开发票');
  await a.click('#worklist .kefu-work >> nth=0');
  await agentSays(a, '您好，很高兴为您服务！请提供您的订单号，方便我为您核实。');
  await visitorSays(v, '订单号 2026112500123');
  await chatHas(a, '2026112500123');
  await agentSays(a, '好的，马上为您查询。');
  await a.waitForFunction(() => [...document.querySelectorAll('.kefu-msg-status')].some((s) => s.textContent === '已读'), null, { timeout: 5000 });
  await sleep(3500); // let the toasts fade
  await v.type('#text', '麻烦尽快');
  await a.waitForFunction(() => document.querySelector('.layim-chat-status')?.textContent === '对方正在输入…', null, { timeout: 5000 });
  await a.focus('.layim-chat-textarea textarea');
  await a.keyboard.type('/re');
  await a.waitForSelector('.kefu-slash li');
  await sleep(500);
  await a.screenshot({ path: ROOT + 'docs/console.png' });
  console.log('wrote docs/console.png');
});
