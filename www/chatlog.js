// The chat-log page LayIM opens as `chatlog.html?id=<layim id>&type=kefu`. The LayIM id is the
// customer id hex-encoded by the console; history comes from the server, newest page first, each
// page shown oldest to newest, all as text.
(function () {
  const params = new URLSearchParams(location.search);
  const server = (params.get('server') || sessionStorage.getItem('kefuServer') || location.origin).replace(/\/+$/, '');
  const lid = params.get('id') || '';
  const hex = lid.startsWith('h') ? lid.slice(1) : '';
  const bytes = new Uint8Array((hex.match(/../g) || []).map((h) => parseInt(h, 16)));
  const userId = hex ? new TextDecoder().decode(bytes) : lid;
  const PER_PAGE = 20;
  const list = document.getElementById('list');
  const more = document.getElementById('more');
  const SENDER = { agent: '客服', visitor: '访客', system: '系统', note: '内部备注', whisper: '主管悄悄话' };
  let page = 0;
  let shown = 0;

  function pad(n) { return String(n).padStart(2, '0'); }
  function when(t) {
    const d = new Date(t);
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }

  function row(m) {
    const li = document.createElement('li');
    li.className = m.sender;
    const meta = document.createElement('div');
    meta.className = 'meta';
    meta.textContent = (SENDER[m.sender] || m.sender) + ' ' + (['agent', 'note', 'whisper'].includes(m.sender) ? (m.kfId || '') : m.userName) + '  ' + when(m.createTime);
    const content = document.createElement('div');
    content.className = 'content';
    content.textContent = m.recalled ? '消息已撤回' : m.content;
    if (m.recalled) {
      li.classList.add('recalled');
      const original = recalls.get(m.id); // supervisors only: the audit trail
      if (original) {
        const o = document.createElement('div');
        o.className = 'original';
        o.textContent = '原文（' + original.recalledBy + ' 于 ' + when(original.recalledAt) + ' 撤回）：' + original.content;
        li.append(meta, content, o);
        return li;
      }
    }
    li.append(meta, content);
    return li;
  }

  // How each conversation ended: outcome, close-out tags and comment, the customer's rating.
  const OUTCOME = { agent: '客服结束', supervisor: '主管结束', idle: '长时间无消息自动结束', left: '访客离开', agent_left: '客服离线，已转回队列', abandoned: '排队中放弃' };
  const recalls = new Map();
  function summary(c) {
    const li = document.createElement('li');
    li.className = 'conversation';
    const parts = [when(c.startedAt) + ' · ' + (c.agents.length ? c.agents.join(' → ') : '未接入')];
    if (c.outcome) parts.push(OUTCOME[c.outcome] || c.outcome);
    if (c.tags.length) parts.push('标签：' + c.tags.join('、'));
    if (c.comment) parts.push('备注：' + c.comment);
    if (c.rating) parts.push('评价：' + '★'.repeat(c.rating) + '☆'.repeat(5 - c.rating) + (c.ratingComment ? '「' + c.ratingComment + '」' : ''));
    li.textContent = parts.join(' · ');
    return li;
  }
  async function conversations(token, fromUrl) {
    const r = await fetch(server + '/chatLog/conversations?userId=' + encodeURIComponent(userId) + (token && fromUrl ? '&token=' + encodeURIComponent(token) : ''),
      { headers: token && !fromUrl ? { authorization: 'Bearer ' + token } : {} });
    const json = await r.json().catch(() => null);
    if (!json || json.code !== 0) return; // a backend without it: the messages alone
    for (const x of json.data.recalls || []) recalls.set(x.messageId, x);
    const box = document.getElementById('conversations');
    for (const c of json.data.list) box.append(summary(c));
    box.hidden = !json.data.list.length;
  }

  async function load() {
    page += 1;
    const saved = JSON.parse(localStorage.getItem('kefuAuth') || 'null'); // the console's sign-in
    const token = params.get('token') || (saved && saved.server === server ? saved.token : null);
    const fromUrl = !!params.get('token'); // a backend's own token travels as it came; ours in a header
    if (page === 1) await conversations(token, fromUrl);
    const r = await fetch(server + '/chatLog/list?userId=' + encodeURIComponent(userId) + '&page=' + page + '&pageCount=' + PER_PAGE + (token && fromUrl ? '&token=' + encodeURIComponent(token) : ''),
      { headers: token && !fromUrl ? { authorization: 'Bearer ' + token } : {} });
    const json = await r.json();
    if (json.code !== 0) throw new Error(json.msg);
    const frag = document.createDocumentFragment();
    for (const m of json.data.list) frag.append(row(m));
    list.prepend(frag);
    shown += json.data.list.length;
    more.hidden = shown >= json.data.total;
    document.getElementById('empty').hidden = json.data.total > 0;
    if (page === 1) window.scrollTo(0, document.body.scrollHeight);
  }

  more.addEventListener('click', () => load().catch((e) => alert('加载失败：' + e.message)));
  load().catch((e) => { document.getElementById('empty').hidden = false; document.getElementById('empty').textContent = '加载失败：' + e.message; });
})();
