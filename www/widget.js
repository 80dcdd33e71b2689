// The customer widget: one line on any site —
//   <script src="https://your-desk/widget.js" async></script>
// — adds a launcher button (在线客服) that opens the chat in an iframe served by the desk, so the
// host page's scripts and styles never touch the conversation. Attributes on the script tag
// (docs/widget.md): data-user-id, data-user-name, data-sig, data-exp (the site's signed id for its
// signed-in users), data-department, data-position ("left"/"right"), data-color.
// Strings are ASCII escapes: a host page without a charset must not garble them.
(function () {
  'use strict';
  var me = document.currentScript;
  if (!me || window.__kefuWidget) return;
  window.__kefuWidget = true;
  var desk = new URL(me.src, location.href).origin;
  var attr = function (n) { return me.getAttribute('data-' + n) || ''; };
  var left = attr('position') === 'left';
  var color = /^#[0-9a-fA-F]{3,8}$/.test(attr('color')) ? attr('color') : '#1e9fff';
  var KEY = 'kefuWidgetUsed:' + desk; // this site's tab has a conversation going

  // A shadow root keeps the host page's CSS off our button and the panel.
  var host = document.createElement('div');
  host.setAttribute('data-kefu-widget', '');
  var root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
  var side = left ? 'left' : 'right';
  var style = document.createElement('style');
  style.textContent =
    ':host{all:initial}' +
    '.launch{position:fixed;bottom:20px;' + side + ':20px;z-index:2147483000;width:56px;height:56px;border-radius:50%;border:0;' +
    'background:' + color + ';color:#fff;font:600 13px/1 system-ui,sans-serif;box-shadow:0 4px 14px rgba(0,0,0,.25);cursor:pointer}' +
    '.launch:focus-visible{outline:3px solid #222;outline-offset:3px}' +
    '.badge{position:absolute;top:-4px;' + (left ? 'left' : 'right') + ':-4px;min-width:20px;height:20px;padding:0 5px;border-radius:10px;' +
    'background:#e33;color:#fff;font:600 12px/20px system-ui,sans-serif;box-sizing:border-box}' +
    '.badge[hidden]{display:none}' +
    '.panel{position:fixed;bottom:88px;' + side + ':20px;z-index:2147483000;width:370px;height:560px;max-height:calc(100vh - 108px);' +
    'border:0;border-radius:10px;box-shadow:0 8px 30px rgba(0,0,0,.3);background:#fff}' +
    '.panel[hidden]{display:none}' +
    '.launch[aria-expanded="true"]{z-index:2147483001}' +
    '@media (max-width:480px){.panel{inset:0;width:100%;height:100%;max-height:none;border-radius:0;bottom:0}' +
    '.launch[aria-expanded="true"]{top:4px;bottom:auto;width:36px;height:36px;background:rgba(0,0,0,.35)}}';
  var button = document.createElement('button');
  button.type = 'button';
  button.className = 'launch';
  button.setAttribute('aria-label', '\u5728\u7ebf\u5ba2\u670d');
  button.setAttribute('aria-expanded', 'false');
  button.textContent = '\u5ba2\u670d';
  var badge = document.createElement('span');
  badge.className = 'badge';
  badge.hidden = true;
  badge.setAttribute('aria-live', 'polite');
  button.append(badge);
  root.append(style, button);
  var frame = null;
  var loaded = false;
  var open = false;

  function chatUrl() {
    var q = new URLSearchParams({ embed: '1', host: location.origin, pageUrl: location.href, pageTitle: document.title, referrer: document.referrer });
    [['user-id', 'userId'], ['user-name', 'userName'], ['sig', 'sig'], ['exp', 'exp'], ['department', 'department']].forEach(function (p) {
      if (attr(p[0])) q.set(p[1], attr(p[0]));
    });
    return desk + '/visitor.html?' + q;
  }

  function ensureFrame() {
    if (frame) return frame;
    frame = document.createElement('iframe');
    frame.className = 'panel';
    frame.title = '\u5728\u7ebf\u5ba2\u670d';
    frame.hidden = true;
    frame.src = chatUrl();
    frame.setAttribute('allow', 'clipboard-write');
    frame.addEventListener('load', function () { loaded = true; tell({ type: open ? 'open' : 'close' }); });
    root.append(frame);
    try { sessionStorage.setItem(KEY, '1'); } catch (_) {}
    return frame;
  }

  function tell(msg) {
    if (frame && loaded && frame.contentWindow) frame.contentWindow.postMessage(Object.assign({ kefu: true }, msg), desk);
  }

  function setOpen(on, quiet) {
    open = on;
    try { sessionStorage.setItem(KEY + ':open', on ? '1' : ''); } catch (_) {}
    ensureFrame().hidden = !on;
    button.setAttribute('aria-expanded', String(on));
    button.textContent = on ? '\u00d7' : '\u5ba2\u670d';
    button.setAttribute('aria-label', on ? '\u5173\u95ed\u5728\u7ebf\u5ba2\u670d' : '\u5728\u7ebf\u5ba2\u670d');
    button.append(badge);
    if (on) {
      badge.hidden = true;
      badge.textContent = '';
      if (!quiet) frame.focus();
    }
    tell({ type: on ? 'open' : 'close' });
  }

  // A short chime while the panel is closed (no file to load; only after the visitor has clicked).
  function chime() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      var ctx = new Ctx();
      var o = ctx.createOscillator();
      var g = ctx.createGain();
      o.frequency.value = 880;
      g.gain.setValueAtTime(0.08, ctx.currentTime);
      g.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 0.35);
      o.connect(g).connect(ctx.destination);
      o.start();
      o.stop(ctx.currentTime + 0.35);
    } catch (_) {}
  }

  window.addEventListener('message', function (e) {
    // Only the desk's own frame speaks to us.
    if (e.origin !== desk || !frame || e.source !== frame.contentWindow || !e.data || e.data.kefu !== true) return;
    var d = e.data;
    if (d.type === 'unread' && !open) {
      var n = Math.max(0, Math.min(99, Number(d.count) || 0));
      badge.textContent = n ? String(n) : '';
      badge.hidden = !n;
      if (d.fresh) {
        chime();
        if (document.hidden && window.Notification && Notification.permission === 'granted') {
          try { new Notification('\u5728\u7ebf\u5ba2\u670d', { body: '\u60a8\u6709\u65b0\u6d88\u606f' }); } catch (_) {}
        }
      }
    } else if (d.type === 'close') {
      setOpen(false);
      button.focus();
    }
  });
  button.addEventListener('click', function () { setOpen(!open); });

  function mount() {
    document.body.append(host);
    // A conversation already going in this tab: keep it connected, so replies show on the badge,
    // and open again if it was open on the last page (without taking the focus from this one).
    try {
      if (sessionStorage.getItem(KEY + ':open')) setOpen(true, true);
      else if (sessionStorage.getItem(KEY)) ensureFrame();
    } catch (_) {}
  }
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);
  window.kefuWidget = { open: function () { setOpen(true); }, close: function () { setOpen(false); } };
})();
