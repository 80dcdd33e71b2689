// Presence (extension `presence`): online / busy / away, chosen from the menu beside the connection
// chip, and auto-away after a time without input in any of this agent's tabs (`?autoAwayMs=`,
// default 5 minutes), back to online on the next input. Activity and "set away automatically" are
// kept in localStorage, so every tab of the agent sees them.
import { $id, errorText, kfId, params, server, toast } from './util.js';

export const PRESENCE_TEXT = { online: '在线', busy: '忙碌', away: '离开' };
const AUTO_AWAY_MS = Number(params.get('autoAwayMs')) || 5 * 60 * 1000;
const activityKey = () => 'kefuActivity:' + server + ':' + kfId;
const autoKey = () => 'kefuAutoAway:' + server + ':' + kfId;

function read(key) {
  try { return localStorage.getItem(key); } catch (_) { return null; }
}
function write(key, value) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch (_) { /* storage unavailable: this tab's own activity still counts */ }
}

/** The presence menu and auto-away; returns its hooks. */
export function presence({ session }) {
  const box = $id('presence');
  const chip = $id('presence-chip');
  const menu = $id('presence-menu');
  let current = null;
  let lastHere = Date.now();
  let lastWritten = 0;

  const set = (p, auto) => {
    write(autoKey(), auto ? '1' : null);
    try {
      session.setPresence(p);
    } catch (e) {
      toast(errorText(e));
    }
  };
  const show = (open) => {
    menu.hidden = !open;
    chip.setAttribute('aria-expanded', String(open));
  };
  chip.addEventListener('click', () => show(menu.hidden));
  menu.addEventListener('click', (e) => {
    const p = e.target.closest('[data-presence]')?.dataset.presence;
    if (!p) return;
    show(false);
    set(p, false);
  });
  document.addEventListener('click', (e) => { if (!box.contains(e.target)) show(false); });

  // Activity anywhere in the page; written for the other tabs at most every 2 s.
  const active = () => {
    lastHere = Date.now();
    if (lastHere - lastWritten > 2000) {
      lastWritten = lastHere;
      write(activityKey(), String(lastHere));
    }
    if (current === 'away' && read(autoKey())) set('online', false);
  };
  for (const ev of ['keydown', 'pointerdown', 'pointermove', 'wheel', 'focus']) window.addEventListener(ev, active, { passive: true, capture: true });
  setInterval(() => {
    const last = Math.max(lastHere, Number(read(activityKey())) || 0);
    if (current === 'online' && Date.now() - last >= AUTO_AWAY_MS) set('away', true);
  }, Math.min(1000, AUTO_AWAY_MS / 4));

  return {
    hooks: {
      onPresenceChange({ presence: p }) {
        current = p;
        box.hidden = false;
        chip.dataset.presence = p;
        chip.textContent = PRESENCE_TEXT[p] + (p === 'away' && read(autoKey()) ? '（自动）' : '') + ' ▾';
      },
    },
  };
}
