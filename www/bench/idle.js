// An idle agent session with the original's timings (30 s heartbeat): nothing arrives but the
// server's answers to pings. scripts/bench.sh reads the timer counts after N minutes.
import init, { AgentSession } from '../pkg/kefu_agent.js';

await init();
const session = new AgentSession({ kfId: 'idle-bench', logLevel: 'silent' }, {});
session.connect();
window.idleSession = session;
