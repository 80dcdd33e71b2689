// The console page's first script (classic, at the top of the page, before the stylesheets and
// layui): it starts compiling the session's wasm and loads the console (one bundle, pkg/console.js,
// built from console/main.js by scripts/build-wasm.sh), which opens the socket at once when the
// agent is known — neither waits for the page to be parsed or for LayIM.
performance.mark('kefu:early'); // start-up benchmark's phases (scripts/bench.sh)
(function () {
  var here = document.currentScript.src;
  // Compiled by streaming while the page loads; null (init then fetches it itself) if this browser
  // or the server's MIME type does not allow streaming compilation.
  window.kefuWasm = WebAssembly.compileStreaming
    ? WebAssembly.compileStreaming(fetch(new URL('../pkg/kefu_agent_bg.wasm', here), { credentials: 'same-origin' })).catch(function () { return null; })
    : null;
  // The agent's tab lock (who owns the socket, src/web/tabs.js), asked for now: the lock manager
  // answers in 5-20 ms while the page loads, and the session, ready later, adopts the lock instead
  // of asking then. Without a known agent, a throwaway lock still warms the lock manager up.
  if (navigator.locks) askEarly();
  // Without the bundle (a checkout where only the wasm was built) the modules load one by one.
  import(new URL('../pkg/console.js', here).href).catch(function (e) {
    if (e instanceof TypeError && /import|fetch/i.test(e.message)) return import(new URL('main.js', here).href);
    throw e;
  });
})();

// The lock the session will ask for: named as src/web/tabs.js names it (`kefu-agent:v2:` + the
// socket URL + `#` + agent) for the common case, the console on its own server with the agent known
// from the URL or a saved sign-in. A name that turns out different is never adopted and let go.
function askEarly() {
  var p = new URLSearchParams(location.search), kfId = p.get('kfId'), saved = null;
  try { saved = JSON.parse(localStorage.getItem('kefuAuth') || 'null'); } catch (_) { /* none */ }
  if (saved && saved.server === location.origin && saved.token && (!kfId || saved.kfId === kfId)) kfId = saved.kfId;
  else if (!p.get('token')) kfId = null; // the agent signs in first
  if (!kfId || p.get('server') || typeof BroadcastChannel !== 'function') {
    navigator.locks.request('kefu-agent:warm-up', { ifAvailable: true }, function () {}).catch(function () {});
    return;
  }
  var url = new URL('websocket/' + encodeURIComponent(kfId), location.origin + '/');
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  var stop = new AbortController(), release = null, granted;
  var early = { name: 'kefu-agent:v2:' + url.href + '#' + kfId, taken: false };
  early.granted = new Promise(function (resolve) { granted = resolve; });
  /** Gives the lock up, or stops waiting for it (for good: it is never adopted after that). */
  early.abort = function () { early.dead = true; stop.abort(); if (release) release(); };
  /** The session's TabChannel takes it: answers its release, or null (another name, or let go). */
  early.take = function (name) {
    if (early.taken || early.dead || name !== early.name) return null;
    early.taken = true;
    return early.abort;
  };
  performance.mark('kefu:lock-asked');
  navigator.locks.request(early.name, { signal: stop.signal }, function () {
    return new Promise(function (resolve) { release = resolve; granted(); });
  }).catch(function () {}); // aborted
  window.kefuEarlyLock = early;
  // Not taken (the sign-in form came up, another agent signed in): let the other tabs have it.
  setTimeout(function () { if (!early.taken) early.abort(); }, 10000);
}
