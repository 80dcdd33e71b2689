// Prints the idle-timer benchmark (scripts/bench.sh starts it first and collects it last): one
// AgentSession left idle for IDLE_MINUTES (default 10) real minutes in Chromium, with every timer the
// page arms and every wake-up counted, against the pings the protocol needs (one per 30 s).
import { withServerAndBrowser, openPage, sleep, login } from './harness.mjs';

const MINUTES = Number(process.env.IDLE_MINUTES || 10);
await withServerAndBrowser(async (server, browser) => {
  const token = await login(server, 'idle-bench'); // registered on first login (--open-registration)
  const page = await openPage(browser, `${server.base}/bench/idle.html?token=${encodeURIComponent(token)}`);
  await page.waitForFunction(() => window.idleSession && window.idleSession.state === 'open', null, { timeout: 20000 });
  const start = await page.evaluate(() => ({ ...window.timerCount, pings: window.idleSession.stats.pingsSent }));
  await sleep(MINUTES * 60000);
  const end = await page.evaluate(() => ({ ...window.timerCount, pings: window.idleSession.stats.pingsSent, state: window.idleSession.state }));
  const d = (k) => end[k] - start[k];
  console.log(`| idle timers over ${MINUTES} real minutes in Chromium | ${d('fired')} wake-ups (${d('armed')} timers armed, ${d('intervals')} intervals) for ${d('pings')} pings; protocol needs ${MINUTES * 2}; socket ${end.state} |`);
});
