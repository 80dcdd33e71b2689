// The supervisor's live board (extension `board`: the server offers it to supervisors' sockets
// only, and pushes it on every change — nothing here polls). A 看板 button opens it: every agent
// with presence (changeable), load / cap (changeable) and their conversations, each with its timer
// coloured by thresholds and 监听 (silent monitor) / 悄悄话 / 加入 (barge-in) / 转接 / 结束 actions; the queue with each customer's wait and who it
// is offered to; alarms when the queue, a wait or an unanswered customer passes a threshold
// (`?queueAlarm=`, `?waitAlarmS=`, `?replyAlarmS=`). Timers tick here from the board's instants.
// Every name is set as text.
import { $id, api, deployment, el, layimId, params, toast } from './util.js';
import { joined } from './chats.js';
import { PRESENCE_TEXT } from './presence.js';
import { departmentFilter } from './board-departments.js';

const QUEUE_ALARM = Number(params.get('queueAlarm')) || 5;
const WAIT_ALARM_S = Number(params.get('waitAlarmS')) || 120;
/** Seconds a customer may wait for a reply: `?replyAlarmS=`, else the server's `--reply-alarm-secs`. */
const replyAlarmS = () => Number(params.get('replyAlarmS')) || deployment.replyAlarmSecs || 180;

const mmss = (ms) => {
  const s = Math.max(0, Math.floor(ms / 1000));
  return Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
};

/** What a conversation's timer shows: since when, and what it waits for (null: nothing). */
export function conversationTimer(c) {
  if (c.lastAgentAt == null) return { since: c.lastVisitorAt ?? c.startedAt, label: '首次响应', limit: replyAlarmS() };
  if (c.lastVisitorAt != null && c.lastVisitorAt > c.lastAgentAt) return { since: c.lastVisitorAt, label: '待回复', limit: replyAlarmS() };
  return null;
}

/** The board panel and its hooks; `watch(c)` opens a conversation's silent monitor, `chats` the
 * chat window of a conversation the supervisor joins. */
