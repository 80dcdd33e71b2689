// Drafts: what the agent typed in a conversation's input and has not sent survives switching
// conversations, a reload and a crash. Kept in localStorage per server, agent and customer as it is
// typed; put back when the customer's chat window opens; forgotten when sent.
import { kfId, server } from './util.js';
import { chatIdOf } from './chats.js';

const key = (lid) => 'kefuDraft:' + server + ':' + kfId + ':' + lid;

function write(lid, text) {
  try {
    if (text) localStorage.setItem(key(lid), text);
    else localStorage.removeItem(key(lid));
  } catch (_) { /* storage full or unavailable: the draft lives in the input only */ }
}

/** Saves every conversation's input as it is typed. */
export function keepDrafts() {
  document.addEventListener('input', (e) => {
    if (!(e.target instanceof HTMLTextAreaElement) || !e.target.closest('.layim-chat-textarea')) return;
    const lid = chatIdOf(e.target);
    if (lid) write(lid, e.target.value);
  });
}

/** Puts the saved draft back into a chat's empty input. */
export function restoreDraft(lid, textarea) {
  const text = localStorage.getItem(key(lid));
  if (text && textarea && !textarea.val()) textarea.val(text);
}

/** Forgets the draft of a conversation (its message was sent). */
export function clearDraft(lid) {
  write(lid, '');
}
