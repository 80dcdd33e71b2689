// The context panel beside the open conversation: what the customer's page reported when it
// connected (URL, title, referrer, language), their department, browser and OS from its User-Agent, and what the
// server knows (first seen, past conversations, a link to the chat log). Every value is the
// customer's: set as text; the URL is a link only when it is http(s). Hidden with a backend that
// has no such endpoint. Read again when the customer on screen speaks (at most every few
// seconds): a customer who moved to another page of the site says so with their next message.
import { $id, api } from './util.js';
import { customers } from './chats.js';

const FIELDS = [
  ['department', '部门'], ['url', '页面'], ['title', '标题'], ['referrer', '来源'], ['language', '语言'], ['browser', '浏览器'], ['os', '系统'],
  ['firstSeen', '首次访问'], ['conversations', '历史会话'],
];

/** How often the panel is read again while the customer on screen speaks. */
const REREAD_MS = 3000;

/** Shows the context of whichever conversation is on screen; its hooks read it again. */
export function contextPanel({ layim }) {
  const box = $id('context');
  let showing = null;
  let readAt = 0;
  let again = null;

  async function show(lid) {
    const c = customers.get(lid);
    if (!c) return;
    showing = lid;
    readAt = Date.now();
    let d;
    try {
      d = (await api('visitors/context?userId=' + encodeURIComponent(c.id))).data;
    } catch (_) {
      if (showing === lid) box.hidden = true;
      return;
    }
    if (showing !== lid) return;
    const values = {
      ...(d.page || {}),
      department: d.department?.name,
      browser: d.browser,
      os: d.os,
      firstSeen: d.firstSeen ? new Date(d.firstSeen).toLocaleString('zh-CN') : null,
      conversations: d.conversations,
    };
    const dl = document.createElement('dl');
    for (const [key, label] of FIELDS) {
      const v = values[key];
      if (v === null || v === undefined || v === '') continue;
      const dt = document.createElement('dt');
      dt.textContent = label;
      const dd = document.createElement('dd');
      dd.dataset.field = key;
      if ((key === 'url' || key === 'referrer') && /^https?:\/\//i.test(v)) {
        const a = document.createElement('a');
        a.href = v;
        a.target = '_blank';
        a.rel = 'noopener noreferrer';
        a.textContent = v;
        dd.append(a);
      } else {
        dd.textContent = String(v);
      }
      dl.append(dt, dd);
    }
    const log = document.createElement('a');
    log.href = 'chatlog.html?id=' + encodeURIComponent(lid);
    log.target = '_blank';
    log.textContent = '查看聊天记录';
    const h = document.createElement('h3');
    h.textContent = c.userName;
    box.replaceChildren(h, dl, log);
    box.dataset.userId = String(c.id);
    box.hidden = false;
  }

  layim.on('chatChange', (chat) => show(chat.data.id));
  // A conversation opened by code (an accept, a reload) also fires chatChange; the first one
  // may come before this listener: look once now.
  setTimeout(() => { const cur = layim.thisChat(); if (cur) show(cur.data.id); }, 0);

  return {
    hooks: {
      onMessage(m) {
        if (showing === null || box.dataset.userId !== String(m.userId) || again) return;
        const lid = showing;
        again = setTimeout(() => { again = null; if (showing === lid) show(lid); }, Math.max(0, readAt + REREAD_MS - Date.now()));
      },
    },
  };
}
