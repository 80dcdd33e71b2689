// Helpers for the headless-Chrome suite (tests/web_*.rs): hooks that record, HTTP calls to the
// reference server's test hooks, waiting, a visitor socket, and the original chatDialog.js frames.

export function recorder() {
  const log = [];
  const names = ["onStateChange", "onMessage", "onCustomerWaiting", "onQueueChange", "onTransferRequest",
    "onTransferRejected", "onHeartbeat", "onOfferWithdrawn", "onExtensions", "onMessageStatus", "onFrameRejected", "onLog"];
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
