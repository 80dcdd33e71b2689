// A conversation's life in the console: recalling (撤回) one's own message within the window, a
// message the customer recalled, the server's lifecycle events (idle warning and close, a rating,
// an offer that lapsed), and the close-out dialog (tags from the supervisors' list, a comment)
// when the agent ends a conversation. Every customer-controlled string goes through textContent
// or esc().
import { api, errorText, esc, layimId, toast } from './util.js';

const RECALLED = '消息已撤回';
const RECALL_MS = 2 * 60 * 1000;

/** Shows 消息已撤回 in place of a message element (jQuery). */
function showRecalled(li) {
  li.addClass('kefu-recalled');
  li.find('.layim-chat-text').text(RECALLED);
}

/** A 撤回 link under the agent's message `li` (local id `localId`) for the recall window. */
export function recallLink({ session, li, c, localId }) {
  const $ = layui.$;
  const a = $('<a href="javascript:;" class="kefu-recall" role="button">撤回</a>');
  a.on('click', () => {
    try {
      session.recall(c.id, Number(li.attr('data-local-id') || localId));
    } catch (e) {
      toast('撤回失败：' + errorText(e));
    }
  });
  li.find('.layim-chat-text').append(a);
  setTimeout(() => a.remove(), RECALL_MS - 5000);
}

/** Stars as text: ★★★★☆. */
const starsText = (n) => '★'.repeat(n) + '☆'.repeat(Math.max(0, 5 - n));

/** The hooks for recalls and lifecycle events. */
export function lifecycle({ chats, work }) {
  const customerOf = (e) => ({ id: e.userId, userName: e.userName || String(e.userId) });
  return {
    hooks: {
      onRecall(e) {
        if (e.error) return toast('撤回失败：' + e.error);
        const chat = chats.elem(layimId(e.userId));
        if (e.by === 'agent' && e.localId !== null) {
          chat.find('li[data-local-id="' + e.localId + '"]').each((_, li) => showRecalled(layui.$(li)));
        } else if (e.by === 'visitor') {
          chat.find('li[data-msg-id="' + CSS.escape(String(e.msgId)) + '"]').each((_, li) => showRecalled(layui.$(li)));
          const c = chats.customerOf({ id: layimId(e.userId) });
          if (c) chats.systemLine(c, '系统消息：对方撤回了一条消息');
        }
      },
      onLifecycle(e) {
        const c = customerOf(e);
        if (e.event === 'idleWarning') {
          chats.systemLine(c, '系统消息：双方长时间无消息，会话将在约 ' + Math.ceil((e.closesInMs || 0) / 60000) + ' 分钟后自动结束');
        } else if (e.event === 'closed') {
          const why = { idle: '会话因长时间无消息已自动结束', transferred: '已转入「' + (e.departmentName || e.department || '') + '」排队，会话结束' };
          chats.systemLine(c, '系统消息：' + (why[e.reason] || '访客已离开，会话结束'));
          chats.forget(c);
          work.ended(c);
        } else if (e.event === 'rated') {
          const line = '系统消息：访客评价 ' + starsText(e.stars || 0) + (e.comment ? '「' + e.comment + '」' : '');
          chats.systemLine(c, line);
          toast(c.userName + ' 给出了评价 ' + starsText(e.stars || 0));
        } else if (e.event === 'offerExpired') {
          toast(c.userName + ' 的接入请求已超时，已转给其他客服');
        }
      },
    },
  };
}

/**
 * Asks the close-out for the conversation with `c`: resolves `{tags, comment}` at once when the
 * supervisors keep no tags, else after the agent picks them (required ones enforced); null when the
 * agent cancels.
 */
export async function closeOut(c) {
  let settings = { tags: [], required: false };
  try {
    settings = (await api('settings/closeout')).data || settings;
  } catch (_) { /* a backend without close-out: end as before */ }
  if (!settings.tags.length) return { tags: [], comment: '' };
  const layer = layui.layer;
  const box = document.createElement('form');
  box.className = 'kefu-closeout';
  const legend = document.createElement('p');
  legend.textContent = '会话标签' + (settings.required ? '（至少选一个）' : '');
  box.append(legend);
  for (const t of settings.tags) {
    const label = document.createElement('label');
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.name = 'tag';
    input.value = t;
    label.append(input, document.createTextNode(' ' + t));
    box.append(label);
  }
  const comment = document.createElement('textarea');
  comment.name = 'comment';
  comment.maxLength = 1000;
  comment.placeholder = '备注（可选）';
  box.append(comment);
  return new Promise((resolve) => {
    let done = false;
    const index = layer.open({
      type: 1,
      title: '结束与 ' + esc(c.userName) + ' 的会话',
      area: '340px',
      content: box.outerHTML,
      btn: ['结束会话', '取消'],
      yes(i, layero) {
        const form = layero.find('form.kefu-closeout')[0];
        const tags = [...form.querySelectorAll('input[name=tag]:checked')].map((x) => x.value);
        if (settings.required && !tags.length) return toast('请选择至少一个会话标签');
        done = true;
        layer.close(i);
        resolve({ tags, comment: form.elements.comment.value.trim() });
      },
      end() { if (!done) resolve(null); },
    });
    void index;
  });
}
