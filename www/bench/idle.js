// An idle agent session with the original's timings (30 s heartbeat): nothing arrives but the
// server's answers to pings. scripts/bench.sh reads the timer counts after N minutes.
import init, { AgentSession } from '../pkg/kefu_agent.js';

// The reference server wants the agent's token (`?token=`, passed on by the driver).
const token = new URLSearchParams(location.search).get('token') || '';
const serverUrl = location.origin + '/' + (token ? '?token=' + encodeURIComponent(token) : '');

await init();
const session = new AgentSession({ kfId: 'idle-bench', serverUrl, logLevel: 'silent' }, {});
session.connect();
window.idleSession = session;
