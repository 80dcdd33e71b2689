//! The numbers and names of the agent protocol as the server speaks it. The client keeps its own
//! (`kefu_agent::core::protocol`); `tests/protocol_names.rs` fails when the two disagree.

/// `status` of a server → agent frame.
pub mod status {
    /// A customer's chat message.
    pub const MESSAGE: i64 = 1;
    /// A customer waits to be accepted.
    pub const WAITING: i64 = 2;
    /// An offer is withdrawn (extension `withdraw`).
    pub const WITHDRAWN: i64 = 3;
    /// A colleague transfers a conversation.
    pub const TRANSFER: i64 = 4;
    /// A transfer was refused.
    pub const TRANSFER_REFUSED: i64 = 5;
    /// Heartbeat answer.
    pub const HEARTBEAT: i64 = 9;
    /// The hello.
    pub const HELLO: i64 = 100;
    /// A chat message is stored and routed, or refused (extension `ack`).
    pub const ACK: i64 = 101;
    /// Presence and cap (extension `presence`).
    pub const PRESENCE: i64 = 102;
    /// A customer is typing (extension `typing`).
    pub const TYPING: i64 = 103;
    /// A customer has been shown the agent's messages (extension `read`).
    pub const READ: i64 = 104;
    /// An internal note or a supervisor's whisper in a conversation (extension `notes`).
    pub const NOTE: i64 = 105;
    /// The live board, on every change (extension `board`, supervisors only).
    pub const BOARD: i64 = 106;
    /// A watched conversation's history, then each new message (extension `monitor`).
    pub const MONITOR: i64 = 107;
    /// Who is watching a conversation, for the agent in it (extension `monitor`).
    pub const VIEWERS: i64 = 108;
    /// The outcome of a supervisor's action from the socket (extension `supervise`).
    pub const SUPERVISED: i64 = 109;
    /// A message was recalled (撤回), or a recall refused (extension `recall`).
    pub const RECALLED: i64 = 110;
    /// A conversation's life: offer timeouts, idle warnings and closes, ratings, messages left
    /// (extension `lifecycle`).
    pub const LIFECYCLE: i64 = 111;
}

/// `respStatus` of an agent → server frame.
pub mod resp_status {
    /// Accept a waiting customer.
    pub const ACCEPT: i64 = 2;
    /// Decline a waiting customer.
    pub const DECLINE: i64 = 3;
    /// Accept a transfer.
    pub const ACCEPT_TRANSFER: i64 = 4;
    /// Refuse a transfer.
    pub const REJECT_TRANSFER: i64 = 5;
    /// Heartbeat ping.
    pub const PING: i64 = 9;
    /// Answer to the hello.
    pub const HELLO: i64 = 100;
    /// Set presence (extension `presence`).
    pub const PRESENCE: i64 = 102;
    /// Typing (extension `typing`).
    pub const TYPING: i64 = 103;
    /// Seen (extension `read`).
    pub const SEEN: i64 = 104;
    /// An internal note in a conversation (extension `notes`).
    pub const NOTE: i64 = 105;
    /// Start or stop watching a conversation (extension `monitor`, supervisors only).
    pub const WATCH: i64 = 107;
    /// A supervisor's action: whisper, join, leave, reassign, end (extension `supervise`).
    pub const SUPERVISE: i64 = 109;
    /// Recall one of the agent's own messages (extension `recall`).
    pub const RECALL: i64 = 110;
}

/// Extension `withdraw`.
pub const WITHDRAW: &str = "withdraw";
/// Extension `ack`.
pub const ACK: &str = "ack";
/// Extension `seq`.
pub const SEQ: &str = "seq";
/// Extension `presence`.
pub const PRESENCE: &str = "presence";
/// Extension `queue`.
pub const QUEUE: &str = "queue";
/// Extension `typing`.
pub const TYPING: &str = "typing";
/// Extension `read`.
pub const READ: &str = "read";
/// Extension `notes`: internal notes and whispers, never shown to the customer.
pub const NOTES: &str = "notes";
/// Extension `monitor`: supervisors watch conversations; agents see who watches theirs.
pub const MONITOR: &str = "monitor";
/// Extension `supervise`: a supervisor's actions from the socket (offered to supervisors only).
pub const SUPERVISE: &str = "supervise";
/// Extension `board`: the live board pushed on every change (offered to supervisors only).
pub const BOARD: &str = "board";
/// Extension `boardDelta`: after the first whole board, only what changed (offered to supervisors
/// only, with `board`).
pub const BOARD_DELTA: &str = "boardDelta";
/// Extension `recall`: messages recalled (撤回) by their sender within the window.
pub const RECALL: &str = "recall";
/// Extension `lifecycle`: offer countdowns, idle warnings and closes, ratings, messages left.
pub const LIFECYCLE: &str = "lifecycle";
/// Extension `failover`: no frames; the client reconnects at once (spread over half a second)
/// after losing a socket, since another node of a cluster takes over at once.
pub const FAILOVER: &str = "failover";
/// Extension `peek` (offered only with `--sneak-peek`).
pub const PEEK: &str = "peek";
