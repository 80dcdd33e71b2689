// Counts every timer the page arms and every time one wakes the page (classic script: runs before
// the module that loads the session, so every setTimeout/setInterval goes through here).
window.timerCount = { armed: 0, fired: 0, intervals: 0 };
const realSetTimeout = window.setTimeout.bind(window);
window.setTimeout = (fn, ms, ...args) => {
  window.timerCount.armed += 1;
  return realSetTimeout(() => { window.timerCount.fired += 1; if (typeof fn === 'function') fn(...args); }, ms);
};
const realSetInterval = window.setInterval.bind(window);
window.setInterval = (fn, ms, ...args) => { window.timerCount.intervals += 1; return realSetInterval(fn, ms, ...args); };
