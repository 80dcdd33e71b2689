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
  // A page's first Web Lock request waits for the browser's lock manager to be reached (~100 ms
  // here while the page loads); asking for a throwaway lock now means the session's request, the
  // one the socket waits for, does not pay that.
  if (navigator.locks) navigator.locks.request('kefu-agent:warm-up', { ifAvailable: true }, function () {}).catch(function () {});
  // Without the bundle (a checkout where only the wasm was built) the modules load one by one.
  import(new URL('../pkg/console.js', here).href).catch(function (e) {
    if (e instanceof TypeError && /import|fetch/i.test(e.message)) return import(new URL('main.js', here).href);
    throw e;
  });
})();
