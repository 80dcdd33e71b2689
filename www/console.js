// The agent console: wires the wasm AgentSession (socket, heartbeat, reconnect, dispatch) to an
// unmodified-API LayIM (patched only as layim-patches/ describes). All customer-controlled strings
// (names, ids, messages, phrases) are untrusted: names are escaped before LayIM's raw {{ }}
// templates, ids are hex-encoded into LayIM ids, and text goes through textContent or LayIM's
// patched content() filter.
import init, { AgentSession } from './pkg/kefu_agent.js';

const params = new URLSearchParams(location.search);
const server = (params.get('server') || location.origin).replace(/\/+$/, '');
const kfId = params.get('kfId');
// Optional auth token (kefu-server --auth-token): sent with every API call and in the socket URL.
const token = params.get('token');
const withToken = (url) => (token ? url + (url.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token) : url);
const CUSTOMER_AVATAR = 'images/customer.svg';
const AGENT_AVATAR = 'images/agent.svg';
const BASE_TITLE = document.title;
const $id = (id) => document.getElementById(id);

// ---- small helpers ---------------------------------------------------------------------------

const escBox = document.createElement('div');
/** HTML-escapes text with the browser's own serializer (quotes added for attribute contexts). */
function esc(text) {
  escBox.textContent = text == null ? '' : String(text);
  return escBox.innerHTML.replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const enc = new TextEncoder();
const dec = new TextDecoder();
/** A customer id as a LayIM id: 'h' + hex of its UTF-8, safe in class names and selectors. */
function layimId(id) {
  return 'h' + Array.from(enc.encode(String(id)), (b) => b.toString(16).padStart(2, '0')).join('');
}
/** The customer ids seen, by LayIM id, with their original type (string or number). */
const customers = new Map();
function remember(id, userName) {
  const lid = layimId(id);
  customers.set(lid, { id, userName });
  return lid;
}

/** Only http(s) and same-origin absolute paths are used as image URLs. */
function safeUrl(url, fallback) {
  return typeof url === 'string' && /^(https?:\/\/|\/(?!\/)|images\/)/i.test(url) ? url : fallback;
}

function timestamp(t) {
  if (typeof t === 'number') return t;
  const n = Number(t);
  if (t != null && t !== '' && Number.isFinite(n)) return n;
  const parsed = Date.parse(t);
  return Number.isFinite(parsed) ? parsed : Date.now();
}

async function api(path, options = {}) {
  const res = await fetch(withToken(server + '/' + path), {
    method: options.body ? 'POST' : 'GET',
    headers: options.body ? { 'content-type': 'application/json' } : {},
    body: options.body ? JSON.stringify(options.body) : undefined,
  });
  let json = null;
  try { json = await res.json(); } catch (_) { /* not JSON */ }
  if (!res.ok || !json || json.code !== 0) {
    throw new Error((json && json.msg) || ('HTTP ' + res.status));
  }
  return json;
}

// A short notice at the top of the page, as text (never HTML). Not layer.msg: LayIM's layer closes
// every open dialog when a msg opens, so a toast for a new customer used to close the agent's
// accept dialog under the mouse.
let toastTimer = 0;
function toast(text) {
  let el = document.getElementById('kefu-toast');
  if (!el) {
    el = document.createElement('div');
    el.id = 'kefu-toast';
    el.className = 'kefu-toast';
    el.setAttribute('role', 'status');
    el.setAttribute('aria-live', 'polite');
    document.body.appendChild(el);
  }
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 3000);
}

// Every hook the console implements (the session is created before the UI, with forwarders).
const HOOK_NAMES = ['onStateChange', 'onMessage', 'onCustomerWaiting', 'onQueueChange', 'onOfferWithdrawn', 'onTransferRequest',
  'onTransferRejected', 'onHeartbeat', 'onMessageStatus', 'onFrameRejected'];

function errorText(e) {
  return e && e.code === 'NOT_CONNECTED' ? '连接已断开，请稍后再试' : (e && e.message) || String(e);
}

// ---- login -----------------------------------------------------------------------------------