export function board({ watch, chats }) {
  const layer = layui.layer;
  const button = $id('board-btn');
  let latest = null;
  let panel = null;
  let ticker = 0;
  // Another department picked, or the names in: every row is built again (rows show the names).
  const filter = departmentFilter(() => {
    agentsBody = null;
    render();
  });

  const timer = (since, label, limit) => {
    const span = el('span', { className: 'kefu-board-timer' });
    span.dataset.since = String(since);
    span.dataset.label = label;
    span.dataset.limit = String(limit);
    return span;
  };

  /** The thresholds passed now, as text. */
  function alarms(now) {
    if (!latest) return [];
    const out = [];
    if (latest.queue.length >= QUEUE_ALARM) out.push('排队 ' + latest.queue.length + ' 人' + filter.lines(latest.queue));
    const longest = Math.max(0, ...latest.queue.map((q) => now - q.waitingSince));
    if (longest >= WAIT_ALARM_S * 1000) out.push('最长等待 ' + mmss(longest));
    const late = latest.agents.flatMap((a) => a.conversations).map(conversationTimer).filter((t) => t && now - t.since >= replyAlarmS() * 1000);
    if (late.length) out.push(late.length + ' 位客户等待回复超过 ' + mmss(replyAlarmS() * 1000));
    return out;
  }

  /** Once a second while the board is on: the button's alarm mark, and the open panel's timers. */
  function tick() {
    const now = Date.now();
    const list = alarms(now);
    button.dataset.alarm = list.length ? 'on' : 'off';
    if (!panel) return;
    for (const t of visibleTimers()) {
      const ms = now - Number(t.dataset.since);
      t.textContent = t.dataset.label + ' ' + mmss(ms);
      const limit = Number(t.dataset.limit) * 1000;
      t.dataset.level = ms >= limit ? 'red' : ms >= limit / 3 ? 'amber' : 'ok';
    }
    const bar = panel.querySelector('.kefu-board-alarm');
    bar.textContent = list.length ? '⚠ ' + list.join('　') : '';
    bar.hidden = !list.length;
  }

  const act = (promise, done) => promise.then((r) => toast(done || r.msg), (e) => toast('操作失败：' + e.message));

  /** Reassign `c` from agent `from` to an online agent its partition routes (a partitioned cluster). */
  function pickAgent(c, from) {
    const online = latest.agents.filter((a) => a.online && a.kfId !== from.kfId && (a.partition ?? null) === (from.partition ?? null));
    if (!online.length) return toast('暂无其他在线客服');
    const list = el('div', { className: 'kefu-transfer-list' });
    for (const a of online) list.append(el('button', { type: 'button', className: 'layui-btn layui-btn-primary layui-btn-sm', textContent: a.name + '（' + a.conversations.length + '/' + a.maxConversations + '）' }));
    const index = layer.open({ type: 1, title: '转给', area: '320px', content: list.outerHTML, success(layero) {
      layero.find('button').each(function (i) {
        this.onclick = () => { layer.close(index); act(api('supervisor/reassign', { body: { userId: c.userId, toKfId: online[i].kfId } }), '已转接'); };
      });
    } });
  }

  function whisper(c) {
    layer.prompt({ formType: 2, title: '悄悄话（只有客服看得到）', maxlength: 5000 }, (text, index) => {
      layer.close(index);
      act(api('supervisor/whisper', { body: { userId: c.userId, content: text } }), '已发送');
    });
  }

  /** Barge in: the customer's chat opens here; what the supervisor writes in it they see. */
  function join(c) {
    api('supervisor/join', { body: { userId: c.userId } }).then(() => {
      joined.add(layimId(c.userId));
      chats.open({ id: c.userId, userName: c.userName });
      toast('已加入会话：客户看得到你的消息（退出此会话即离开）');
    }, (e) => toast('加入失败：' + e.message));
  }

  function end(c) {
    const name = document.createElement('span');
    name.textContent = c.userName || c.userId;
    layer.confirm('结束与 ' + name.innerHTML + ' 的会话？', { title: '结束会话' }, (index) => {
      layer.close(index);
      act(api('supervisor/end', { body: { userId: c.userId } }), '会话已结束');
    });
  }

  /** The conversations of agent `a` into `convs` (a row's list). */
  function fillConversations(convs, a) {
    for (const c of a.conversations) {
      const t = conversationTimer(c);
      convs.append(el('li', { className: c.inactive ? 'kefu-inactive' : '' }, el('span', { textContent: c.userName || c.userId }),
        c.inactive ? el('small', { textContent: '（无活动，不占上限）' }) : t && timer(t.since, t.label, t.limit),
        // Another partition's row (a partitioned cluster): watched and joined from a console there.
        ...(a.partition ? [] : [el('button', { type: 'button', className: 'layui-btn layui-btn-xs layui-btn-primary', textContent: '监听', onclick: () => watch(c) })]),
        el('button', { type: 'button', className: 'layui-btn layui-btn-xs layui-btn-primary', textContent: '悄悄话', onclick: () => whisper(c) }),
        ...(a.partition ? [] : [el('button', { type: 'button', className: 'layui-btn layui-btn-xs layui-btn-primary', textContent: '加入', onclick: () => join(c) })]),
        el('button', { type: 'button', className: 'layui-btn layui-btn-xs layui-btn-primary', textContent: '转接', onclick: () => pickAgent(c, a) }),
        el('button', { type: 'button', className: 'layui-btn layui-btn-xs layui-btn-danger', textContent: '结束', onclick: () => end(c) })));
    }
  }

  /** A button showing `label` that becomes the control `make()` builds when the supervisor clicks
   * it (or presses it from the keyboard), focused; it turns back into the button when it loses
   * focus or on Escape. Rows hold no form controls otherwise: at every update that rebuilt a row,
   * 200 rows of selects and inputs cost a 50–80 ms task of Chrome's autofill looking them over. */
  function onDemand(label, title, make) {
    const button = el('button', { type: 'button', className: 'kefu-board-edit', textContent: label, title });
    button.onclick = () => {
      const control = make();
      const back = () => {
        if (!control.isConnected) return;
        control.removeEventListener('blur', back); // removing a focused element fires blur
        control.replaceWith(button);
        render(); // the row may have changed while it was being edited
      };
      control.addEventListener('blur', back);
      control.addEventListener('keydown', (e) => {
        if (e.key !== 'Escape') return;
        const kfId = control.closest('tr')?.dataset.kfId;
        back();
        // The row may have been rebuilt: its button of the same title takes the focus.
        const again = button.isConnected ? button : [...(agentsBody?.rows || [])].find((r) => r.dataset.kfId === kfId)?.querySelector(`.kefu-board-edit[title="${title}"]`);
        again?.focus();
      });
      button.replaceWith(control);
      control.focus();
      if (control.tagName === 'SELECT') try { control.showPicker(); } catch { /* older engines: focused is enough */ }
      else control.select?.();
    };
    return button;
  }

  /** Agent `a`'s row; with `later`, its conversations are filled in after it is on screen. */
  function agentRow(a, later) {
    const presenceText = a.online ? PRESENCE_TEXT[a.presence] || a.presence : '离线';
    const presenceCell = el('td', {}, a.online ? onDemand(presenceText + ' ▾', '设置状态', () => {
      const presence = el('select', { className: 'kefu-board-presence', ariaLabel: a.name + ' 的状态' });
      for (const [v, t] of Object.entries(PRESENCE_TEXT)) presence.append(el('option', { value: v, textContent: t, selected: v === a.presence }));
      presence.onchange = () => act(api('agents/presence', { body: { kfId: a.kfId, presence: presence.value } }), '已设置');
      return presence;
    }) : el('span', { textContent: presenceText }));
    const capCell = el('td', {}, String(a.conversations.length) + ' / ', onDemand(String(a.maxConversations), '会话上限（点击修改）', () => {
      const cap = el('input', { type: 'number', min: 0, max: 1000, className: 'kefu-board-cap', ariaLabel: a.name + ' 的会话上限', value: String(a.maxConversations) });
      cap.onchange = () => act(api('agents/capacity', { body: { kfId: a.kfId, maxConversations: Number(cap.value) } }), '已设置');
      return cap;
    }));
    const convs = el('ul', { className: 'kefu-board-convs' });
    if (!later) fillConversations(convs, a);
    const csat = a.ratings ? el('div', { className: 'kefu-board-csat', textContent: '评价 ' + a.ratingAverage.toFixed(1) + ' ★（' + a.ratings + '）' }) : null;
    const groups = (a.departments || []).length ? el('div', { className: 'kefu-board-groups', textContent: a.departments.map(filter.name).join(' · ') }) : null;
    const row = el('tr', {}, el('td', {}, el('b', { textContent: a.name }), ' ', el('small', { textContent: a.kfId }), groups, csat),
      presenceCell, capCell, el('td', {}, convs));
    row.dataset.kfId = a.kfId;
    row.dataset.online = String(a.online);
    return row;
  }

  // The open panel's tables, and each agent's row with the board data it was built from: an
  // update rebuilds only the rows whose agent changed (200 agents with 2 000 conversations took
  // ~0.9 s per board when every row was rebuilt; docs/performance.md).
  let agentsBody = null, queueBody = null, queueTitle = null;
  const rows = new Map();
  // Only the rows in view have their timers ticked (a row coming into view is brought up to date).
  const visible = new Set();
  let seer = null;
  const visibleTimers = () => [...queueBody?.querySelectorAll('.kefu-board-timer') || [], ...[...visible].flatMap((r) => [...r.querySelectorAll('.kefu-board-timer')])];

  function skeleton() {
    seer?.disconnect();
    visible.clear();
    seer = new IntersectionObserver((entries) => {
      for (const e of entries) {
        placed.add(e.target);
        if (e.isIntersecting) visible.add(e.target); else visible.delete(e.target);
      }
      tick();
    }, { root: panel, rootMargin: "50% 0px" }); // what content-visibility: auto lays out too
    agentsBody = el('tbody');
    queueBody = el('tbody');
    queueTitle = el('h3');
    rows.clear();
    const head = (...names) => el('thead', {}, el('tr', {}, ...names.map((n) => el('th', { textContent: n }))));
    panel.querySelector('.kefu-board-body').replaceChildren(
      el('h3', { textContent: '客服' }), el('table', { className: 'layui-table kefu-board-agents' }, head('客服', '状态', '负载 / 上限', '会话'), agentsBody),
      queueTitle, el('table', { className: 'layui-table kefu-board-queue' }, head('客户', '部门', '等待', '分配给'), queueBody));
  }

  // A new row's conversations (each with its timer and five buttons) are filled in after the row
  // is on screen, at most FILL_IN_VIEW of them per frame in rows in view or not yet placed (rows
  // out of view are skipped by the browser's layout, so they fill within FILL_MS; at 8 ms the
  // frame's task still passed 50 ms in 2 of 5 first boards, at 4 ms in 1 of 10): the first
  // board's rows in view were otherwise one layout of ~3 600 boxes, a task of 110 ms.
  const FILL_IN_VIEW = 15;
  const FILL_MS = 4;
  const unfilled = [];
  const placed = new WeakSet(); // rows the IntersectionObserver has reported on
  let filling = 0;
  function fillLater(row, a) {
    unfilled.push([row, a]);
    if (!filling) filling = requestAnimationFrame(fillSome);
  }
  function fillSome() {
    filling = 0;
    const until = performance.now() + FILL_MS;
    let inView = 0;
    while (unfilled.length && inView < FILL_IN_VIEW && performance.now() < until) {
      const [row, a] = unfilled.shift();
      if (rows.get(a.kfId)?.row !== row) continue; // replaced or gone since
      fillConversations(row.querySelector('.kefu-board-convs'), a);
      if (visible.has(row) || !placed.has(row)) inView += a.conversations.length;
    }
    tick();
    if (unfilled.length) filling = requestAnimationFrame(fillSome);
  }
  function stopFilling() {
    unfilled.length = 0;
    cancelAnimationFrame(filling);
    filling = 0;
  }

  // Rows are built for at most BUILD_MS and BUILD_ROWS per task; the rest in the next (the first
  // board of 200 agents was one task of up to 236 ms; with no row cap the first frame laid out
  // ~80 new rows at once, a 50–70 ms task). A newer board arriving meanwhile is the one continued.
  const BUILD_MS = 12;
  const BUILD_ROWS = 25;
  let resume = 0;
  function render() {
    clearTimeout(resume);
    if (!panel || !latest) return;
    if (!agentsBody) skeleton();
    const until = performance.now() + BUILD_MS;
    let built = 0;
    const editor = document.activeElement?.matches('#kefu-board select, #kefu-board input') ? document.activeElement : null;
    const seen = new Set();
    let prev = null;
    for (const a of latest.agents) {
      if (!filter.agent(a)) continue;
      let r = rows.get(a.kfId);
      // A row the server did not resend (extension `boardDelta`) is the same object: not compared.
      const key = r && r.data === a ? r.key : JSON.stringify(a);
      // A row whose presence or cap is being edited is not rebuilt under the supervisor's hands:
      // it is brought up to date when the editor closes.
      const editing = editor && r && r.row.contains(editor);
      if ((!r || r.key !== key) && !editing) {
        if (performance.now() > until || built >= BUILD_ROWS) {
          resume = setTimeout(render);
          return;
        }
        built++;
        const row = agentRow(a, !r); // a changed row is rebuilt whole: no flicker on an update
        if (!r) fillLater(row, a);
        if (r) {
          seer.unobserve(r.row);
          visible.delete(r.row);
          r.row.replaceWith(row);
        }
        seer.observe(row);
        r = { key, row, data: a };
        rows.set(a.kfId, r);
      } else if (r.key === key) {
        r.data = a;
      }
      const want = prev ? prev.nextSibling : agentsBody.firstChild;
      if (r.row !== want) agentsBody.insertBefore(r.row, want);
      prev = r.row;
      seen.add(a.kfId);
    }
    for (const [kfId, r] of rows) {
      if (!seen.has(kfId)) {
        seer.unobserve(r.row);
        visible.delete(r.row);
        r.row.remove();
        rows.delete(kfId);
      }
    }
    // The queue a frame later: its rows would otherwise be laid out with the first agents' rows.
    cancelAnimationFrame(queueing);
    queueing = requestAnimationFrame(renderQueue);
    tick();
  }

  let queueing = 0;
  function renderQueue() {
    if (!panel || !latest || !queueBody) return;
    queueBody.replaceChildren();
    const shown = latest.queue.filter(filter.waiting);
    for (const q of shown) {
      queueBody.append(el('tr', {}, el('td', { textContent: q.userName || q.userId }), el('td', { textContent: q.department ? filter.name(q.department) : '—' }),
        el('td', {}, timer(q.waitingSince, '等待', WAIT_ALARM_S)), el('td', { textContent: q.offeredTo || '—' })));
    }
    if (!shown.length) queueBody.append(el('tr', {}, el('td', { colSpan: 4, textContent: '无人排队' })));
    queueTitle.textContent = '排队（' + shown.length + (filter.active() ? '，全部 ' + latest.queue.length : '') + '）';
    filter.count(latest.queue);
    tick();
  }

  function toggle() {
    if (panel) {
      panel.remove();
      panel = null;
      agentsBody = null;
      stopFilling();
      seer?.disconnect();
      visible.clear();
      button.setAttribute('aria-expanded', 'false');
      return;
    }
    panel = el('section', { id: 'kefu-board', className: 'kefu-board', ariaLabel: '看板' },
      el('div', { className: 'kefu-board-alarm', hidden: true, role: 'alert' }), filter.element, el('div', { className: 'kefu-board-body' }));
    document.body.append(panel);
    button.setAttribute('aria-expanded', 'true');
    render();
    filter.load();
  }
  button.onclick = toggle;

  return {
    hooks: {
      onExtensions({ features }) {
        button.hidden = !features.includes('board');
        clearInterval(ticker);
        if (!button.hidden) ticker = setInterval(tick, 1000);
      },
      onBoard(b) {
        latest = b;
        if (panel) render();
        else tick();
      },
    },
  };
}
