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
/** `url` with the token as `?token=` (the socket URL and the API accept it). */
export const withToken = (url) => (token ? url + (url.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token) : url);
/** Called when the server says the token is no longer good (expired, signed out elsewhere). */
let onUnauthorized = () => {};
export function whenUnauthorized(f) {
  onUnauthorized = f;
}
export const CUSTOMER_AVATAR = 'images/customer.svg';
export const AGENT_AVATAR = 'images/agent.svg';
export const $id = (id) => document.getElementById(id);

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
    headers: options.body ? { 'content-type': 'application/json' } : {},
    body: options.body ? JSON.stringify(options.body) : undefined,
  });
  let json = null;
  try { json = await res.json(); } catch (_) { /* not JSON */ }
  if (res.status === 401 && token) onUnauthorized((json && json.msg) || '请重新登录');
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
