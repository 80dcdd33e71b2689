/** A customer id exactly as the server sent it: string or number. It is echoed back with the same type. */
export type CustomerId = string | number;

/**
 * Connection state, also used as the console chip's `data-state`. `replaced`: the server closed
 * the socket because a newer connection of the same agent (another tab or device) took over (close
 * code 4409); the session does not reconnect by itself, `connect()` takes the connection back.
 */
export type ConnectionState = "idle" | "connecting" | "open" | "reconnecting" | "closed" | "replaced";

/**
 * The agent's presence (extension `presence`): `"online"` is offered new customers up to its
 * conversation cap, `"busy"` keeps its conversations and is offered none (nor transfers),
 * `"away"` is offered nothing. Set with `setPresence()`; the server keeps it across reconnects
 * and restarts.
 */
export type Presence = "online" | "busy" | "away";

/** The server has the agent's presence (after each hello, and on every change). */
export interface PresenceEvent {
  presence: Presence;
  /** The agent's conversation cap (its own, or the server's default), when the server says. */
  maxConversations: number | null;
}

/** Options of `new AgentSession(config, hooks)`. Unknown options are rejected (`INVALID_CONFIG`). */
export interface AgentSessionConfig {
  /** The agent's id (`kfId`), appended percent-encoded to the socket path. Required. */
  kfId: string;
  /** The agent's display name, sent as `kfName` in chat frames. Default: `kfId`. */
  kfName?: string;
  /**
   * Chat-server base URL (`http`, `https`, `ws` or `wss`; relative URLs resolve against the page).
   * The socket is `<base>/websocket/<kfId>` with `http`→`ws`, `https`→`wss`; a query string (for
   * an auth token of a backend built for the original) is kept. Default: the page's origin (in a
   * Worker, the worker's).
   */
  serverUrl?: string;
  /**
   * A bearer token for the socket, offered as the WebSocket subprotocol `kefu.bearer.<token>`
   * (beside `kefu`, which the server selects) so it never appears in a URL or a proxy's log. The
   * reference server accepts it there; a backend built for the original takes its token in
   * `serverUrl`'s query instead. Letters, digits and `!#$%&'*+-.^_`|~` only (a JWT fits).
   */
  authToken?: string;
  /** Silence (no frame received) after which a heartbeat ping is sent. Default 30000 ms. */
  heartbeatMs?: number;
  /** Time to wait for any frame after a ping before closing and reconnecting. Default 5000 ms. */
  heartbeatTimeoutMs?: number;
  /** Delay before each reconnect attempt. One attempt at a time. Default 5000 ms. */
  reconnectMs?: number;
  /** A socket that has not opened after this long is abandoned and retried. Default 10000 ms. */
  connectTimeoutMs?: number;
  /**
   * Messages sent while disconnected: `"hold"` (default) sends them, in order, on reconnect;
   * `"fail"` reports them failed at once via `onMessageStatus`.
   */
  offlineSend?: "hold" | "fail";
  /** Most messages held while disconnected; beyond it they fail with reason "too many held messages". Default 1000. */
  maxHeldMessages?: number;
  /**
   * After a socket opens with messages held, the client pings at once and holds them until the
   * server speaks: a hello (status 100) means an extension server, which gets them with message
   * ids; any other first frame means a legacy server, which gets them as the original sent them.
   * This is only the fallback for a server that stays silent. Default 3000 ms.
   */
  helloWaitMs?: number;
  /** Largest text frame read, in UTF-16 units; larger frames are skipped unparsed. Default 1048576. */
  maxFrameChars?: number;
  /** Most verbose log level. Default `"warn"` (heartbeats are `"debug"`). */
  logLevel?: "silent" | "error" | "warn" | "info" | "debug";
  /** Ping or reconnect at once on `online`, `visibilitychange`→visible and `pageshow`. Default true. */
  watchPage?: boolean;
  /**
   * Keep every message accepted by `send()` and not yet confirmed (acknowledged under the `ack`
   * extension; with a legacy server, written to an open socket, as the original counted it) in
   * IndexedDB, keyed by server and kfId. The write starts inside `send()`; `onMessageSaved` reports
   * its commit. The next session for the same server and agent restores them (`onMessageRestored`),
   * in order and before anything newer, under their original ids, and sends them (the server drops
   * duplicates by id). Storage unavailable or full: one warning, and the session works in memory;
   * `send()` never throws for it. Default false.
   */
  durableOutbox?: boolean;
  /**
   * One socket for every tab of this browser that runs a session for the same server and agent.
   * The tabs elect a leader with the Web Locks API; it owns the socket and shares it over a
   * BroadcastChannel. Every tab's hooks hear the same events (`state`, `waiting` and
   * `pendingTransfers` answer the leader's view), and an action or `send()` in any tab goes
   * through the leader (`onOtherTabAction` tells the other tabs about it). When the leader tab
   * closes, calls `close()` or crashes, another tab owns the socket at once, restores the durable
   * outbox (turn on `durableOutbox` too, so nothing in flight is lost) and asks the server only for
   * frames after the last one the tabs saw. Where Web Locks or BroadcastChannel are missing, a
   * warning is logged and the tab uses its own socket (a server that allows one socket per agent
   * then closes the older one: state `"replaced"`). Default false.
   */
  shareAcrossTabs?: boolean;
  /**
   * For pages that keep what they showed (the console keeps LayIM's chat log): where the `seq`
   * numbering stands is saved in localStorage, per server and agent, when the page hides or
   * `close()` is called, and the next session (a reload, a new tab) asks the server only for frames
   * after it instead of a replay of every open conversation. After a crash nothing was saved and
   * the server replays as before. Default false.
   */
  resumeAcrossReloads?: boolean;
}

