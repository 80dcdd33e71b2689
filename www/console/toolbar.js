// LayIM's events: sending, and the toolbar buttons our patches add (常用语, 退出此会话, 转接).
import { api, esc, kfId, toast } from './util.js';
import { clearDraft } from './drafts.js';
import { joined } from './chats.js';
import { PRESENCE_TEXT } from './presence.js';
import { closeOut } from './lifecycle.js';

/** Subscribes to LayIM's events. */
export function toolbar({ layim, chats, inbox, work }) {
  const layer = layui.layer;

  layim.on('sendMessage', (data) => {
    const c = chats.customerOf(data.to);
    if (!c) return toast('当前会话不存在');
    clearDraft(data.to.id);
    inbox.send(c, data.mine.content);
  });

  layim.on('endChat', (chat) => {
    const c = chats.customerOf(chat.data);
    if (!c) return toast('当前会话不存在,无法退出');
    if (joined.has(chat.data.id)) {
      // A conversation this supervisor joined: leave it; it stays the agent's.
      return api('supervisor/leave', { body: { userId: c.id } })
        .then(() => { joined.delete(chat.data.id); chats.forget(c); toast('已离开会话'); }, (e) => toast('离开失败：' + e.message));
    }
    closeOut(c).then((out) => {
      if (!out) return; // cancelled
      const extra = (out.tags.length ? '&tags=' + encodeURIComponent(out.tags.join(',')) : '') + (out.comment ? '&comment=' + encodeURIComponent(out.comment) : '');
      return api('overSession/overUser?kfId=' + encodeURIComponent(kfId) + '&userId=' + encodeURIComponent(c.id) + extra)
        .then((r) => { chats.forget(c); work.ended(c); toast(r.msg); }, (e) => toast('退出失败：' + e.message));
    });
  });

  layim.on('commonLang', (show) => {
    api('sessionComm/sessionCommList', { body: { content: '', page: 1, pageCount: 999, source: '' } }).then((r) => {
      const box = document.createElement('div');
      box.className = 'kefu-phrases';
      for (const item of r.data.list) {
        const row = document.createElement('div');
        row.className = 'cl-item';
        row.textContent = item.content;
        box.append(row);
      }
      if (!r.data.list.length) box.textContent = '暂无常用语';
      show(box.outerHTML);
    }, (e) => toast('常用语加载失败：' + e.message));
  });

  layim.on('transfer', (chat) => {
    const c = chats.customerOf(chat.data);
    if (!c) return toast('当前会话不存在');
    // Departments first (their least busy free agent is asked), then colleagues by name.
    const departments = api('settings/departments').then((r) => r.data.departments || [], () => []);
    Promise.all([api('agents/online'), departments]).then(([r, deps]) => {
      const others = r.data.filter((a) => a.id !== kfId);
      if (!others.length) return toast('暂无其他在线客服');
      const list = document.createElement('div');
      list.className = 'kefu-transfer-list';
      const nameOf = (id) => (deps.find((d) => d.id === id) || { name: id }).name;
      for (const d of deps) {
        const free = others.filter((a) => (a.departments || []).includes(d.id) && (!a.presence || a.presence === 'online')).length;
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'layui-btn layui-btn-normal layui-btn-sm';
        b.dataset.department = d.id;
        b.textContent = '部门：' + d.name + '（' + free + ' 人可接待）';
        b.disabled = free === 0;
        list.append(b);
      }
      for (const a of others) {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'layui-btn layui-btn-primary layui-btn-sm';
        b.dataset.kfId = a.id;
        const state = PRESENCE_TEXT[a.presence] || '在线';
        const groups = (a.departments || []).map(nameOf).join('、');
        b.textContent = a.name + (groups ? ' · ' + groups : '') + '（' + state + ' · ' + a.conversations + (a.maxConversations ? '/' + a.maxConversations : '') + ' 个会话）';
        b.dataset.presence = a.presence || 'online';
        if (a.presence && a.presence !== 'online') b.disabled = true; // busy or away: not taking transfers
        list.append(b);
      }
      const index = layer.open({
        type: 1,
        title: '转接 ' + esc(c.userName) + ' 给',
        area: '360px',
        content: list.outerHTML,
        success(layero) {
          layero.find('button[data-kf-id], button[data-department]').on('click', function () {
            const body = this.dataset.kfId ? { kfId, userId: String(c.id), toKfId: this.dataset.kfId }
              : { kfId, userId: String(c.id), toDepartment: this.dataset.department };
            layer.close(index);
            api('transfer/transferUser', { body })
              .then((res) => toast(res.msg), (e) => layer.alert('转接失败：' + esc(e.message)));
          });
        },
      });
    }, (e) => toast('在线客服加载失败：' + e.message));
  });
}
