// Refreshes docs/console.png: the console mid-conversation (run by scripts/screenshot.sh).
import { withServerAndBrowser, agent, visitor, waitingCount, answerOldest, visitorSays, agentSays, chatHas, ROOT } from './harness.mjs';

await withServerAndBrowser(async (server, browser) => {
  const a = await agent(browser, server, 'xiaoming');
  const v = await visitor(browser, server, 'demo-customer', '张女士');
  await waitingCount(a, 1);
  await visitor(browser, server, 'demo-customer-2', '李先生');
  await waitingCount(a, 2);
  await answerOldest(a, true);
  await chatHas(a, '用户已接入');
  await visitorSays(v, '你好，我昨天下的订单还没有发货 😟');
  await chatHas(a, '还没有发货');
  await agentSays(a, '您好，很高兴为您服务！请提供您的订单号，方便我为您核实。');
  await visitorSays(v, '订单号 2026112500123');
  await chatHas(a, '2026112500123');
  await new Promise((r) => setTimeout(r, 3500)); // let the toasts fade
  await a.click('.layim-tool-commonLang');
  await a.waitForSelector('.layui-layim-commonLang .cl-item');
  await new Promise((r) => setTimeout(r, 800)); // the tips' fade-in
  await a.screenshot({ path: ROOT + 'docs/console.png' });
  console.log('wrote docs/console.png');
});
