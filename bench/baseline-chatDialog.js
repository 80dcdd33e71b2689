// JS baseline for the benchmarks: our own small re-implementation of the original chatDialog.js
// logic (socket, 30 s / 5 s heartbeat, locked 5 s reconnect, status 1/2/4/5/9 dispatch; onmessage
// parses every frame twice, as the original does). UI calls are hooks, like the wasm session's.
export function createBaseline(url, kfId, hooks) {
  let webSocket = null;
  let lockReconnect = false;
  let tt = null;
  let wsuserObj = {};
  const toStr = (obj) => JSON.stringify(obj);
  const heartCheck = {
    timeout: 30000,
    severTimeout: 5000,
    timeoutObj: null,
    serverTimeoutObj: null,
    start() {
      this.timeoutObj && clearTimeout(this.timeoutObj);
      this.serverTimeoutObj && clearTimeout(this.serverTimeoutObj);
      this.timeoutObj = setTimeout(() => {
        webSocket.send(toStr({ respStatus: 9, kfId }));
        this.serverTimeoutObj = setTimeout(() => webSocket.close(), this.severTimeout);
      }, this.timeout);
    },
  };
  function onmessage(res) {
    heartCheck.start();
    const status = JSON.parse(res.data).status;
    const data = JSON.parse(res.data).data;
    if (status == 1) { hooks.onMessage(data); wsuserObj = data; }
    if (status == 2) { hooks.onCustomerWaiting(data); wsuserObj = data; wsuserObj.userId = data.id; }
    if (status == 5) hooks.onTransferRejected(data);
    if (status == 4) hooks.onTransferRequest(data);
    if (status == 9) hooks.onHeartbeat(data);
  }
  function reconnect() {
    if (lockReconnect) return;
    lockReconnect = true;
    tt && clearTimeout(tt);
    tt = setTimeout(() => { lockReconnect = false; create(); }, 5000);
  }
  function create() {
    try {
      webSocket = new WebSocket(url);
      webSocket.onopen = () => { heartCheck.start(); if (hooks.onOpen) hooks.onOpen(); }; // onOpen: a probe for the start-up benchmark
      webSocket.onerror = () => reconnect();
      webSocket.onclose = () => { clearTimeout(heartCheck.timeoutObj); clearTimeout(heartCheck.serverTimeoutObj); reconnect(); };
      webSocket.onmessage = onmessage;
    } catch (e) { reconnect(); }
  }
  return { create, onmessage, send: (m) => webSocket.send(toStr(m)), get wsuserObj() { return wsuserObj; } };
}
