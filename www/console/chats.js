// Chat windows: customers as LayIM conversations. Customer ids become LayIM ids ('h' + hex), and
// the original id (string or number) is remembered so it goes back to the server unchanged.
import { CUSTOMER_AVATAR, esc, kfId, layimId, server } from './util.js';

/** The customer ids seen, by LayIM id, with their original type (string or number). */
export const customers = new Map();

/** The conversations a supervisor joined (barge-in), by LayIM id: 退出此会话 leaves them. */
export const joined = new Set();

/** The LayIM id of the conversation an element (its input, a message) belongs to. */
export function chatIdOf(el) {
  const tool = el.closest('.layim-chat')?.querySelector('.layim-chat-tool');
  try {
    return JSON.parse(decodeURIComponent(tool.dataset.json)).id;
  } catch (_) {
    return null;
  }
}

// The open conversations, kept in localStorage per server and agent, so a reload or a new tab opens
// them again (with LayIM's chat log) without asking the server to replay them (`resumeAcrossReloads`).
// Entries not opened for KEEP_MS (a conversation the customer or a colleague ended meanwhile) are
// dropped, and at most KEEP_MAX are kept.
const openKey = () => 'kefuChats:' + server + ':' + kfId;
const KEEP_MS = 12 * 3600 * 1000;
const KEEP_MAX = 50;
function remembered() {
  try {
    const list = JSON.parse(localStorage.getItem(openKey()) || '[]');
    return Array.isArray(list) ? list.filter((k) => k && Date.now() - (k.at || 0) < KEEP_MS).slice(-KEEP_MAX) : [];
  } catch (_) {
    return [];
  }
}
function remember(list) {
  try {
    localStorage.setItem(openKey(), JSON.stringify(list));
  } catch (_) { /* storage unavailable: a reload starts with no window open */ }
}

/** Opens (or finds) conversations in `layim`; `opened(lid, textarea)` runs for a new window. */
export function chats(layim, { opened = () => {} } = {}) {
  const $ = layui.$;
  function chatData(c) {
    const lid = layimId(c.id);
    customers.set(lid, { id: c.id, userName: c.userName });
    const name = esc(c.userName);
    return { id: lid, type: 'kefu', name, username: name, avatar: CUSTOMER_AVATAR, userId: c.id };
  }
  const isOpen = (lid) => $('.layim-chatlist-kefu' + lid).length > 0;
  return {
    /** Opens the customer's chat window unless it is open; returns LayIM's chat data. */
    open(c) {
      const data = chatData(c);
      if (!isOpen(data.id)) {
        remember([...remembered().filter((k) => k.id !== c.id), { id: c.id, userName: c.userName, at: Date.now() }]);
        layim.chat(data);
        const chat = layim.thisChat();
        if (chat && chat.data.id === data.id) opened(data.id, chat.textarea);
      }
      return data;
    },
    /** Opens again the conversations open before this page load. */
    reopen() {
      for (const c of remembered()) this.open(c);
    },
    /** The conversation ended: a reload does not open it again. */
    forget(c) {
      remember(remembered().filter((k) => k.id !== c.id));
    },
    /** A system line (plain text) in the customer's conversation. */
    systemLine(c, text) {
      const data = this.open(c);
      layim.getMessage({ system: true, id: data.id, type: 'kefu', content: text });
    },
    /** The chat window of conversation `lid` (a jQuery set, empty when not open). */
    elem(lid) {
      return layui.$([...document.querySelectorAll('.layim-chat')].filter((c) => chatIdOf(c) === lid));
    },
    /** The customer behind a LayIM chat (`{id, userName}`), or null. */
    customerOf(chat) {
      return customers.get(chat.id) || null;
    },
  };
}
