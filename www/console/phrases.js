// `/` phrases: typing `/` at the start of a word in a conversation's input opens the canned-phrase
// list, filtered as the agent types (by text and shortcut), driven by ↑ ↓ Enter Esc or the mouse;
// the choice replaces `/query` at the cursor. Only a `/` after a space or at the start counts, so
// LayIM's `face[…]`, `img[…]` and URLs are never touched. Phrases are shown as text.
import { api } from './util.js';

let all = null; // the phrase list, fetched once
const load = () => (all ??= api('sessionComm/sessionCommList', { body: { content: '', page: 1, pageCount: 999, source: '' } })
  .then((r) => r.data.list, () => { all = null; return []; }));

/** The `/query` before the caret of `ta`, as { start, query }, or null. */
function slashAt(ta) {
  const before = ta.value.slice(0, ta.selectionStart);
  const m = /(^|\s)\/([^\s/]*)$/.exec(before);
  return m ? { start: before.length - m[2].length - 1, query: m[2].toLowerCase() } : null;
}

/** Wires every conversation input of the page. */
export function phrases() {
  const list = document.createElement('ul');
  list.className = 'kefu-slash';
  list.setAttribute('role', 'listbox');
  list.hidden = true;
  document.body.append(list);
  let ta = null;
  let items = [];
  let at = 0;

  const close = () => { list.hidden = true; items = []; ta = null; };
  function paint() {
    list.replaceChildren(...items.map((p, i) => {
      const li = document.createElement('li');
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', String(i === at));
      if (p.shortcut) {
        const b = document.createElement('b');
        b.textContent = '/' + p.shortcut;
        li.append(b, ' ');
      }
      li.append(p.content);
      li.addEventListener('mousedown', (e) => { e.preventDefault(); at = i; choose(); });
      return li;
    }));
    list.children[at]?.scrollIntoView({ block: 'nearest' });
  }
  async function update(target) {
    const s = slashAt(target);
    if (!s) return close();
    const phrases = await load();
    if (slashAt(target)?.query !== s.query) return; // typed on meanwhile
    items = phrases.filter((p) => p.content.toLowerCase().includes(s.query) || (p.shortcut || '').toLowerCase().includes(s.query)).slice(0, 50);
    if (!items.length) return close();
    ta = target;
    at = Math.min(at, items.length - 1);
    const r = target.getBoundingClientRect();
    Object.assign(list.style, { left: r.left + 'px', bottom: (window.innerHeight - r.top + 4) + 'px', width: Math.max(260, r.width) + 'px' });
    list.hidden = false;
    paint();
  }
  function choose() {
    const p = items[at];
    const s = ta && slashAt(ta);
    if (!p || !s) return close();
    const target = ta;
    const end = target.selectionStart;
    target.value = target.value.slice(0, s.start) + p.content + target.value.slice(end);
    const caret = s.start + p.content.length;
    target.setSelectionRange(caret, caret);
    close();
    target.focus();
    target.dispatchEvent(new Event('input', { bubbles: true })); // drafts and typing see it
  }

  const isInput = (el) => el instanceof HTMLTextAreaElement && el.closest('.layim-chat-textarea');
  document.addEventListener('input', (e) => { if (isInput(e.target)) { at = 0; update(e.target); } });
  document.addEventListener('click', (e) => { if (!list.contains(e.target)) close(); });
  // Capture phase: the list's keys never reach LayIM (whose Enter would send the message).
  document.addEventListener('keydown', (e) => {
    if (list.hidden || e.target !== ta) return;
    const keys = { ArrowDown: () => { at = (at + 1) % items.length; paint(); }, ArrowUp: () => { at = (at - 1 + items.length) % items.length; paint(); },
      Enter: choose, Tab: choose, Escape: close };
    const act = keys[e.key];
    if (!act) return;
    e.preventDefault();
    e.stopPropagation();
    act();
  }, true);
}
