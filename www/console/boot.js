performance.mark('kefu:boot');
// Starts LayIM's (sequential) module loader at once, as a classic script, while the console's ES
// modules and the wasm still load; console/main.js awaits the same promise.
window.kefuLayim = new Promise((resolve) => layui.use(['layim', 'layer'], (layim) => {
  performance.mark('kefu:layim-loaded'); // start-up benchmark's phases (scripts/bench.sh)
  resolve(layim);
}));
