// Compiled with `tsc --noEmit --strict` in CI so the published declarations cannot rot: every hook
// payload, option and method is used with the types a developer's editor would show.
import init, {
  AgentSession,
  hookNames,
  optionNames,
  type AgentSessionConfig,
  type AgentSessionHooks,
  type CustomerMessageEvent,
  type KefuError,
} from '../../pkg/web/kefu_agent.js';

const config: AgentSessionConfig = {
  kfId: 'xiaoming',
  kfName: '小明',
  serverUrl: 'http://127.0.0.1:9981/',
  heartbeatMs: 30_000,
  heartbeatTimeoutMs: 5_000,
  reconnectMs: 5_000,
  connectTimeoutMs: 10_000,
  offlineSend: 'hold',
  maxHeldMessages: 1000,
  maxFrameChars: 1 << 20,
  logLevel: 'warn',
  watchPage: true,
  durableOutbox: true,
};

const shown: string[] = [];
const hooks: AgentSessionHooks = {
  onStateChange: ({ state }) => { const s: 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed' | 'replaced' = state; shown.push(s); },
  onMessage: (m: CustomerMessageEvent) => shown.push(`${m.userName}: ${m.content.trim()} @${m.createTime ?? ''}`),
  onCustomerWaiting: (c) => shown.push(`${c.userName} (${c.waiting} waiting), id ${typeof c.id === 'number' ? c.id.toFixed(0) : c.id}`),
  onQueueChange: ({ waiting }) => shown.push(waiting.map((c) => c.userName).join(',')),
  onTransferRequest: (t) => shown.push(String(t.data['fromKfId'] ?? t.userName)),
  onTransferRejected: (c) => shown.push(c.userName),
  onHeartbeat: () => undefined,
  onOfferWithdrawn: (c) => shown.push(c.reason),
  onExtensions: ({ features }) => shown.push(features.join(',')),
  onMessageStatus: ({ localId, status, reason }) => shown.push(`${localId.toFixed(0)} ${status} ${reason ?? ''}`),
  onMessageRestored: ({ localId, userId, content }) => shown.push(`${localId.toFixed(0)} ${String(userId)} ${content}`),
  onMessageSaved: ({ localId }) => shown.push(localId.toFixed(0)),
  onFrameRejected: ({ reason, message, total }) => shown.push(`${reason} ${message} ${total.toFixed(0)}`),
  onNote: (n) => { const k: 'note' | 'whisper' | 'supervisor' = n.kind; shown.push(`${k} ${n.fromKfName}: ${n.content} ${n.mentions.join(',')}`); },
  onSupervised: ({ action, userId, error }) => shown.push(`${action} ${String(userId)} ${error ?? 'done'}`),
  onBoard: (b) => shown.push(...b.agents.map((a) => `${a.name} ${a.presence} ${a.conversations.length}/${a.maxConversations}`), ...b.queue.map((q) => q.userName)),
  onLog: ({ level, message }) => shown.push(`${level}: ${message}`),
};

export async function main(): Promise<void> {
  await init();
  const session = new AgentSession(config, hooks);
  session.connect();
  const localId: number = session.send({ userId: 'u1', userName: '张三', content: '您好' });
  session.send({ userId: 42, content: 'numeric ids work too' });
  try {
    session.acceptCustomer('nobody');
  } catch (e) {
    const err = e as KefuError;
    const code: 'INVALID_CONFIG' | 'INVALID_ARGUMENT' | 'NOT_CONNECTED' | 'UNKNOWN_CUSTOMER' | 'UNKNOWN_TRANSFER' | 'NOT_SUPPORTED' = err.code;
    shown.push(code);
  }
  session.declineCustomer(7);
  session.acceptTransfer('u9');
  session.rejectTransfer('u9');
  session.checkNow();
  session.addNote('u1', '@xiaohong 要退款');
  session.watch('u1');
  session.whisper('u1', '先问订单号');
  session.join(42);
  session.leave(42);
  session.reassign('u1', 'xiaohong');
  session.endConversation('u1');
  shown.push(session.state, session.socketUrl, session.kfId, String(session.heldCount), String(localId));
  shown.push(...session.waiting.map((c) => c.userName), ...session.pendingTransfers.map((c) => String(c.id)));
  shown.push(String(session.stats.framesRejected + session.stats.pingsSent));
  session.close();
  shown.push(...hookNames(), ...optionNames());
  session.free();
}