if (!kfId) {
  $id('login').hidden = false;
  $id('hint').hidden = true;
  $id('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const p = new URLSearchParams(location.search);
    p.set('kfId', new FormData(e.target).get('kfId'));
    location.search = p.toString();
  });
} else {
  start().catch((e) => {
    console.error(e);
    $id('hint').textContent = '启动失败：' + e.message;
  });
}

async function start() {
  sessionStorage.setItem('kefuServer', server);
  if (token) sessionStorage.setItem('kefuToken', token);
  const layimReady = new Promise((resolve) => layui.use(['layim', 'layer'], resolve));
  const info = api('personalConfig/getInfo?kfId=' + encodeURIComponent(kfId)).then((r) => r.data, () => null);
  // The session connects as soon as the wasm is compiled (by streaming) and the profile is known,
  // while LayIM is still loading. Until the UI is ready its events wait here, in order, and are
  // replayed then: nothing that arrives early (a replayed message, an offer) is lost.
  const early = [];
  let ui = null;
  const forward = {};
  for (const name of HOOK_NAMES) {
    forward[name] = (e) => {
      if (name === 'onStateChange' && e.state === 'open' && !performance.getEntriesByName('kefu:socket-open').length) {
        performance.mark('kefu:socket-open'); // start-up benchmark (scripts/bench.sh)
      }
      if (ui) ui[name](e);
      else early.push([name, e]);
    };
  }
  const sessionReady = Promise.all([init(), info]).then(([, profile]) => {
    const s = new AgentSession({
      serverUrl: withToken(server + '/'),
      kfId,
      kfName: (profile && profile.name) || kfId,
      logLevel: params.get('log') || 'warn',
    }, forward);
    s.connect();
    return s;
  });
  const layim = await layimReady;
  const layer = layui.layer;
  const $ = layui.$;
  window.kefu = { layim, customers, received: 0, rendered: 0, lastRenderAt: 0 };

  const mine = { username: esc(kfId), id: kfId, status: 'online', sign: '', avatar: AGENT_AVATAR };
  const config = () => ({
    brief: true,
    init: { mine },
    uploadImage: { url: withToken(server + '/upload/image'), type: 'post' },
    chatLog: 'chatlog.html',
    notice: false,
    maxLength: 5000,
  });
  layim.config(config());
  performance.mark('kefu:layim-ready'); // start-up benchmark (scripts/bench.sh)

  const profile = await info;
  if (profile) {
    mine.username = esc(profile.name || kfId);
    mine.avatar = safeUrl(profile.image, AGENT_AVATAR);
    layim.config(config());
  }
  $id('agent-name').textContent = (profile && profile.name) || kfId;

  const session = await sessionReady;

  // ---- the chat windows --------------------------------------------------------------------

  function chatData(c) {
    const lid = remember(c.id, c.userName);
    const name = esc(c.userName);
    return { id: lid, type: 'kefu', name, username: name, avatar: CUSTOMER_AVATAR, userId: c.id };
  }

  function isOpen(lid) {
    return $('.layim-chatlist-kefu' + lid).length > 0;
  }

  function openChat(c) {
    const data = chatData(c);
    if (!isOpen(data.id)) {
      layim.chat(data);
    }
    return data;
  }

  function systemLine(c, text) {
    const data = openChat(c);
    layim.getMessage({ system: true, id: data.id, type: 'kefu', content: text });
  }

  // ---- notifications -----------------------------------------------------------------------

  let unread = 0;
  function notifyHidden(title, body, n = 1) {
    if (!document.hidden) return;
    unread += n;
    document.title = '(' + unread + ') ' + BASE_TITLE;
    if ('Notification' in window && Notification.permission === 'granted') {
      try { new Notification(title, { body, icon: CUSTOMER_AVATAR, tag: 'kefu' }); } catch (_) { /* unsupported */ }
    }
  }
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) {
      unread = 0;
      document.title = BASE_TITLE;
    }
  });
  const notifyBtn = $id('enable-notify');
  if ('Notification' in window && Notification.permission === 'default') {
    notifyBtn.hidden = false;
    notifyBtn.addEventListener('click', () => {
      Notification.requestPermission().finally(() => { notifyBtn.hidden = true; });
    });
  }

  // ---- the session -------------------------------------------------------------------------

  const chip = $id('conn-chip');
  const CHIP_TEXT = { idle: '未连接', connecting: '连接中', open: '已连接', reconnecting: '重新连接中', closed: '已断开' };
  let everOpen = false;
  const messageStates = new Map(); // localId -> { status, reason }

  function showMessageStatus(localId) {
    const st = messageStates.get(localId);
    const el = document.querySelector('[data-local-id="' + localId + '"] .kefu-msg-status');
    if (!st || !el) return;
    el.dataset.status = st.status;
    el.textContent = st.status === 'held' ? '等待网络，恢复后自动发送' : st.status === 'failed' ? '发送失败（' + (st.reason || '') + '），点击重试' : st.status === 'acked' ? '已送达' : '已发送';
  }

  // Customer messages are shown in chunks of at most INBOX_CHUNK per task, through LayIM's batch
  // insert (layim-patches/05: one chat-log write, one sound, one scroll per chunk), with one toast
  // and one notification per burst: a replay after a reconnect can bring a thousand messages at once,
  // and a toast, a notification and a full LayIM insert each froze the page for a minute.
  const INBOX_CHUNK = 40;
  let inbox = []; // a drain is scheduled whenever this is not empty
  let burst = { count: 0, last: null };
  function toLayim(m) {
    const data = openChat({ id: m.userId, userName: m.userName });
    return { username: data.username, avatar: CUSTOMER_AVATAR, id: data.id, type: 'kefu', content: m.content, timestamp: timestamp(m.createTime) };
  }
  function drainInbox() {
    const chunk = inbox.slice(0, INBOX_CHUNK);
    inbox = inbox.slice(chunk.length);
    layim.getMessages(chunk.map(toLayim));
    window.kefu.rendered += chunk.length;
    burst.count += chunk.length;
    burst.last = chunk[chunk.length - 1];
    if (inbox.length) {
      setTimeout(drainInbox, 0); // yield to input and paint, then go on
      return;
    }
    const { count, last } = burst;
    burst = { count: 0, last: null };
    window.kefu.lastRenderAt = performance.now();
    toast(count > 1 ? '您有 ' + count + ' 条新消息' : '您有新消息');
    notifyHidden(count > 1 ? count + ' 条新消息' : '来自 ' + last.userName + ' 的消息', last.content, count);
  }

  const hooks = {
    onStateChange({ state }) {
      chip.dataset.state = state;
      chip.textContent = CHIP_TEXT[state] || state;
      if (state === 'open') {
        if (everOpen) toast('连接已恢复');
        everOpen = true;
      } else if (state === 'reconnecting' && everOpen) {
        toast('连接中断，正在重连……');
      }
    },
    onMessage(m) {
      window.kefu.received += 1;
      if (inbox.push(m) === 1) setTimeout(drainInbox, 0);
    },
    onCustomerWaiting(c) {
      toast('您有新消息请求接入');
      notifyHidden('新用户请求接入', c.userName);
    },
    onQueueChange({ waiting }) {
      const badge = $id('waiting-count');
      badge.textContent = String(waiting.length);
      badge.className = 'layui-badge' + (waiting.length ? '' : ' layui-bg-gray');
    },
    onOfferWithdrawn(c) {
      toast(c.userName + ' 已不再等待（' + c.reason + '）');
    },
    onTransferRequest(t) {
      notifyHidden('收到转接', t.userName);
      layer.open({
        title: '会话转接',
        content: '您收到一个来自其他客服转接过来的会话消息（用户：' + esc(t.userName) + '），是否接受处理该用户消息？',
        closeBtn: false,
        btn: ['接受', '不接受'],
        btnAlign: 'c',
        yes(index) {
          try {
            session.acceptTransfer(t.id);
          } catch (e) {
            return toast(errorText(e));
          }
          layer.close(index);
          systemLine(t, '系统消息：转接成功');
        },
        btn2(index) {
          try {
            session.rejectTransfer(t.id);
          } catch (e) {
            toast(errorText(e));
            return false;
          }
          layer.close(index);
        },
      });
    },
    onTransferRejected(c) {
      layer.alert('目标客服坐席不接受转接,会话保持');
      systemLine(c, '系统消息：目标客服坐席不接受转接,会话保持');
    },
    onHeartbeat() {},
    onMessageStatus({ localId, status, reason }) {
      messageStates.set(localId, { status, reason });
      showMessageStatus(localId);
    },
    onFrameRejected({ message, total }) {
      console.warn('[kefu] skipped a bad frame (' + total + ' so far): ' + message);
    },
  };

  window.kefu.session = session;
  for (const name of Object.keys(hooks)) {
    if (!HOOK_NAMES.includes(name)) console.error('[kefu] hook ' + name + ' is missing from HOOK_NAMES: the session never calls it');
  }
  ui = hooks;
  for (const [name, e] of early.splice(0)) hooks[name](e);

  window.addEventListener('pagehide', () => session.close());
  window.addEventListener('pageshow', (e) => { if (e.persisted) session.connect(); });

  // ---- the 接入 button ---------------------------------------------------------------------

  $id('openDialog').addEventListener('click', () => {
    const queue = session.waiting;
    if (!queue.length) {
      toast('当前无用户消息!');
      return;
    }
    const c = queue[0];
    layer.confirm('是否确认接入一个新的用户消息会话？<br>用户：' + esc(c.userName) + (queue.length > 1 ? '（还有 ' + (queue.length - 1) + ' 人在排队）' : ''), {
      title: '新用户接入',
      btn: ['接入', '不接入'],
    }, (index) => {
      try {
        session.acceptCustomer(c.id);
      } catch (e) {
        toast(errorText(e));
        return;
      }
      layer.close(index);
      $id('hint').hidden = true;
      systemLine(c, '系统消息：用户已接入');
    }, (index) => {
      try {
        session.declineCustomer(c.id);
      } catch (e) {
        toast(errorText(e));
      }
      layer.close(index);
    });
  });

  // ---- LayIM events ------------------------------------------------------------------------

  function customerOf(chat) {
    return customers.get(chat.id) || null;
  }

  function sendTo(c, content) {
    const localId = session.send({ userId: c.id, userName: c.userName, content });
    const li = layim.thisChat().elem.find('.layim-chat-main li.layim-chat-mine').last();
    li.attr('data-local-id', String(localId));
    const status = $('<span class="kefu-msg-status"></span>');
    status.on('click', () => {
      const st = messageStates.get(localId);
      if (st && st.status === 'failed') {
        status.text('重新发送中……');
        li.removeAttr('data-local-id');
        const retryId = session.send({ userId: c.id, userName: c.userName, content });
        li.attr('data-local-id', String(retryId));
        showMessageStatus(retryId);
      }
    });
    li.find('.layim-chat-text').append(status);
    showMessageStatus(localId);
  }

  layim.on('sendMessage', (data) => {
    const c = customerOf(data.to);
    if (!c) return toast('当前会话不存在');
    sendTo(c, data.mine.content);
  });

  layim.on('endChat', (chat) => {
    const c = customerOf(chat.data);
    if (!c) return toast('当前会话不存在,无法退出');
    api('overSession/overUser?kfId=' + encodeURIComponent(kfId) + '&userId=' + encodeURIComponent(c.id))
      .then((r) => toast(r.msg), (e) => toast('退出失败：' + e.message));
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
    const c = customerOf(chat.data);
    if (!c) return toast('当前会话不存在');
    api('agents/online').then((r) => {
      const others = r.data.filter((a) => a.id !== kfId);
      if (!others.length) return toast('暂无其他在线客服');
      const list = document.createElement('div');
      list.className = 'kefu-transfer-list';
      for (const a of others) {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'layui-btn layui-btn-primary layui-btn-sm';
        b.dataset.kfId = a.id;
        b.textContent = a.name + '（' + a.conversations + ' 个会话）';
        list.append(b);
      }
      const index = layer.open({
        type: 1,
        title: '转接 ' + esc(c.userName) + ' 给',
        area: '320px',
        content: list.outerHTML,
        success(layero) {
          layero.find('button[data-kf-id]').on('click', function () {
            const to = this.dataset.kfId;
            layer.close(index);
            api('transfer/transferUser', { body: { kfId, userId: String(c.id), toKfId: to } })
              .then((res) => toast(res.msg), (e) => layer.alert('转接失败：' + esc(e.message)));
          });
        },
      });
    }, (e) => toast('在线客服加载失败：' + e.message));
  });
}
