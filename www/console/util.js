// Small helpers shared by the console's modules: the page's parameters, escaping, LayIM ids,
// the HTTP API, and text toasts.

export const params = new URLSearchParams(location.search);
export const server = (params.get('server') || location.origin).replace(/\/+$/, '');
/** The signed-in agent's id and token (null against a backend without accounts), set once by
 * main.js before anything else runs. */
export let kfId = params.get('kfId');
export let token = params.get('token');
export function setIdentity(id, t) {
  kfId = id;
  token = t;
}
/** Whether the token came in the page's URL (`?token=`, a backend's own): then it travels as the
 * backend expects it, `?token=` on every URL. A token from our sign-in travels in headers only. */
export const tokenInUrl = !!params.get('token');
/** `url` with the token as `?token=`, only for a token that came that way (a backend built for the
 * original); our own server gets it in `Authorization` / the socket's subprotocol. */
export const withToken = (url) => (token && tokenInUrl ? url + (url.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token) : url);
/** `Authorization: Bearer` for our own sign-in's token (none when it travels in the URL). */
export const authHeaders = () => (token && !tokenInUrl ? { authorization: 'Bearer ' + token } : {});

/** What the deployment allows (`kefu-config.json` beside the page, written by the server or by
 * whoever hosts the console): the chat servers this console may talk to (its own origin always)
 * whether customers' images from other sites load, and the server's reply alarm (`--reply-alarm-secs`). */
export const deployment = { chatServers: [location.origin], remoteImages: false, replyAlarmSecs: null };
const base = (u) => String(u).replace(/\/+$/, '');
/** Reads `kefu-config.json` and refuses a `?server=` the deployment does not list, before any
 * sign-in form or request to it: a link to the genuine console must not post a password elsewhere. */
export async function checkDeployment() {
  try {
    const r = await fetch('kefu-config.json', { cache: 'no-cache', credentials: 'same-origin' });
    if (r.ok) {
      const c = await r.json();
      if (Array.isArray(c.chatServers)) deployment.chatServers.push(...c.chatServers.filter((s) => typeof s === 'string').map(base));
      deployment.remoteImages = c.remoteImages === true;
      if (Number.isFinite(c.replyAlarmSecs) && c.replyAlarmSecs > 0) deployment.replyAlarmSecs = c.replyAlarmSecs;
    }
  } catch (_) { /* no file: this origin only */ }
  if (!deployment.chatServers.includes(server)) {
    throw new Error(`聊天服务器 ${server} 不在本部署允许的列表中（kefu-config.json 的 chatServers），已拒绝连接，未发送任何信息。` +
      ` (chat server ${server} is not allowed by this deployment's kefu-config.json)`);
  }
  const origins = deployment.chatServers.map((s) => { try { return new URL(s).origin; } catch (_) { return null; } }).filter(Boolean);
  return { remoteImages: deployment.remoteImages, imageOrigins: origins };
}
/** Called when the server says the token is no longer good (expired, signed out elsewhere). A
 * refusal that comes before main.js sets the handler (the profile request starts early) waits for it. */
let onUnauthorized = null;
let unauthorizedEarly = null;
export function whenUnauthorized(f) {
  onUnauthorized = f;
  if (unauthorizedEarly !== null) f(unauthorizedEarly);
  unauthorizedEarly = null;
}
function unauthorized(why) {
  if (onUnauthorized) onUnauthorized(why);
  else unauthorizedEarly = why;
}
export const CUSTOMER_AVATAR = 'images/customer.svg';
export const AGENT_AVATAR = 'images/agent.svg';
export const $id = (id) => document.getElementById(id);

/** `el('td', { className: 'x' }, 'text', child)`: an element with properties and children (null
 * children skipped); text goes in as text, never as markup. */
export function el(tag, props = {}, ...children) {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children.filter((c) => c != null));
  return e;
}

const escBox = document.createElement('div');
/** HTML-escapes text with the browser's own serializer (quotes added for attribute contexts). */
export function esc(text) {
  escBox.textContent = text == null ? '' : String(text);
  return escBox.innerHTML.replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const enc = new TextEncoder();
/** A customer id as a LayIM id: 'h' + hex of its UTF-8, safe in class names and selectors. */
export function layimId(id) {
  return 'h' + Array.from(enc.encode(String(id)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Only http(s) and same-origin absolute paths are used as image URLs. */
export function safeUrl(url, fallback) {
  return typeof url === 'string' && /^(https?:\/\/|\/(?!\/)|images\/)/i.test(url) ? url : fallback;
}

/** A server timestamp (number, numeric string or date text) as milliseconds; now when unreadable. */
export function timestamp(t) {
  if (typeof t === 'number') return t;
  const n = Number(t);
  if (t != null && t !== '' && Number.isFinite(n)) return n;
  const parsed = Date.parse(t);
  return Number.isFinite(parsed) ? parsed : Date.now();
}

/** Calls the chat server's HTTP API (LayIM's `{code, msg, data}` shape); throws its `msg`. */
export async function api(path, options = {}) {
  const res = await fetch(withToken(server + '/' + path), {
    method: options.body ? 'POST' : 'GET',
    headers: { ...authHeaders(), ...(options.body ? { 'content-type': 'application/json' } : {}) },
    body: options.body ? JSON.stringify(options.body) : undefined,
  });
  let json = null;
  try { json = await res.json(); } catch (_) { /* not JSON */ }
  if (res.status === 401 && token) unauthorized((json && json.msg) || '请重新登录');
  if (!res.ok || !json || json.code !== 0) {
    throw new Error((json && json.msg) || ('HTTP ' + res.status));
  }
  return json;
}

// A short notice at the top of the page, as text (never HTML). Not layer.msg: LayIM's layer closes
// every open dialog when a msg opens, so a toast for a new customer used to close the agent's
// accept dialog under the mouse.
let toastTimer = 0;
export function toast(text) {
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

/** The agent-facing text of a session error. */
export function errorText(e) {
  return e && e.code === 'NOT_CONNECTED' ? '连接已断开，请稍后再试' : (e && e.message) || String(e);
}
