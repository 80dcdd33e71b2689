// The search box (issue 26): every term a substring of the message (Chinese phrases too), across
// the customers this agent served (a supervisor: everyone's), newest first; a result opens that
// customer's chat log. Customer text is set as textContent only.
import { $id, api, el, errorText, toast } from './util.js';

const when = (t) => new Date(t).toLocaleString();

/** Wires the header's search form. */
export function search() {
  const form = $id('search-form');
  const layer = layui.layer;
  form.hidden = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const q = form.elements.q.value.trim();
    if (!q) return;
    let r;
    try {
      r = await api('search?q=' + encodeURIComponent(q) + '&limit=100');
    } catch (err) {
      return toast('搜索失败：' + errorText(err));
    }
    const list = el('ul', { className: 'kefu-search-results' });
    for (const m of r.data.list) {
      const open = el('a', { href: 'javascript:;', textContent: '聊天记录' });
      open.addEventListener('click', () => layer.open({ type: 2, title: '聊天记录', area: ['560px', '520px'], content: m.chatLog }));
      list.append(el('li', {},
        el('div', { className: 'kefu-search-meta', textContent: (m.userName || m.userId) + ' · ' + (m.sender === 'agent' ? '客服 ' + (m.kfId || '') : '访客') + ' · ' + when(m.createTime) + ' ' }, open),
        el('div', { className: 'kefu-search-snippet', textContent: m.snippet })));
    }
    if (!r.data.list.length) list.append(el('li', { textContent: '没有找到包含「' + q + '」的消息' }));
    const box = el('div', {}, el('p', { className: 'kefu-search-took', textContent: r.data.list.length + ' 条结果（' + r.data.tookMs + ' ms）' }), list);
    const index = layer.open({ type: 1, title: '搜索：' + layui.$('<i>').text(q).html(), area: ['520px', '480px'], content: '<div class="kefu-search"></div>' });
    void index;
    document.querySelector('.kefu-search')?.append(box);
  });
}