/** A customer named by the server. */
export interface Customer {
  /** The customer's id (status 2/4/5 `data.id`, status 1 `data.userId`). */
  id: CustomerId;
  /** Display name (the id's text when the server sent none). Untrusted: escape before rendering. */
  userName: string;
}

/** Status 1: a customer's chat message. All strings are untrusted. */
export interface CustomerMessageEvent {
  userId: CustomerId;
  /** The customer's name; the id's text when the server sent none. */
  userName: string;
  /** The agent the server routed it to, when sent. */
  kfId?: string | number | null;
  /** Message text as the customer typed it. Untrusted: never insert as HTML. */
  content: string;
  /** Server timestamp (`createTime`) as sent, when sent. */
  createTime?: string | number | null;
  /** The frame's `data` object is passed as parsed, so any other field the server sends is here too. */
  [field: string]: unknown;
}

/** Status 2: a customer asks to be accepted. */
export interface CustomerWaitingEvent extends Customer {
  /** Waiting customers now, this one included. */
  waiting: number;
  /**
   * The whole `data` object the server sent. With the `queue` extension it has `waitedMs`: how
   * long the customer had waited when offered.
   */
  data: Record<string, unknown>;
}

/** Status 4: a colleague transfers a conversation to you. */
export interface TransferRequestEvent extends Customer {
  /** The whole `data` object the server sent. */
  data: Record<string, unknown>;
}

/** The fate of a message passed to `send`. */
export interface MessageStatusEvent {
  /** The id `send` returned. */
  localId: number;
  /**
   * `held` while disconnected, `sent` once written to an open socket, `acked` once the server
   * confirmed it (extension `ack`; never with a legacy server), `failed` with a reason.
   */
  status: "held" | "sent" | "acked" | "failed";
  reason: string | null;
}

/** A message an earlier page load kept (`durableOutbox`) is back in this session, to be sent. */
export interface RestoredMessageEvent {
  /** Its id in this session: `onMessageStatus` reports its fate under it. */
  localId: number;
  userId: CustomerId;
  userName: string;
  content: string;
}

/** A malformed frame was skipped. */
export interface FrameRejectedEvent {
  /** Class: not-json, not-object, bad-status, unknown-status, bad-data, binary, too-large. */
  reason: string;
  /** Human detail. */
  message: string;
  /** Frames rejected so far in this session. */
  total: number;
}

/** Extension `typing`: a customer is typing (or stopped). */
export interface TypingEvent {
  userId: CustomerId;
  typing: boolean;
  /**
   * Their unsent text, only when the server runs with sneak peek and the session negotiated
   * `peek` (at most one update a second; never stored). Untrusted: never insert as HTML.
   */
  text: string | null;
}

/**
 * Extension `notes`: an internal note (by the agent in the conversation, for the colleagues it
 * mentions) or a supervisor's whisper. The server never shows either to the customer.
 */
export interface NoteEvent {
  /** The customer the conversation is with. */
  userId: CustomerId;
  /** Their name. Untrusted: escape before rendering. */
  userName: string;
  /**
   * `"note"` (a colleague's internal note), `"whisper"` (a supervisor, to you only) or
   * `"supervisor"` (a copy of what a supervisor who joined the conversation told the customer).
   */
  kind: "note" | "whisper" | "supervisor";
  /** Who wrote it. */
  fromKfId: string;
  /** Their display name. Escape before rendering. */
  fromKfName: string;
  /** The text. Never insert as HTML. */
  content: string;
  /** The agents it `@mentions` (kfIds). */
  mentions: string[];
  /** When the server stored it (ms since the epoch). */
  createTime: number;
}

/**
 * Extension `board` (offered to supervisors' sockets only): the live board, sent on every change.
 * Times are instants (ms since the epoch): run the timers yourself.
 */
