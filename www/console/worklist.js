// The conversation list: every open conversation with its unread count and the time since the
// customer's oldest unanswered message, amber and red past thresholds (`?redSec=`, default the
// server's `--reply-alarm-secs`, 120; `?amberSec=`, default half of it); the page title and the favicon show the total unread. A message is
// read when its conversation is the one on screen in a visible page. From the keyboard (keys with no
// character, so no keyboard layout loses a letter; Slack's for channels): Alt+↓ / Alt+↑ the next /
// previous conversation, Alt+Shift+↓ the one whose customer has waited longest for an answer.
import { $id, deployment, params } from './util.js';

const RED = () => (Number(params.get('redSec')) || deployment.replyAlarmSecs || 120) * 1000;
const AMBER = () => (Number(params.get('amberSec')) || 0) * 1000 || RED() / 2;
const BASE_TITLE = document.title;

function clock(ms) {
  const s = Math.floor(ms / 1000);
  return Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
}

/** The list, fed by `received`, `answered` and `opened`; calls `seen(c)` when a conversation on
 * screen has new messages the agent now sees. */
export function worklist({ layim, chats, seen }) {
  const box = $id('worklist');
  const rows = new Map(); // lid -> { c, unread, waitingSince, el }
  const icon = document.querySelector('link[rel="icon"]');
  const plainIcon = icon && icon.href;
  const onScreen = () => (document.visibilityState === 'visible' ? layim.thisChat()?.data?.id : null);

  function row(c) {
    const lid = chats.open(c).id;
    let r = rows.get(lid);
    if (!r) {
      const el = document.createElement('li');
      el.className = 'kefu-work';
      el.dataset.lid = lid;
      el.innerHTML = '<span class="kefu-work-name"></span><span class="kefu-work-timer"></span><span class="kefu-work-unread" hidden></span>';
      el.querySelector('.kefu-work-name').textContent = c.userName;
      el.addEventListener('click', () => chats.open(c) && layim.chat(chats.open(c)));
      box.append(el);
      r = { c, unread: 0, waitingSince: null, el };
      rows.set(lid, r);
      box.hidden = false;
    }
    return [lid, r];
  }

  function paint() {
    const now = Date.now();
    let total = 0;
    for (const r of rows.values()) {
      total += r.unread;
      const badge = r.el.querySelector('.kefu-work-unread');
      badge.hidden = !r.unread;
      badge.textContent = String(r.unread);
      const waited = r.waitingSince === null ? null : now - r.waitingSince;
      r.el.querySelector('.kefu-work-timer').textContent = waited === null ? '' : clock(waited);
      r.el.dataset.level = waited === null ? 'none' : waited >= RED() ? 'red' : waited >= AMBER() ? 'amber' : 'ok';
    }
    const title = total ? '(' + total + ') ' + BASE_TITLE : BASE_TITLE;
    if (document.title !== title) document.title = title;
    badgeIcon(total);
  }

  let lastBadge = 0;
  function badgeIcon(n) {
    if (!icon || n === lastBadge) return;
    lastBadge = n;
    if (!n) { icon.href = plainIcon; return; }
    const cv = document.createElement('canvas');
    cv.width = cv.height = 32;
    const g = cv.getContext('2d');
    g.fillStyle = '#ff5722';
    g.beginPath();
    g.arc(16, 16, 16, 0, Math.PI * 2);
    g.fill();
    g.fillStyle = '#fff';
    g.font = 'bold 18px sans-serif';
    g.textAlign = 'center';
    g.textBaseline = 'middle';
    g.fillText(n > 99 ? '99' : String(n), 16, 17);
    icon.href = cv.toDataURL('image/png');
  }

  /** The conversation on screen (if any) is read now. */
  function look() {
    const lid = onScreen();
    const r = lid && rows.get(lid);
    if (r && r.unread) {
      r.unread = 0;
      seen(r.c);
    }
    for (const [id, x] of rows) x.el.classList.toggle('kefu-work-active', id === lid);
    paint();
  }

  /** Opens `r`'s conversation, its input focused. */
  function go(r) {
    if (!r) return;
    layim.chat(chats.open(r.c));
    setTimeout(() => document.querySelector('.layim-chat-textarea textarea')?.focus(), 0);
  }
  document.addEventListener('keydown', (e) => {
    if (!e.altKey || e.ctrlKey || e.metaKey || (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') || !rows.size) return;
    if (e.target instanceof HTMLSelectElement) return; // Alt+↓ opens a select's list
    e.preventDefault();
    const list = [...box.querySelectorAll('.kefu-work')].map((el) => rows.get(el.dataset.lid)).filter(Boolean);
    if (e.shiftKey) {
      const waiting = list.filter((r) => r.waitingSince !== null).sort((a, b) => a.waitingSince - b.waitingSince);
      return go(waiting[0]);
    }
    const at = list.findIndex((r) => rows.get(layim.thisChat()?.data?.id) === r);
    const step = e.key === 'ArrowDown' ? 1 : -1;
    go(list[at < 0 ? (step > 0 ? 0 : list.length - 1) : (at + step + list.length) % list.length]);
  });

  document.addEventListener('visibilitychange', look);
  layim.on('chatChange', () => setTimeout(look, 0));
  setInterval(paint, 1000);

  return {
    /** Customer messages arrived (already shown in their conversation). */
    received(c, n = 1) {
      const [lid, r] = row(c);
      if (r.waitingSince === null) r.waitingSince = Date.now();
      if (lid === onScreen()) seen(c);
      else r.unread += n;
      look();
    },
    /** A conversation window opened (accepted, transferred in, reopened after a reload). */
    track(c) {
      if (c) row(c);
      paint();
    },
    /** The agent replied to `c` (here or in another tab). */
    answered(c) {
      const [, r] = row(c);
      r.waitingSince = null;
      paint();
    },
    /** The conversation ended. */
    ended(c) {
      const lid = chats.open(c).id;
      rows.get(lid)?.el.remove();
      rows.delete(lid);
      box.hidden = rows.size === 0;
      paint();
    },
  };
}
