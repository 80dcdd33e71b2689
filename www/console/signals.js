// The workbench signals in the console (extensions `typing`, `read`, `peek`; with a legacy backend
// none of them arrives and nothing here shows): "对方正在输入…" in the conversation's title while the
// customer types (cleared after 6 s or by their message), their unsent text in a subdued line under
// the conversation when the server has sneak peek on, and our own typing sent as the agent types —
// but not while the input holds a `/` phrase search, which is not meant for the customer.
import { customers, chatIdOf } from './chats.js';
import { layimId } from './util.js';

const CLEAR_AFTER_MS = 6000;

/** Hooks and the agent's side of typing. */
export function signals({ session, chats }) {
  const timers = new Map(); // lid -> the timeout clearing its indicator, while one is shown

  function show(c, typing, text) {
    const chat = chats.elem(layimId(c.id));
    if (!chat.length) return;
    const status = chat.find('.layim-chat-status');
    status.text(typing ? '对方正在输入…' : '');
    status.toggleClass('kefu-typing', typing);
    let peek = chat.find('.kefu-peek');
    if (!peek.length) {
      peek = layui.$('<div class="kefu-peek" aria-live="off"></div>');
      chat.find('.layim-chat-main').after(peek);
    }
    peek.text(typing && text ? '正在输入：' + text : '');
    peek.prop('hidden', !(typing && text));
  }

  // Our typing, from every conversation's input.
  document.addEventListener('input', (e) => {
    if (!(e.target instanceof HTMLTextAreaElement) || !e.target.closest('.layim-chat-textarea')) return;
    const c = customers.get(chatIdOf(e.target));
    if (!c) return;
    const v = e.target.value;
    const meant = v.trim() !== '' && !/(^|\s)\/\S*$/.test(v); // not a `/` phrase search
    try { session.typing(c.id, meant); } catch (_) { /* not connected: nothing to tell */ }
  });

  return {
    hooks: {
      onTyping({ userId, typing, text }) {
        const c = { id: userId };
        const lid = layimId(userId);
        clearTimeout(timers.get(lid));
        timers.delete(lid);
        show(c, typing, text);
        if (typing) timers.set(lid, setTimeout(() => { timers.delete(lid); show(c, false, null); }, CLEAR_AFTER_MS));
      },
      onMessage(m) {
        const lid = layimId(m.userId);
        if (!timers.has(lid)) return; // no indicator shown: nothing to look up (a burst passes here)
        clearTimeout(timers.get(lid));
        timers.delete(lid);
        show({ id: m.userId }, false, null); // their message ends their typing
      },
    },
  };
}