export interface BoardEvent {
  /** Every agent the server knows since it started. */
  agents: BoardAgent[];
  /** Customers waiting, oldest first. */
  queue: { userId: string; userName: string; waitingSince: number; offeredTo: string | null; connected: boolean; department: string | null;
    /** A partitioned cluster: the partition that routes this customer, when it is not this board's. */
    partition?: string }[];
}

/** One agent on the board. Names are untrusted: escape before rendering. */
export interface BoardAgent {
  kfId: string;
  name: string;
  /** A socket is open. */
  online: boolean;
  presence: Presence;
  maxConversations: number;
  /** Live conversations; `lastAgentAt` null means no first response yet. */
  conversations: { userId: string; userName: string; startedAt: number | null; connected: boolean; lastVisitorAt: number | null; lastAgentAt: number | null }[];
  /** A partitioned cluster: the partition that routes this agent, when it is not the one this
   * supervisor's socket is in. Whispers, reassigning (to an agent of the same partition), ending,
   * presence and cap work through the HTTP API from any partition; watching and joining only
   * from a console that partition serves, and so do this session's `whisper()`, `reassign()` and
   * `endConversation()`. */
  partition?: string;
}

/** Extension `monitor`: messages of a conversation this supervisor watches (`watch()`). */
export interface MonitorEvent {
  userId: CustomerId;
  /** The customer's name. Untrusted: escape before rendering. */
  userName: string;
  /** The agent serving them. */
  kfId: string;
  /** True for the first event after `watch()`: `messages` is the history so far. */
  start: boolean;
  /** Oldest first. `sender`: `visitor`, `agent`, `note`, `whisper` or `system`. Text only: never insert as HTML. */
  messages: { sender: string; kfId: string | null; content: string; createTime: number }[];
}

/** Extension `monitor`: who watches a conversation of this agent (empty: nobody any more). */
export interface ViewersEvent {
  userId: CustomerId;
  /** Names untrusted: escape before rendering. */
  viewers: { kfId: string; name: string }[];
}

/** Extension `supervise`: how a supervisor's `whisper`, `join`, `leave`, `reassign` or `endConversation` went. */
export interface SupervisedEvent {
  /** `"whisper"`, `"join"`, `"leave"`, `"reassign"` or `"end"`. */
  action: string;
  userId: CustomerId;
  /** Why it was refused (not a supervisor, no live conversation, agent offline, …); null: done. */
  error: string | null;
}

/** Extension `recall`: a message was recalled (撤回) — the agent's (`by: "agent"`, `msgId` is
 * the wire id of the local id given to `recall()`) or the customer's (`by: "visitor"`, `msgId` as
 * in `onMessage`'s `data.msgId`) — or, with `error`, this agent's recall was refused (too late,
 * not theirs). Show 消息已撤回 in its place. */
export interface RecallEvent {
  userId: CustomerId;
  msgId: string;
  by: "agent" | "visitor";
  /** Why the agent's recall was refused; null: recalled. */
  error: string | null;
  /** The agent's own message: the local id `send` returned (null for the customer's). */
  localId: number | null;
}

/** Extension `lifecycle`: something happened in a conversation's life. `event` is
 * `"offerExpired"` (an offer to this agent lapsed and moved on), `"idleWarning"` (`closesInMs`),
 * `"closed"` (`reason`: `"idle"`, `"left"` or `"transferred"` — to `department`, named
 * `departmentName`, which another partition of a cluster routes: the customer is in its queue), `"rated"` (`stars` 1–5, `comment`, `agents`: the
 * transfer chain) or `"offlineMessage"` (a customer left a message: `id`, `name`). Names and
 * comments are untrusted: escape before rendering. */
export interface LifecycleEvent {
  userId: CustomerId;
  userName: string;
  event: "offerExpired" | "idleWarning" | "closed" | "rated" | "offlineMessage";
  closesInMs?: number;
  reason?: "idle" | "left" | "transferred";
  department?: string;
  departmentName?: string;
  stars?: number;
  comment?: string | null;
  agents?: string[];
  id?: number;
  name?: string;
}

/** `shareAcrossTabs`: what another tab of this agent did, so this one can show it too. */
export interface OtherTabActionEvent {
  /** The method the other tab called. */
  action: "acceptCustomer" | "declineCustomer" | "acceptTransfer" | "rejectTransfer" | "send";
  /** The customer. */
  id: CustomerId;
  /** The customer's name, when known. Untrusted: escape before rendering. */
  userName: string | null;
  /** For `send`: the text the agent sent. Never insert as HTML. */
  content?: string;
}

