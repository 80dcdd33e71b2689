// The agent console: wires the wasm AgentSession (socket, heartbeat, reconnect, dispatch) to an
// unmodified-API LayIM (patched only as layim-patches/ describes). All customer-controlled strings
// (names, ids, messages, phrases) are untrusted: names are escaped before LayIM's raw {{ }}
// templates, ids are hex-encoded into LayIM ids, and text goes through textContent or LayIM's
// patched content() filter.
//
// Modules by job: bridge (the session, started early), status (header chip and badge), inbox
// (messages in and out), dialogs (accept, transfer), toolbar (LayIM's events), notify, chats,
// drafts, signin.
import { $id, AGENT_AVATAR, api, esc, kfId, params, safeUrl, server, setIdentity, token, whenUnauthorized, withToken } from './util.js';
import { begin, beginEarly, deploymentChecked, knownIdentity } from './begin.js';

/** How LayIM's content() treats customers' images (from the deployment). */
let contentOptions = { remoteImages: false, imageOrigins: [] };
import { forgetAuth, needsSignIn, signIn } from './signin.js';
import { chats as makeChats, customers } from './chats.js';
import { status } from './status.js';
import { inbox as makeInbox } from './inbox.js';
import { dialogs } from './dialogs.js';
import { presence } from './presence.js';
import { signals } from './signals.js';
import { worklist } from './worklist.js';
import { phrases } from './phrases.js';
import { contextPanel } from './context.js';
import { toolbar } from './toolbar.js';
import { setUpNotifications } from './notify.js';
import { keepDrafts, restoreDraft } from './drafts.js';
import { notes, NOTE_TOOL } from './notes.js';
import { board } from './board.js';
import { monitor } from './monitor.js';
import { lifecycle } from './lifecycle.js';
import { offline } from './offline.js';
import { settings } from './settings.js';
import { search } from './search.js';
import { queueAlert } from './alert.js';

// Who is this? A `?token=` in the URL is used as it is (a backend with its own shared token); a
// saved sign-in for this server is reused (every tab of the agent shares it); else the agent signs
// in, with a password when the server has accounts, with the id alone for a backend built for
// the original.
async function identify() {
  contentOptions = await deploymentChecked();
  if (knownIdentity()) return;
  const withPassword = await needsSignIn(server);
  if (kfId && !withPassword) return;
  const who = await signIn(server, { kfId, withPassword, message: sessionStorage.getItem('kefuSignInMessage') });
  sessionStorage.removeItem('kefuSignInMessage');
  const p = new URLSearchParams(location.search);
  p.set('kfId', who.kfId);
  history.replaceState(null, '', '?' + p.toString());
  $id('login').hidden = true;
  $id('hint').hidden = false;
  setIdentity(who.kfId, who.token);
}

/** One hooks object from several: a hook several parts implement calls each, in order. */
function mergeHooks(list) {
  const merged = {};
  for (const hooks of list) {
    for (const [name, f] of Object.entries(hooks)) {
      const before = merged[name];
      merged[name] = before ? (e) => { before(e); f(e); } : f;
    }
  }
  return merged;
}

/** Back to the sign-in form, saying why. */
function signOut(message) {
  forgetAuth();
  if (message) sessionStorage.setItem('kefuSignInMessage', message);
  location.reload();
}

// Loaded from early.js at the top of the page: the session may start now; the console itself once
// the page is parsed.
beginEarly();
const parsed = document.readyState === 'loading' ? new Promise((r) => document.addEventListener('DOMContentLoaded', r, { once: true })) : Promise.resolve();
parsed
  .then(identify)
  .then(start)
  .catch((e) => {
    console.error(e);
    $id('hint').textContent = '启动失败：' + e.message;
  });

async function start() {
  sessionStorage.setItem('kefuServer', server);
  whenUnauthorized((why) => signOut('登录已失效：' + why));
  if (token && !params.get('token')) {
    const logout = $id('logout');
    logout.hidden = false;
    logout.addEventListener('click', () => {
      whenUnauthorized(() => {}); // the session's socket closing is expected now
      api('auth/logout', { body: {} }).catch(() => {}).finally(() => signOut('已退出登录'));
    });
  }
  const layimReady = window.kefuLayim || new Promise((resolve) => layui.use(['layim', 'layer'], resolve));
  // Usually started already by early.js (the agent was known); else now, after the sign-in form.
  const { bridge, info, authToken } = begin();
  const layim = await layimReady;
  layui.data.contentOptions = contentOptions;
  const uploadUrl = withToken(server + '/upload/image');
  if (authToken) {
    // LayIM's upload takes no headers: jQuery's prefilter adds ours to exactly that request.
    layui.$.ajaxPrefilter((o, _, xhr) => { if (o.url === uploadUrl) xhr.setRequestHeader('Authorization', 'Bearer ' + authToken); });
  }
  const stats = { layim, customers, received: 0, rendered: 0, lastRenderAt: 0 };
  window.kefu = stats;

  const mine = { username: esc(kfId), id: kfId, status: 'online', sign: '', avatar: AGENT_AVATAR };
  const config = () => ({
    brief: true,
    init: { mine },
    uploadImage: { url: uploadUrl, type: 'post' },
    chatLog: 'chatlog.html',
    notice: false,
    maxLength: 5000,
    tool: [NOTE_TOOL],
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
  let work = null; // the conversation list lists every window opened (it needs `chats` itself)
  const chats = makeChats(layim, { opened: (lid, textarea) => { restoreDraft(lid, textarea); work?.track(customers.get(lid)); } });
  const seen = (c) => { try { session.markSeen(c.id); } catch (_) { /* not connected: told next time */ } };
  work = worklist({ layim, chats, seen });
  chats.reopen();
  const messages = makeInbox({ layim, session, chats, stats, mine, work });
  const parts = [status({ session }), queueAlert({ session }), messages, dialogs({ session, chats }), presence({ session }), signals({ session, chats }), notes({ layim, session, chats })];
  const watching = monitor({ session, chats });
  parts.push(watching, board({ watch: watching.open, chats }), lifecycle({ chats, work }), offline(), settings(), contextPanel({ layim, chats }));
  bridge.attach(mergeHooks(parts.map((p) => p.hooks)));
  toolbar({ layim, chats, inbox: messages, work });
  phrases();
  search();
  keepDrafts();

  window.addEventListener('pagehide', () => session.close());
  window.addEventListener('pageshow', (e) => { if (e.persisted) session.connect(); });
}
