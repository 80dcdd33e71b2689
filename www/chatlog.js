// The chat-log page LayIM opens as `chatlog.html?id=<layim id>&type=kefu`. The LayIM id is the
// customer id hex-encoded by the console; history comes from the server, newest page first, each
// page shown oldest to newest, all as text; scrolling to the top loads the page before.
(function () {
  const params = new URLSearchParams(location.search);
  const server = (params.get('server') || sessionStorage.getItem('kefuServer') || location.origin).replace(/\/+$/, '');
  const lid = params.get('id') || '';
  const hex = lid.startsWith('h') ? lid.slice(1) : '';
  const bytes = new Uint8Array((hex.match(/../g) || []).map((h) => parseInt(h, 16)));
  const userId = hex ? new TextDecoder().decode(bytes) : lid;
  const PER_PAGE = 40;
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

  // Pages go back from the newest: by the oldest message shown (`before`), so that messages
  // arriving meanwhile do not shift them; a backend without it (no `more` in its answer) by number.
  let before = null;
  let byNumber = false;
  let loading = null;
  const auth = () => {
    const saved = JSON.parse(localStorage.getItem('kefuAuth') || 'null'); // the console's sign-in
    const token = params.get('token') || (saved && saved.server === server ? saved.token : null);
    return { token, fromUrl: !!params.get('token') }; // a backend's own token travels as it came; ours in a header
  };
  async function page1(token, fromUrl) {
    const q = before === null || byNumber ? '&page=' + (page + 1) : '&before=' + before;
    const r = await fetch(server + '/chatLog/list?userId=' + encodeURIComponent(userId) + q + '&pageCount=' + PER_PAGE + (token && fromUrl ? '&token=' + encodeURIComponent(token) : ''),
      { headers: token && !fromUrl ? { authorization: 'Bearer ' + token } : {} });
    const json = await r.json();
    if (json.code !== 0) throw new Error(json.msg);
    return json.data;
  }
  async function load() {
    const { token, fromUrl } = auth();
    const first = page === 0;
    const [data] = await Promise.all([page1(token, fromUrl), first ? conversations(token, fromUrl) : null]);
    page += 1;
    if (first) byNumber = !('more' in data);
    const frag = document.createDocumentFragment();
    for (const m of data.list) frag.append(row(m));
    if (data.list.length) before = data.list[0].id;
    // Prepended above what is on screen: the reader stays where they were.
    const fromBottom = document.documentElement.scrollHeight - window.scrollY;
    list.prepend(frag);
    shown += data.list.length;
    more.hidden = byNumber ? shown >= data.total : !data.more;
    document.getElementById('empty').hidden = data.total > 0;
    window.scrollTo(0, first ? document.documentElement.scrollHeight : document.documentElement.scrollHeight - fromBottom);
    window.kefuChatlog = { pages: page, shown, at: performance.now() }; // for the benchmark (item 3d)
  }
  // Scrolling back to the top loads the page before, as a chat does. The observer reports changes
  // only: after each load it is asked afresh, so a reader who reached the top while a page was
  // loading (or before the browser saw the button leave the view) still gets the next one.
  const seer = new IntersectionObserver((seen) => { if (seen.some((e) => e.isIntersecting) && !more.hidden && page > 0) loadMore(); }, { rootMargin: '200px 0px 0px 0px' });
  const settled = () => { loading = null; seer.unobserve(more); seer.observe(more); };
  function loadMore() {
    loading = loading || load().catch((e) => alert('加载失败：' + e.message)).finally(settled);
    return loading;
  }

  more.addEventListener('click', loadMore);
  loading = load().catch((e) => { document.getElementById('empty').hidden = false; document.getElementById('empty').textContent = '加载失败：' + e.message; }).finally(settled);
})();