/** Callbacks for the UI layer; all optional. A hook that throws is logged and ignored. */
export interface AgentSessionHooks {
  /** The connection state changed. */
  onStateChange?(e: { state: ConnectionState }): void;
  /** Status 1: a customer wrote. */
  onMessage?(e: CustomerMessageEvent): void;
  /** Status 2: a customer waits; call `acceptCustomer(e.id)` or `declineCustomer(e.id)`. */
  onCustomerWaiting?(e: CustomerWaitingEvent): void;
  /** The waiting queue changed (oldest first). */
  onQueueChange?(e: { waiting: Customer[] }): void;
  /** Status 4: call `acceptTransfer(e.id)` or `rejectTransfer(e.id)`. */
  onTransferRequest?(e: TransferRequestEvent): void;
  /** Status 5: your transfer was refused; the conversation stays with you. */
  onTransferRejected?(e: Customer): void;
  /** Status 9: the server answered a heartbeat. */
  onHeartbeat?(e: {}): void;
  /** Status 3 (extension `withdraw`): a waiting customer was taken by a colleague or left; they are out of the queue. */
  onOfferWithdrawn?(e: Customer & { reason: string }): void;
  /** The server said hello (status 100) and these extensions are in use on this socket. Never called with a legacy server. */
  onExtensions?(e: { features: string[] }): void;
  /** Extension `presence`: the server has the agent's presence and cap. */
  onPresenceChange?(e: PresenceEvent): void;
  /** Extension `typing`: a customer started or stopped typing (clear it yourself after 6 s without a new one). */
  onTyping?(e: TypingEvent): void;
  /** Extension `read`: a customer's page has shown these messages (by the ids `send` returned). */
  onRead?(e: { userId: CustomerId; localIds: number[] }): void;
  /** Extension `notes`: a colleague's internal note or a supervisor's whisper (never the customer's to see). */
  onNote?(e: NoteEvent): void;
  /** Extension `board` (supervisors): the live board changed; always the whole board (with
   * `boardDelta` the server sends only changes and the session merges them into the board it keeps). */
  onBoard?(e: BoardEvent): void;
  /** Extension `monitor` (supervisors): a watched conversation's history, then each new message. */
  onMonitor?(e: MonitorEvent): void;
  /** Extension `monitor`: who watches one of this agent's conversations now. */
  onViewers?(e: ViewersEvent): void;
  /** Extension `supervise` (supervisors): how a supervisor action of this session went. */
  onSupervised?(e: SupervisedEvent): void;
  /** Extension `recall`: a message was recalled, or this agent's recall refused. */
  onRecall?(e: RecallEvent): void;
  /** Extension `lifecycle`: an offer lapsed, a conversation warned or closed for silence, a rating, a message left. */
  onLifecycle?(e: LifecycleEvent): void;
  /** A sent message was held, sent or failed. */
  onMessageStatus?(e: MessageStatusEvent): void;
  /** `durableOutbox`: a message kept by an earlier page load was restored and will be sent. */
  onMessageRestored?(e: RestoredMessageEvent): void;
  /** `durableOutbox`: the message is in durable storage (its write committed). */
  onMessageSaved?(e: { localId: number }): void;
  /** A malformed frame was skipped; the session stays up. */
  onFrameRejected?(e: FrameRejectedEvent): void;
  /** `shareAcrossTabs`: another tab of this agent answered a customer or sent a message. */
  onOtherTabAction?(e: OtherTabActionEvent): void;
  /** Log lines at or above `logLevel`; without this hook they go to the console. */
  onLog?(e: { level: "error" | "warn" | "info" | "debug"; message: string }): void;
}

/** Argument of `AgentSession.send`. */
export interface OutgoingMessage {
  /** The customer (as received in `onMessage`/`onCustomerWaiting`). */
  userId: CustomerId;
  /** The customer's name, sent as `userName`. Default: the id. */
  userName?: string;
  /** Text to send. */
  content: string;
}

/** Counters for diagnostics. */
export interface SessionStats {
  framesReceived: number;
  framesRejected: number;
  staleEvents: number;
  socketsOpened: number;
  pingsSent: number;
  framesSent: number;
  /** Frames dropped as duplicates by sequence number (extension `seq`). */
  duplicatesDropped: number;
  /** Messages re-sent after a reconnect because their ack never came (extension `ack`). */
  resent: number;
  /** Messages written and not yet acknowledged (extension `ack`). */
  unacked: number;
}

/**
 * Errors thrown by `AgentSession` are `Error`s named `KefuError` with a stable `code`:
 * `INVALID_CONFIG`, `INVALID_ARGUMENT`, `NOT_CONNECTED`, `UNKNOWN_CUSTOMER`, `UNKNOWN_TRANSFER`,
 * `NOT_SUPPORTED` (the server does not offer the extension a method needs).
 */
export interface KefuError extends Error {
  name: "KefuError";
  code: "INVALID_CONFIG" | "INVALID_ARGUMENT" | "NOT_CONNECTED" | "UNKNOWN_CUSTOMER" | "UNKNOWN_TRANSFER" | "NOT_SUPPORTED";
}
