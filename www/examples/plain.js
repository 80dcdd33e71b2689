// The whole integration: one session, a few hooks, plain DOM with textContent only.
import init, { AgentSession } from '../pkg/kefu_agent.js';

const params = new URLSearchParams(location.search);
const kfId = params.get('kfId') || 'xiaoming';
const $ = (id) => document.getElementById(id);
const talking = new Map(); // customer id -> name
const statuses = new Map(); // localId -> held / sent / failed (reported during send() too)

function item(list, text, cls) {
  const li = document.createElement('li');
  li.textContent = text;
  if (cls) li.className = cls;
  $(list).append(li);
  return li;
}

function renderTalking() {
  $('to').replaceChildren(...[...talking].map(([id, name]) => {
    const o = document.createElement('option');
    o.value = String(id);
    o.textContent = name;
    return o;
  }));
}

await init();
// A server with accounts wants the agent's token (POST /auth/login) in the socket URL's query.
const token = params.get('token');
const base = params.get('server') || location.origin;
const session = new AgentSession({ serverUrl: token ? base + '/?token=' + encodeURIComponent(token) : base, kfId }, {
  onStateChange: ({ state }) => { $('state').dataset.state = state; $('state').textContent = state; },
  onQueueChange: ({ waiting }) => {
    $('waiting').replaceChildren();
    for (const c of waiting) {
      const li = item('waiting', c.userName + ' ');
      for (const [label, act] of [['accept', 'acceptCustomer'], ['decline', 'declineCustomer']]) {
        const b = document.createElement('button');
        b.textContent = label;
        b.dataset.action = act;
        b.onclick = () => {
          session[act](c.id);
          if (act === 'acceptCustomer') { talking.set(c.id, c.userName); renderTalking(); }
        };
        li.append(b);
      }
    }
  },
  onMessage: (m) => {
    if (!talking.has(m.userId)) { talking.set(m.userId, m.userName); renderTalking(); }
    item('messages', m.userName + ': ' + m.content);
  },
  onTransferRequest: (t) => session.acceptTransfer(t.id),
  onMessageStatus: ({ localId, status }) => {
    statuses.set(localId, status);
    const li = document.querySelector('[data-local-id="' + localId + '"]');
    if (li) li.dataset.status = status;
  },
});
$('agent').textContent = kfId;
session.connect();
window.session = session;

$('reply').addEventListener('submit', (e) => {
  e.preventDefault();
  const id = [...talking.keys()].find((k) => String(k) === $('to').value);
  if (id === undefined || !$('text').value) return;
  const li = item('messages', 'me: ' + $('text').value, 'me');
  const localId = session.send({ userId: id, userName: talking.get(id), content: $('text').value });
  li.dataset.localId = localId;
  li.dataset.status = statuses.get(localId) || 'held';
  $('text').value = '';
});
