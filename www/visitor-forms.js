// The visitor page's forms (loaded before visitor.js, which calls these): leave a message (留言)
// when nobody can answer, rate the conversation after it ends, the answers to messages left, and
// recalling one's own message within the window. Everything shown goes through textContent.
(function () {
  const RECALL_MS = 2 * 60 * 1000;
  const $ = (id) => document.getElementById(id);
  const send = (o) => window.kefuVisitor && window.kefuVisitor.sendRaw(o);
  const system = (text) => {
    const li = document.createElement('li');
    li.className = 'system';
    li.textContent = text;
    $('log').append(li);
    $('log').scrollTop = $('log').scrollHeight;
  };

  // Leave a message: shown while the desk is offline, hidden once a conversation starts. What is
  // typed in it is kept for this tab until it is sent, so another page of the site finds it.
  const leave = $('leave');
  const LEAVE_DRAFT = 'kefuVisitorLeaveDraft';
  const FIELDS = ['name', 'contact', 'content'];
  try {
    const kept = JSON.parse(sessionStorage.getItem(LEAVE_DRAFT) || '{}');
    for (const n of FIELDS) if (typeof kept[n] === 'string') leave.elements[n].value = kept[n];
  } catch (_) { /* storage off or a broken draft: an empty form */ }
  leave.addEventListener('input', () => {
    try { sessionStorage.setItem(LEAVE_DRAFT, JSON.stringify(Object.fromEntries(FIELDS.map((n) => [n, leave.elements[n].value])))); } catch (_) { /* off */ }
  });
  leave.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = (n) => leave.elements[n].value.trim();
    if (!v('name') || !v('contact') || !v('content')) return system('请填写称呼、联系方式和留言内容。');
    send({ type: 'leaveMessage', name: v('name'), contact: v('contact'), content: v('content') });
  });

  // Rating: 1–5 stars and an optional comment, once per ended conversation.
  const rate = $('rate');
  let stars = 0;
  rate.querySelectorAll('button[data-stars]').forEach((b) => {
    b.addEventListener('click', () => {
      stars = Number(b.dataset.stars);
      rate.querySelectorAll('button[data-stars]').forEach((x) => x.setAttribute('aria-pressed', String(Number(x.dataset.stars) <= stars)));
    });
  });
  rate.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!stars) return system('请先选择星级。');
    const comment = rate.elements.comment.value.trim();
    send(comment ? { type: 'rate', stars, comment } : { type: 'rate', stars });
  });

  // The departments to pick from, when the desk asks (typing a question without picking is fine).
  const picker = $('departments');
  const pick = (list, text) => {
    picker.replaceChildren();
    const label = document.createElement('p');
    label.textContent = text || '请选择您要咨询的服务';
    picker.append(label);
    for (const d of list) {
      const b = document.createElement('button');
      b.type = 'button';
      b.dataset.department = String(d.id);
      b.textContent = String(d.name);
      b.addEventListener('click', () => send({ type: 'department', id: String(d.id) }));
      picker.append(b);
    }
    picker.hidden = !list.length;
  };

  window.kefuVisitorUi = {
    departments: pick,
    /** The department is set (picked here, or from the page's URL). */
    department(f) {
      picker.hidden = true;
      system('已为您选择：' + f.name);
    },
    /** A status frame: offline shows the form (until a conversation starts), ended (with `rate`)
     * the rating. */
    state(f) {
      if (f.state === 'offline') leave.hidden = false;
      else if (f.state === 'assigned' || f.state === 'ended') leave.hidden = true;
      if (f.state === 'assigned') picker.hidden = true;
      if (f.state === 'ended' && f.rate) {
        rate.hidden = false;
        stars = 0;
        rate.reset();
      } else if (f.state === 'assigned' || f.state === 'waiting') rate.hidden = true;
    },
    rated(f) {
      if (f.error) return system('评价失败：' + f.error);
      rate.hidden = true;
      system('感谢您的评价（' + '★'.repeat(f.stars) + '）');
    },
    left(f) {
      leave.reset();
      try { sessionStorage.removeItem(LEAVE_DRAFT); } catch (_) { /* off */ }
      leave.hidden = true;
      system(f.text);
    },
    answers(items) {
      const box = $('answers');
      box.replaceChildren();
      for (const m of items) {
        const li = document.createElement('li');
        const q = document.createElement('div');
        q.textContent = '您的留言：' + m.content;
        const a = document.createElement('div');
        a.className = 'answer';
        a.textContent = m.answer ? '回复：' + m.answer : '等待回复中';
        li.append(q, a);
        box.append(li);
      }
      box.hidden = !items.length;
    },
    /** A 撤回 button on one's own message for the recall window. */
    recallable(li, msgId, recall) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'recall';
      b.textContent = '撤回';
      b.addEventListener('click', () => { recall(msgId); b.remove(); });
      li.append(b);
      setTimeout(() => b.remove(), RECALL_MS - 5000);
    },
  };
})();
