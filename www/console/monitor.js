// Silent monitoring in the console (extension `monitor`). A supervisor's 监听 on the board opens a
// read-only view of a live conversation: its history, then every message both ways, notes and
// whispers as they happen; closing the view stops watching. An agent sees "主管 正在查看" in the
// title of a conversation someone watches (the collision signal); the customer sees nothing.
// Text only, never HTML.
import { layimId, toast } from './util.js';

const SENDER = { visitor: '客户', agent: '客服', note: '内部备注', whisper: '悄悄话', system: '系统' };

/** The monitor views and the viewers mark; `open(c)` starts watching `{userId, userName}`. */
export function monitor({ session, chats }) {
  const layer = layui.layer;
  const views = new Map(); // String(userId) -> the view's list

  function append(list, m) {
    const li = document.createElement('li');
    li.dataset.sender = m.sender;
    const who = document.createElement('b');
    who.textContent = (SENDER[m.sender] || m.sender) + (m.kfId && m.sender !== 'visitor' ? ' ' + m.kfId : '') + '：';
    const text = document.createElement('span');
    text.textContent = m.content;
    li.append(who, text);
    list.append(li);
    list.scrollTop = list.scrollHeight;
  }

  function open(c) {
    const key = String(c.userId);
    if (views.has(key)) return;
    const title = document.createElement('span');
    title.textContent = '监听：' + (c.userName || c.userId);
    const index = layer.open({
      type: 1,
      title: title.outerHTML,
      area: ['420px', '460px'],
      shade: 0,
      content: '<ul class="kefu-monitor" aria-live="polite"></ul>',
      success(layero) { views.set(key, layero.find('.kefu-monitor')[0]); },
      end() {
        views.delete(key);
        try { session.watch(c.userId, false); } catch (_) { /* the socket is gone: so is the watching */ }
      },
    });
    try {
      session.watch(c.userId, true);
    } catch (e) {
      layer.close(index);
      toast(e.code === 'NOT_SUPPORTED' ? '服务器不支持监听' : '无法监听：' + e.message);
    }
  }

  return {
    open,
    hooks: {
      onMonitor(e) {
        const list = views.get(String(e.userId));
        if (!list) return;
        if (e.start) list.replaceChildren();
        for (const m of e.messages) append(list, m);
      },
      onViewers(e) {
        const chat = chats.elem(layimId(e.userId));
        const title = chat.find('.layim-chat-title');
        if (!title.length) return;
        let mark = title.find('.kefu-viewers')[0];
        if (!mark) {
          mark = document.createElement('span');
          mark.className = 'kefu-viewers';
          title.append(mark);
        }
        mark.textContent = e.viewers.length ? '👁 ' + e.viewers.map((v) => v.name).join('、') + ' 正在查看' : '';
      },
    },
  };
}
