import init, { AgentSession } from 'kefu-agent';

const log = (text: string) => {
  const li = document.createElement('li');
  li.textContent = text; // customer text is untrusted: never innerHTML
  document.getElementById('log')!.append(li);
};

await init();
const params = new URLSearchParams(location.search);
// A server with accounts wants the agent's token (POST /auth/login) in the socket URL's query.
const base = params.get('server') ?? 'http://127.0.0.1:9981';
const token = params.get('token');
const session = new AgentSession(
  { serverUrl: token ? `${base}/?token=${encodeURIComponent(token)}` : base, kfId: params.get('kfId') ?? 'xiaoming' },
  {
    onStateChange: ({ state }) => { document.getElementById('state')!.textContent = state; },
    onCustomerWaiting: (c) => { log(`${c.userName} is waiting — accepting`); session.acceptCustomer(c.id); },
    onMessage: (m) => {
      log(`${m.userName}: ${m.content}`);
      session.send({ userId: m.userId, userName: m.userName, content: `Got it: ${m.content}` });
    },
  },
);
session.connect();
