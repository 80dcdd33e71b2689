// Helpers for the headless-Chrome suite (tests/web_*.rs): hooks that record, HTTP calls to the
// reference server's test hooks, waiting, a visitor socket, and the original chatDialog.js frames.

/** Hooks that record every call; `names` is the module's `hookNames()`. */
export function recorder(names) {
  const log = [];
  const hooks = { log };
  for (const n of names) hooks[n] = (e) => { log.push({ hook: n, e }); };
  return hooks;
}

export function count(hooks, name) {
  return hooks.log.filter((x) => x.hook === name).length;
}

export function last(hooks, name) {
  const all = hooks.log.filter((x) => x.hook === name);
  return all.length ? all[all.length - 1].e : undefined;
}

export function states(hooks) {
  return hooks.log.filter((x) => x.hook === "onStateChange").map((x) => x.e.state).join(",");
}

export async function waitFor(pred, ms) {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (pred()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return !!pred();
}

export function waitHook(hooks, name, n, ms) {
  return waitFor(() => count(hooks, name) >= n, ms);
}



export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

export async function post(url, body) {
  const r = await fetch(url, { method: "POST", body: body ?? "" });
  return r.status;
}

export async function postJson(url, obj) {
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(obj) });
  return r.status;
}

/// A visitor on the reference server; collects every frame it receives.
export function visitor(base, userId, userName) {
  const url = base.replace(/^http/, "ws") + "/websocket/visitor/" + encodeURIComponent(userId) + "?userName=" + encodeURIComponent(userName);
  const v = { frames: [], ws: new WebSocket(url) };
  v.ws.onmessage = (e) => v.frames.push(JSON.parse(e.data));
  return v;
}

export function visitorSend(v, content) {
  v.ws.send(JSON.stringify({ type: "message", content }));
}

export function visitorMessages(v) {
  return v.frames.filter((f) => f.type === "message").map((f) => f.content).join("|");
}

export function visitorAssigned(v) {
  return v.frames.some((f) => f.type === "status" && f.state === "assigned");
}

export function visitorOpen(v) {
  return v.ws.readyState === 1;
}

// ---- The original chatDialog.js, frame by frame: the same object literals through the same
// toStr (JSON.stringify). wsuserObj comes from a status-2 frame's data, data.* from status 4.
function toStr(obj) { return JSON.stringify(obj); }
export function originalFrames(kfId, kfName, wsuserObj, transferData, chat) {
  wsuserObj.userId = wsuserObj.id;
  return [
    toStr({ respStatus: 2, kfId: kfId, userId: wsuserObj.id, userName: wsuserObj.userName }),
    toStr({ respStatus: 3, kfId: kfId, userId: wsuserObj.userId, userName: wsuserObj.userName }),
    toStr({ respStatus: 4, userId: transferData.id, kfId: kfId }),
    toStr({ respStatus: 5, userId: transferData.id }),
    toStr({ respStatus: 9, kfId: kfId }),
    toStr({ kfId: kfId, kfName: kfName, userId: chat.to.id, userName: chat.to.username, content: chat.mine.content }),
  ];
}

// ---- An in-page fake server for the suite that runs without the reference server
// (tests/web_fake.rs). Sockets to ws://fake.invalid/… are FakeSockets the test drives; any other
// URL gets a real WebSocket.
const RealWebSocket = globalThis.WebSocket;
const fakes = [];

class FakeSocket extends EventTarget {
  constructor(url, protocols) {
    if (!String(url).startsWith('ws://fake.invalid/')) return protocols === undefined ? new RealWebSocket(url) : new RealWebSocket(url, protocols);
    super();
    this.url = String(url);
    this.protocols = protocols === undefined ? [] : [].concat(protocols);
    this.readyState = 0;
    this.binaryType = 'blob';
    this.sent = [];
    this.closedWith = null;
    fakes.push(this);
  }
  send(text) {
    if (this.readyState !== 1) throw new DOMException('not open', 'InvalidStateError');
    this.sent.push(String(text));
  }
  close(code = 1000, reason = '') {
    if (this.readyState >= 2) return;
    this.closedWith = code;
    this.readyState = 3;
    setTimeout(() => this.dispatchEvent(new CloseEvent('close', { code, reason, wasClean: true })), 0);
  }
}

/** Makes `new WebSocket('ws://fake.invalid/…')` a FakeSocket from now on. */
export function installFakeSockets() {
  globalThis.WebSocket = FakeSocket;
}

/** How many fake sockets were opened so far. */
export function fakeCount() {
  return fakes.length;
}

/** The server side of fake socket `i`: accept the connection. */
export function fakeOpen(i) {
  fakes[i].readyState = 1;
  fakes[i].dispatchEvent(new Event('open'));
}

/** The server side of fake socket `i`: send a text frame. */
export function fakeFrame(i, text) {
  fakes[i].dispatchEvent(new MessageEvent('message', { data: text }));
}

/** `fakeFrame` with the event's time stamp set to `stamp` (another engine's clock). */
export function fakeFrameStamped(i, text, stamp) {
  const e = new MessageEvent('message', { data: text });
  Object.defineProperty(e, 'timeStamp', { value: stamp });
  fakes[i].dispatchEvent(e);
}

/** The server side of fake socket `i`: drop the connection with `code`. */
export function fakeDrop(i, code) {
  fakes[i].readyState = 3;
  fakes[i].dispatchEvent(new CloseEvent('close', { code }));
}

/** Every frame the client wrote on fake socket `i`, one per line. */
export function fakeSent(i) {
  return fakes[i].sent.join('\n');
}

/** The code the client closed fake socket `i` with (0 while open). */
export function fakeClosedWith(i) {
  return fakes[i].closedWith ?? 0;
}

/** The subprotocols fake socket `i` was opened with, comma-separated. */
export function fakeProtocols(i) {
  return fakes[i].protocols.join(',');
}

/** The URL fake socket `i` was opened with. */
export function fakeUrl(i) {
  return fakes[i].url;
}

/// A token for agent `kfId` from the reference server (password: the id; the test server
/// registers unknown agents on their first login).
export async function login(base, kfId) {
  const r = await fetch(base + '/auth/login', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kfId, password: kfId }),
  });
  const json = await r.json();
  if (json.code !== 0) throw new Error('login ' + kfId + ': ' + json.msg);
  return json.data.token;
}

/** Runs `f` with `indexedDB` unavailable, as in some private windows; returns what `f` returns. */
export function withoutIndexedDb(f) {
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'indexedDB') || Object.getOwnPropertyDescriptor(Window.prototype, 'indexedDB');
  Object.defineProperty(globalThis, 'indexedDB', { value: undefined, configurable: true });
  try {
    return f();
  } finally {
    delete globalThis.indexedDB;
    if (!('indexedDB' in globalThis)) Object.defineProperty(globalThis, 'indexedDB', saved);
  }
}
