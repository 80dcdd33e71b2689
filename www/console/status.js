// The header: the connection chip, the waiting-queue badge, and the notices that go with them.
import { $id, api, toast, token } from './util.js';
import { notifyHidden } from './notify.js';

/** When each waiting customer started waiting (ms, this page's clock), from the offers' `waitedMs`
 * (extension `queue`), else from when the offer arrived. */
export const waitingSince = new Map();

/** When each open offer lapses (ms, this page's clock), from the offers' `offerExpiresInMs`
 * (extension `queue`, servers with an offer timeout): the accept dialog counts down. */
export const offerDeadline = new Map();

/** The department each waiting customer came for, by name (extension `queue`). */
export const offerDepartment = new Map();

const CHIP_TEXT = { idle: '未连接', connecting: '连接中', open: '已连接', reconnecting: '重新连接中', closed: '已断开', replaced: '已在其他标签页打开 · 在此使用' };

/** The header's hooks. A chip saying the console was opened in another tab takes the connection
 * back here when clicked. */
export function status({ session }) {
  const chip = $id('conn-chip');
  let everOpen = false;
  chip.addEventListener('click', () => {
    if (chip.dataset.state === 'replaced') session.connect();
  });
  return {
    hooks: {
      onStateChange({ state }) {
        chip.dataset.state = state;
        chip.textContent = CHIP_TEXT[state] || state;
        if (state === 'open') {
          if (everOpen) toast('连接已恢复');
          everOpen = true;
        } else if (state === 'replaced') {
          toast('此工作台已在其他标签页打开；点击顶部状态可在此使用');
        } else if (state === 'reconnecting' && everOpen) {
          toast('连接中断，正在重连……');
          if (token) api('auth/me').catch(() => {}); // signed out or expired: back to the sign-in form
        }
      },
      onExtensions({ features }) {
        chip.title = features.length ? '协议扩展：' + features.join(', ') : '';
      },
      onHeartbeat() {},
      onCustomerWaiting(c) {
        const waited = c.data && typeof c.data.waitedMs === 'number' ? c.data.waitedMs : 0;
        waitingSince.set(String(c.id), Date.now() - waited);
        if (c.data && typeof c.data.offerExpiresInMs === 'number') offerDeadline.set(String(c.id), Date.now() + c.data.offerExpiresInMs);
        if (typeof c.data?.department?.name === 'string') offerDepartment.set(String(c.id), c.data.department.name);
        toast('您有新消息请求接入');
        notifyHidden('新用户请求接入', c.userName);
      },
      onQueueChange({ waiting }) {
        const badge = $id('waiting-count');
        badge.textContent = String(waiting.length);
        badge.className = 'layui-badge' + (waiting.length ? '' : ' layui-bg-gray');
        const ids = new Set(waiting.map((c) => String(c.id)));
        for (const id of waitingSince.keys()) if (!ids.has(id)) waitingSince.delete(id);
        for (const id of offerDeadline.keys()) if (!ids.has(id)) offerDeadline.delete(id);
        for (const id of offerDepartment.keys()) if (!ids.has(id)) offerDepartment.delete(id);
      },
      onOfferWithdrawn(c) {
        toast(c.userName + ' 已不再等待（' + c.reason + '）');
      },
      onFrameRejected({ message, total }) {
        console.warn('[kefu] skipped a bad frame (' + total + ' so far): ' + message);
      },
      onLog({ level, message }) {
        console[level]('[kefu] ' + message); // as the session logs without this hook
      },
    },
  };
}
