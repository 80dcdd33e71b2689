// Messages in and out. Customer messages are shown in chunks of at most INBOX_CHUNK per task,
// through LayIM's batch insert (layim-patches/05: one chat-log write, one sound, one scroll per
// chunk), with one toast and one notification per burst: a replay after a reconnect can bring a
// thousand messages at once, and a toast, a notification and a full LayIM insert each froze the
// page for a minute. The agent's messages carry their delivery state (held/sent/acked/failed).
import { AGENT_AVATAR, CUSTOMER_AVATAR, kfId, layimId, timestamp, toast } from './util.js';
import { notifyHidden } from './notify.js';
import { recallLink } from './lifecycle.js';

const INBOX_CHUNK = 40;
const STATUS_TEXT = { held: '等待网络，恢复后自动发送', acked: '已送达', sent: '已发送', read: '已读' };

/** The inbox and outbox of the console; `stats` is `window.kefu` (counters for the tests), `mine`
 * LayIM's profile of the agent. */
export function inbox({ layim, session, chats, stats, mine, work }) {
  const $ = layui.$;
  const messageStates = new Map(); // localId -> { status, reason }
  let queue = []; // a drain is scheduled whenever this is not empty
  let burst = { count: 0, last: null };
  let receipts = false;
  let recalls = false; // extension `recall`: the agent's messages get a 撤回 link for 2 minutes // extension `read`: an acknowledged message is 未读 until the customer's page shows it

  function toLayim(m) {
    const data = chats.open({ id: m.userId, userName: m.userName });
    return { username: data.username, avatar: CUSTOMER_AVATAR, id: data.id, type: 'kefu', content: m.content, timestamp: timestamp(m.createTime) };
  }

  function drain() {
    const chunk = queue.slice(0, INBOX_CHUNK);
    queue = queue.slice(chunk.length);
    layim.getMessages(chunk.map(toLayim));
    markIds(chunk);
    stats.rendered += chunk.length;
    const per = new Map();
    for (const m of chunk) {
      const k = String(m.userId);
      per.set(k, { c: { id: m.userId, userName: m.userName }, n: (per.get(k)?.n || 0) + 1 });
    }
    for (const { c, n } of per.values()) work.received(c, n);
    burst.count += chunk.length;
    burst.last = chunk[chunk.length - 1];
    if (queue.length) {
      setTimeout(drain, 0); // yield to input and paint, then go on
      return;
    }
    const { count, last } = burst;
    burst = { count: 0, last: null };
    stats.lastRenderAt = performance.now();
    toast(count > 1 ? '您有 ' + count + ' 条新消息' : '您有新消息');
    notifyHidden(count > 1 ? count + ' 条新消息' : '来自 ' + last.userName + ' 的消息', last.content);
  }

  // Extension `recall`: the customer's messages carry their msgId; the lines just shown get it, so
  // a recall can find them.
  function markIds(chunk) {
    const per = new Map();
    for (const m of chunk) {
      if (!m.msgId) continue;
      const k = String(m.userId);
      per.set(k, [...(per.get(k) || []), m.msgId]);
    }
    for (const [userId, ids] of per) {
      const lines = chats.elem(layimId(userId)).find('.layim-chat-main li:not(.layim-chat-mine):not(.layim-chat-system)').slice(-ids.length);
      lines.each((i, li) => li.setAttribute('data-msg-id', String(ids[i])));
    }
  }

  function showStatus(localId) {
    const st = messageStates.get(localId);
    const el = document.querySelector('[data-local-id="' + localId + '"] .kefu-msg-status');
    if (!st || !el) return;
    el.dataset.status = st.status;
    el.textContent = st.status === 'failed' ? '发送失败（' + (st.reason || '') + '），点击重试'
      : st.status === 'acked' && receipts ? '未读' : STATUS_TEXT[st.status];
  }

  // A message's state under it; a failed one is re-sent on a click.
  function tag(li, localId, c, content) {
    li.attr('data-local-id', String(localId));
    const status = $('<span class="kefu-msg-status"></span>');
    status.on('click', () => {
      const st = messageStates.get(Number(li.attr('data-local-id')));
      if (st && st.status === 'failed') {
        status.text('重新发送中……');
        const retryId = session.send({ userId: c.id, userName: c.userName, content });
        li.attr('data-local-id', String(retryId));
        showStatus(retryId);
      }
    });
    li.find('.layim-chat-text').append(status);
    showStatus(localId);
    if (recalls) recallLink({ session, li, c, localId });
  }

  return {
    hooks: {
      onMessage(m) {
        stats.received += 1;
        if (queue.push(m) === 1) setTimeout(drain, 0);
      },
      onMessageStatus({ localId, status, reason }) {
        if (messageStates.get(localId)?.status === 'read') return; // read outranks a late ack
        messageStates.set(localId, { status, reason });
        showStatus(localId);
      },
      onExtensions({ features }) {
        receipts = features.includes('read');
        recalls = features.includes('recall') && features.includes('ack');
      },
      onRead({ localIds }) {
        for (const id of localIds) {
          messageStates.set(id, { status: 'read', reason: null });
          showStatus(id);
        }
      },
      // Another tab of this agent accepted a customer or replied: shown here too.
      onOtherTabAction({ action, id, userName, content }) {
        const c = { id, userName: userName || String(id) };
        if (action === 'acceptCustomer' || action === 'acceptTransfer') chats.systemLine(c, '系统消息：已在另一个标签页接入');
        if (action !== 'send') return;
        work.answered(c);
        const data = chats.open(c);
        layim.getMessage({ fromid: kfId, username: mine.username, avatar: mine.avatar || AGENT_AVATAR, id: data.id, type: 'kefu', content, timestamp: Date.now() });
      },
      // A reply typed before a reload or crash and never confirmed: back in its conversation.
      // LayIM may already show it from its local chat log: then that line gets the status.
      onMessageRestored({ localId, userId, userName, content }) {
        const c = { id: userId, userName };
        const data = chats.open(c);
        const shown = () => chats.elem(data.id).find('.layim-chat-main li.layim-chat-mine:not([data-local-id])')
          .filter((_, li) => $(li).find('.layim-chat-text').text().trim() === content.trim());
        if (!shown().length) {
          layim.getMessage({ fromid: kfId, username: mine.username, avatar: mine.avatar || AGENT_AVATAR, id: data.id, type: 'kefu', content, timestamp: Date.now() });
        }
        tag(shown().last(), localId, c, content);
      },
    },
    /** Sends what the agent typed (already shown by LayIM) and tags it with its delivery state. */
    send(c, content) {
      const localId = session.send({ userId: c.id, userName: c.userName, content });
      work.answered(c);
      tag(layim.thisChat().elem.find('.layim-chat-main li.layim-chat-mine').last(), localId, c, content);
    },
  };
}
