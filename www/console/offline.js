// Messages customers left while nobody could answer (留言): the 留言 button counts those not
// handled yet; its panel lists them with 认领 (take it on) and 处理 (mark handled with the answer
// the customer sees when they come back). Customer text goes through textContent only.
import { $id, api, el, errorText, toast } from './util.js';

/** The 留言 button and its panel; returns the hooks (a new message left). */
export function offline() {
  const button = $id('offline-btn');
  const count = $id('offline-count');
  const layer = layui.layer;

  async function refresh() {
    try {
      const r = await api('offlineMessages/list?open=1');
      const n = r.data.list.length;
      count.textContent = String(n);
      count.className = 'layui-badge' + (n ? '' : ' layui-bg-gray');
      button.hidden = false;
      return r.data.list;
    } catch (_) {
      return null; // a backend without 留言: the button stays hidden
    }
  }

  function row(m, close) {
    const when = new Date(m.createdAt).toLocaleString();
    const head = el('div', { className: 'kefu-offline-head' }, el('strong', { textContent: m.name }), ' · ' + m.contact + ' · ' + when);
    const body = el('div', { className: 'kefu-offline-body', textContent: m.content });
    const answer = el('textarea', { placeholder: '回复（访客再次访问时可见）', maxLength: 5000, rows: 2 });
    const claim = el('button', { type: 'button', className: 'layui-btn layui-btn-xs layui-btn-primary', textContent: m.claimedBy ? '已由 ' + m.claimedBy + ' 认领' : '认领' });
    claim.disabled = !!m.claimedBy;
    const done = el('button', { type: 'button', className: 'layui-btn layui-btn-xs', textContent: '标记已处理' });
    claim.addEventListener('click', () => api('offlineMessages/claim', { body: { id: m.id } })
      .then(() => { claim.textContent = '已认领'; claim.disabled = true; }, (e) => toast(errorText(e))));
    done.addEventListener('click', () => {
      if (!answer.value.trim()) return toast('请填写回复或处理说明');
      api('offlineMessages/handle', { body: { id: m.id, answer: answer.value.trim() } })
        .then(() => { toast('已处理'); close(); refresh(); }, (e) => toast(errorText(e)));
    });
    return el('li', { className: 'kefu-offline-item' }, head, body, answer, el('div', {}, claim, ' ', done));
  }

  button.addEventListener('click', async () => {
    const list = await refresh();
    if (!list) return toast('留言加载失败');
    if (!list.length) return toast('暂无待处理的留言');
    const ul = el('ul', { className: 'kefu-offline-list' });
    const index = layer.open({ type: 1, title: '访客留言', area: ['420px', '480px'], content: '<div class="kefu-offline"></div>' });
    const close = () => layer.close(index);
    for (const m of list) ul.append(row(m, close));
    document.querySelector('.kefu-offline')?.append(ul);
  });
  refresh();

  return {
    hooks: {
      onLifecycle(e) {
        if (e.event !== 'offlineMessage') return;
        toast('收到一条新留言：' + (e.name || ''));
        refresh();
      },
    },
  };
}
