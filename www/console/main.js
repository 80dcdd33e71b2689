// The agent console: wires the wasm AgentSession (socket, heartbeat, reconnect, dispatch) to an
// unmodified-API LayIM (patched only as layim-patches/ describes). All customer-controlled strings
// (names, ids, messages, phrases) are untrusted: names are escaped before LayIM's raw {{ }}
// templates, ids are hex-encoded into LayIM ids, and text goes through textContent or LayIM's
// patched content() filter.
//
// Modules by job: bridge (the session, started early), status (header chip and badge), inbox
// (messages in and out), dialogs (accept, transfer), toolbar (LayIM's events), notify, chats.
import { $id, AGENT_AVATAR, api, esc, kfId, params, safeUrl, server, token, withToken } from './util.js';
import { startSession } from './bridge.js';
import { chats as makeChats, customers } from './chats.js';
import { status } from './status.js';
import { inbox as makeInbox } from './inbox.js';
import { dialogs } from './dialogs.js';
import { toolbar } from './toolbar.js';
import { setUpNotifications } from './notify.js';

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
  // while LayIM is still loading.
  const bridge = startSession({ serverUrl: withToken(server + '/'), kfId, profile: info, logLevel: params.get('log') || 'warn' });
  const layim = await layimReady;
  const stats = { layim, customers, received: 0, rendered: 0, lastRenderAt: 0 };
  window.kefu = stats;

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
  setUpNotifications();

  const session = await bridge.ready;
  stats.session = session;
  const chats = makeChats(layim);
  const messages = makeInbox({ layim, session, chats, stats });
  const parts = [status(), messages, dialogs({ session, chats })];
  bridge.attach(Object.assign({}, ...parts.map((p) => p.hooks)));
  toolbar({ layim, chats, inbox: messages });

  window.addEventListener('pagehide', () => session.close());
  window.addEventListener('pageshow', (e) => { if (e.persisted) session.connect(); });
}
