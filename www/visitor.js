// The visitor page: plays the customer against the reference server's visitor protocol
// (see docs/protocol.md). Everything received is shown with textContent.
(function () {
  const params = new URLSearchParams(location.search);
  const server = (params.get('server') || location.origin).replace(/\/+$/, '');
  // The id is the page's own (random, kept in localStorage) unless the host page passes one, with
  // the site's signature (`sig`) when it has signed-in users. The server gives a new id a resume
  // secret on its first connection; coming back to the conversation needs it.
  const ownId = !params.get('userId');
  let userId = params.get('userId') || localStorage.getItem('kefuVisitorId');
  if (!userId) {
    userId = 'v' + Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');
    localStorage.setItem('kefuVisitorId', userId);
  }
  const secretKey = 'kefuVisitorResume:' + userId;
  const userName = params.get('userName') || '访客' + userId.slice(-4);
  // The site's signature of the id and its expiry (docs/security.md): secrets of this browser,
  // never reported in the page's URL or sent as a referrer.
  const sig = params.get('sig');
  const exp = params.get('exp');
  // The department the host page names, else the one picked or given here (kept for reconnects
  // and the site's next pages: a partitioned cluster routes the socket by it).
  const departmentKey = 'kefuVisitorDepartment:' + userId;
  const readDepartment = () => { try { return sessionStorage.getItem(departmentKey); } catch (_) { return null; } };
  let department = params.get('department') || readDepartment();
  const base = server.replace(/^http/, 'ws') + '/websocket/visitor/' + encodeURIComponent(userId) + '?userName=' + encodeURIComponent(userName) +
    (sig ? '&sig=' + encodeURIComponent(sig) + '&exp=' + encodeURIComponent(exp || '') : '');
  // Inside the widget (widget.js on another site): the host page is told the unread count; it
  // tells us when the panel opens or closes. Only the host named in our URL is spoken to.
  const embed = params.get('embed') === '1' && window.parent !== window;
  const hostOrigin = embed ? params.get('host') : null;
  if (embed) document.documentElement.classList.add('embed');
  let panelOpen = !embed;
  let unread = 0;
  const toHost = (msg) => { if (embed && hostOrigin) window.parent.postMessage(Object.assign({ kefu: true }, msg), hostOrigin); };
  const countUnread = (fresh) => {
    if (panelOpen && document.visibilityState === 'visible') return;
    unread += 1;
    toHost({ type: 'unread', count: unread, fresh });
  };
  window.addEventListener('message', (e) => {
    if (!embed || e.source !== window.parent || e.origin !== hostOrigin || !e.data || e.data.kefu !== true) return;
    if (e.data.type === 'open') {
      panelOpen = true;
      unread = 0;
      toHost({ type: 'unread', count: 0 });
      document.getElementById('text').focus();
      reportRead();
    } else if (e.data.type === 'close') panelOpen = false;
  });
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && embed) toHost({ type: 'close' }); });
  const SECRETS = ['sig', 'exp', 'resume', 'token', 'ticket'];
  /** `url` without this browser's secrets in its query or fragment (unchanged when it has none). */
  const withoutSecrets = (url) => {
    try {
      const u = new URL(url);
      const inHash = SECRETS.some((k) => u.hash.includes(k + '='));
      if (!SECRETS.some((k) => u.searchParams.has(k)) && !inHash) return url;
      SECRETS.forEach((k) => u.searchParams.delete(k));
      if (inHash) u.hash = '';
      return u.href;
    } catch (_) { return url ? String(url).split(/[?#]/)[0] : ''; }
  };
  const RECALLED = '消息已撤回';
  // Nothing lost either way: our messages carry ids and are re-sent until acked; the agent's are
  // numbered and replayed after the last one we saw when we reconnect.
  const token = Math.random().toString(36).slice(2, 10);
  let counter = 0;
  let lastSeq = 0;
  const unacked = new Map(); // msgId -> frame text
  // Kept across pages of the site (the widget loads again on each): what was sent but not yet
  // stored goes again from the next page, and the text being typed is still there.
  const unackedKey = 'kefuVisitorUnacked:' + userId;
  const draftKey = 'kefuVisitorDraft:' + userId;
  const saveUnacked = () => {
    try {
      if (unacked.size) localStorage.setItem(unackedKey, JSON.stringify([...unacked]));
      else localStorage.removeItem(unackedKey);
    } catch (_) { /* storage full or off: kept for this page only */ }
  };
  const log = document.getElementById('log');
  const status = document.getElementById('status');
  let ws = null;
  let ping = null;
  // Workbench signals (docs/protocol.md): typing both ways, read receipts both ways, and what this
  // page is (for the agent's context panel). `peek`: the server shows the agent our unsent text.
  let peek = false;
  let typingSentAt = 0;
  let typingOn = false;
  let agentTypingTimer = null;
  const typingEl = document.getElementById('typing');
  const sendRaw = (o) => { if (ws && ws.readyState === 1) ws.send(JSON.stringify(o)); };
  const reportRead = () => { if (lastSeq && panelOpen && document.visibilityState === 'visible') sendRaw({ type: 'read', seq: lastSeq }); };
  function agentTyping(on) {
    clearTimeout(agentTypingTimer);
    typingEl.textContent = on ? '对方正在输入…' : '';
    if (on) agentTypingTimer = setTimeout(() => { typingEl.textContent = ''; }, 6000);
  }

  function line(cls, text) {
    const li = document.createElement('li');
    li.className = cls;
    li.textContent = text;
    log.append(li);
    log.scrollTop = log.scrollHeight;
    return li;
  }

  /** One of our own lines (no content: recalled), recallable by its id when it has one. */
  function ownLine(content, msgId) {
    const li = line('me', content || RECALLED);
    if (!content) li.classList.add('recalled');
    if (!msgId) return li; // sent by a client without ids
    li.dataset.msgId = msgId;
    if (content) window.kefuVisitorUi.recallable(li, msgId, (id) => sendRaw({ type: 'recall', msgId: id }));
    return li;
  }

  /** An agent's line, live or from the history (no content: recalled). */
  function agentLine({ kfName, kfId, content, seq }) {
    const li = line('agent', (kfName || kfId) + '：' + (content || RECALLED));
    if (seq) li.dataset.seq = seq;
    if (!content) li.classList.add('recalled');
    return li;
  }

  /** The conversation so far, on a page opened anew: above whatever this page shows already. */
  function showHistory(f) {
    const lines = document.createDocumentFragment();
    for (const l of f.lines) {
      if (l.from === 'visitor' && l.msgId) {
        log.querySelector('li[data-msg-id="' + CSS.escape(String(l.msgId)) + '"]')?.remove(); // stored: shown in its place
      }
      // Out of the log's end, into the history.
      lines.append(l.from === 'visitor' ? ownLine(l.content, l.msgId) : agentLine(l));
    }
    log.prepend(lines);
    if (f.lastSeq > lastSeq) lastSeq = f.lastSeq;
    log.scrollTop = log.scrollHeight;
  }

  let retries = 0; // failed attempts since the socket was last open
  let asked = false; // for the conversation so far (once per page)
  function connect() {
    const resume = localStorage.getItem(secretKey);
    const history = !asked && !lastSeq && (resume || sig);
    asked = true;
    ws = new WebSocket(base + (department ? '&department=' + encodeURIComponent(department) : '') +
      (lastSeq ? '&lastSeq=' + lastSeq : '') + (history ? '&history=1' : '') + (resume ? '&resume=' + encodeURIComponent(resume) : ''));
    status.dataset.state = 'connecting';
    ws.onopen = () => {
      retries = 0;
      status.dataset.state = 'open';
      status.textContent = '已连接';
      // Where the customer is first, then what waits to be sent: the agent reads the page anew
      // when a message comes.
      sendRaw({
        type: 'context',
        url: withoutSecrets(params.get('pageUrl') || location.href),
        title: params.get('pageTitle') || document.title,
        referrer: withoutSecrets(params.get('referrer') || document.referrer),
        language: navigator.language,
      });
      for (const frame of unacked.values()) ws.send(frame);
      ping = setInterval(() => ws.readyState === 1 && ws.send('{"type":"ping"}'), 30000);
    };
    ws.onmessage = (e) => {
      let f;
      try { f = JSON.parse(e.data); } catch (_) { return; }
      if (f.type === 'message') {
        if (f.seq && f.seq <= lastSeq) return; // already shown
        if (f.seq) lastSeq = f.seq;
        agentTyping(false);
        agentLine(f);
        countUnread(true);
        reportRead();
      } else if (f.type === 'history' && Array.isArray(f.lines)) showHistory(f);
      else if (f.type === 'ack') { unacked.delete(f.msgId); saveUnacked(); }
      else if (f.type === 'status') {
        if (f.resume) localStorage.setItem(secretKey, f.resume);
        status.textContent = f.text; status.dataset.conversation = f.state; if (f.text) line('system', f.text);
        if (f.position) status.dataset.position = f.position; else delete status.dataset.position; // place in the queue
        window.kefuVisitorUi.state(f);
      }
      else if (f.type === 'notice') { line('system', f.text); countUnread(false); }
      else if (f.type === 'offline') { line('system', f.text); window.kefuVisitorUi.state({ state: 'offline' }); }
      else if (f.type === 'departments' && Array.isArray(f.list)) window.kefuVisitorUi.departments(f.list, f.text);
      else if (f.type === 'department') {
        department = f.id;
        try { sessionStorage.setItem(departmentKey, String(f.id)); } catch (_) { /* off */ }
        window.kefuVisitorUi.department(f);
      }
      else if (f.type === 'rated') window.kefuVisitorUi.rated(f);
      else if (f.type === 'left') window.kefuVisitorUi.left(f);
      else if (f.type === 'answers') window.kefuVisitorUi.answers(f.items || []);
      else if (f.type === 'recall') {
        const li = f.msgId ? log.querySelector('li[data-msg-id="' + CSS.escape(String(f.msgId)) + '"]')
          : log.querySelector('li[data-seq="' + CSS.escape(String(f.seq)) + '"]');
        if (f.error) line('system', '撤回失败：' + f.error);
        else if (li) { li.textContent = RECALLED; li.classList.add('recalled'); }
      }
      else if (f.type === 'error') line('system', '错误：' + f.error);
      else if (f.type === 'hello') peek = f.peek === true;
      else if (f.type === 'typing') agentTyping(f.typing === true);
      else if (f.type === 'read' && Array.isArray(f.msgIds)) {
        for (const id of f.msgIds) {
          const li = log.querySelector('li[data-msg-id="' + CSS.escape(String(id)) + '"]');
          if (li && !li.dataset.read) {
            li.dataset.read = '1';
            const mark = document.createElement('span');
            mark.className = 'read-mark';
            mark.textContent = '已读';
            li.append(mark);
          }
        }
      }
    };
    ws.onclose = (e) => {
      clearInterval(ping);
      if (e.code === 4403) { // this id is someone else's conversation (or our secret was lost)
        status.dataset.state = 'refused';
        status.textContent = '无法恢复此会话，请刷新页面开始新的咨询。';
        if (ownId) { localStorage.removeItem('kefuVisitorId'); localStorage.removeItem(secretKey); localStorage.removeItem(unackedKey); }
        return;
      }
      status.dataset.state = 'reconnecting';
      status.textContent = '连接中断，正在重连……';
      // The first retry comes at once (spread over 0.5 s so that every page does not arrive in
      // the same millisecond): a cluster's other nodes take over at once (1012: routing moved).
      setTimeout(connect, retries++ === 0 ? 50 + Math.random() * 400 : 3000);
    };
  }

  function send(content) {
    if (!content.trim()) return;
    const msgId = token + '-' + (++counter);
    const frame = JSON.stringify({ type: 'message', content, msgId });
    unacked.set(msgId, frame);
    saveUnacked();
    if (ws && ws.readyState === 1) ws.send(frame);
    ownLine(content, msgId);
    typingOn = false; // the server and the agent clear it with the message
    typingSentAt = 0; // the next keystroke starts a new signal at once
    clearTimeout(trailing);
    trailing = null;
  }

  // Our typing: at most one signal every 2 s (with peek, the text at most once a second); a
  // stop when the input is emptied.
  // The last change inside a window goes out when it ends (with peek, so the agent sees the
  // latest text, not the first keystroke).
  let trailing = null;
  const input = document.getElementById('text');
  function typingSignal() {
    const text = input.value;
    if (!text) {
      clearTimeout(trailing);
      trailing = null;
      if (typingOn) sendRaw({ type: 'typing', typing: false });
      typingOn = false;
      return;
    }
    const wait = typingSentAt + (peek ? 1000 : 2000) - Date.now();
    if (wait > 0) {
      if (peek && !trailing) trailing = setTimeout(() => { trailing = null; typingSignal(); }, wait);
      return;
    }
    typingSentAt = Date.now();
    typingOn = true;
    sendRaw(peek ? { type: 'typing', typing: true, text } : { type: 'typing', typing: true });
  }
  input.addEventListener('input', typingSignal);
  input.addEventListener('input', () => { try { sessionStorage.setItem(draftKey, input.value); } catch (_) { /* off */ } });
  // What an earlier page of this site sent without its being stored, and was typing.
  try {
    for (const [msgId, frame] of JSON.parse(localStorage.getItem(unackedKey) || '[]')) {
      unacked.set(msgId, frame);
      ownLine(JSON.parse(frame).content, msgId);
    }
    input.value = sessionStorage.getItem(draftKey) || '';
  } catch (_) { localStorage.removeItem(unackedKey); }
  document.addEventListener('visibilitychange', reportRead);

  document.getElementById('form').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = document.getElementById('text');
    send(input.value);
    input.value = '';
    try { sessionStorage.removeItem(draftKey); } catch (_) { /* off */ }
  });
  window.kefuVisitor = { userId, userName, send, sendRaw, unacked: () => unacked.size };
  // Only to chat servers this deployment lists (kefu-config.json): a link with ?server= elsewhere
  // must not carry the customer's id, signature or words to another host.
  fetch('kefu-config.json', { cache: 'no-cache' })
    .then((r) => (r.ok ? r.json() : {}))
    .catch(() => ({}))
    .then((c) => {
      const allowed = [location.origin, ...(Array.isArray(c.chatServers) ? c.chatServers : [])].map((s) => String(s).replace(/\/+$/, ''));
      if (!allowed.includes(server)) {
        status.dataset.state = 'refused';
        status.textContent = '聊天服务器 ' + server + ' 未被本站允许，已拒绝连接。';
        return;
      }
      connect();
    });
})();
