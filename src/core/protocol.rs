//! The names and numbers of the wire protocol, in one place: the `status` of server → agent
//! frames, the `respStatus` of agent → server frames, and the negotiated extensions. The
//! reference server's `tests/protocol_names.rs` checks its own frames and lists against these.

/// `status` of a server → agent frame.
pub mod status {
    /// A customer's chat message.
    pub const MESSAGE: i64 = 1;
    /// A customer waits to be accepted.
    pub const WAITING: i64 = 2;
    /// An offer was withdrawn (extension `withdraw`).
    pub const WITHDRAWN: i64 = 3;
    /// A colleague transfers a conversation.
    pub const TRANSFER: i64 = 4;
    /// Our transfer was refused.
    pub const TRANSFER_REFUSED: i64 = 5;
    /// Heartbeat answer.
    pub const HEARTBEAT: i64 = 9;
    /// The server's hello, offering extensions.
    pub const HELLO: i64 = 100;
    /// A chat message is stored and routed, or refused (extension `ack`).
    pub const ACK: i64 = 101;
    /// The agent's presence and cap (extension `presence`).
    pub const PRESENCE: i64 = 102;
    /// A customer is typing (extension `typing`).
    pub const TYPING: i64 = 103;
    /// A customer has seen the agent's messages (extension `read`).
    pub const READ: i64 = 104;
    /// An internal note or a supervisor's whisper (extension `notes`).
    pub const NOTE: i64 = 105;
    /// The live board (extension `board`, offered to supervisors only).
    pub const BOARD: i64 = 106;
    /// A watched conversation's history, then each new message (extension `monitor`).
    pub const MONITOR: i64 = 107;
    /// Who watches a conversation of this agent (extension `monitor`).
    pub const VIEWERS: i64 = 108;
    /// How a supervisor's action went (extension `supervise`).
    pub const SUPERVISED: i64 = 109;
    /// A message was recalled (撤回), or our recall refused (extension `recall`).
    pub const RECALLED: i64 = 110;
    /// A conversation's life: offer countdowns, idle warnings and closes, ratings, messages left
    /// (extension `lifecycle`).
    pub const LIFECYCLE: i64 = 111;
}

/// `respStatus` of an agent → server frame (a chat message has none).
pub mod resp_status {
    /// Accept a waiting customer.
    pub const ACCEPT: u64 = 2;
    /// Decline a waiting customer.
    pub const DECLINE: u64 = 3;
    /// Accept a transfer.
    pub const ACCEPT_TRANSFER: u64 = 4;
    /// Refuse a transfer.
    pub const REJECT_TRANSFER: u64 = 5;
    /// Heartbeat ping.
    pub const PING: u64 = 9;
    /// Answer to the hello: the extensions chosen.
    pub const HELLO: u64 = 100;
    /// Set the agent's presence (extension `presence`).
    pub const PRESENCE: u64 = 102;
    /// Typing to a customer (extension `typing`).
    pub const TYPING: u64 = 103;
    /// Seen a customer's messages (extension `read`).
    pub const SEEN: u64 = 104;
    /// An internal note in a conversation (extension `notes`).
    pub const NOTE: u64 = 105;
    /// Start or stop watching a conversation (extension `monitor`, supervisors).
    pub const WATCH: u64 = 107;
    /// A supervisor's action: whisper, join, leave, reassign, end (extension `supervise`).
    pub const SUPERVISE: u64 = 109;
    /// Recall one of the agent's own messages (extension `recall`).
    pub const RECALL: u64 = 110;
}

/// A protocol extension, offered in the server's hello and chosen in the answer; a legacy server
/// offers none and sees exactly the original frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extension {
    /// Status 3: a waiting customer's offer is withdrawn.
    Withdraw,
    /// Status 101: chat messages carry a `msgId` and are acknowledged.
    Ack,
    /// Frames are numbered; a reconnect asks only for what it missed.
    Seq,
    /// Status/respStatus 102: online, busy, away and the cap.
    Presence,
    /// Queue positions for waiting customers.
    Queue,
    /// Status/respStatus 103: typing signals both ways.
    Typing,
    /// Status/respStatus 104: read receipts both ways.
    Read,
    /// Typing signals carry the customer's unsent text (servers run with `--sneak-peek`).
    Peek,
    /// Status/respStatus 105: internal notes and supervisors' whispers, never shown to customers.
    Notes,
    /// Status 106: the live board, pushed on every change (servers offer it to supervisors only).
    Board,
    /// Status 106 carries only what changed after the first whole board; the shell keeps the
    /// whole board, so `onBoard` always gets it whole.
    BoardDelta,
    /// Status 107/108, respStatus 107: supervisors watch conversations; agents see who watches.
    Monitor,
    /// Status/respStatus 109: a supervisor's actions from the socket (offered to supervisors only).
    Supervise,
    /// Status/respStatus 110: messages recalled (撤回) by their sender within the server's window.
    Recall,
    /// Status 111: offer countdowns, idle warnings and closes, ratings, messages left (留言).
    Lifecycle,
    /// No frames: the server (a cluster) asks for a quick first reconnect after an unplanned loss,
    /// so a node's death costs the agent well under a second, not the 5 s wait.
    Failover,
}

impl Extension {
    /// Every extension this client implements.
    pub const ALL: [Extension; 16] = [
        Extension::Withdraw,
        Extension::Ack,
        Extension::Seq,
        Extension::Presence,
        Extension::Queue,
        Extension::Typing,
        Extension::Read,
        Extension::Peek,
        Extension::Notes,
        Extension::Board,
        Extension::BoardDelta,
        Extension::Monitor,
        Extension::Supervise,
        Extension::Recall,
        Extension::Lifecycle,
        Extension::Failover,
    ];

    /// Its name in the hello.
    pub const fn as_str(self) -> &'static str {
        match self {
            Extension::Withdraw => "withdraw",
            Extension::Ack => "ack",
            Extension::Seq => "seq",
            Extension::Presence => "presence",
            Extension::Queue => "queue",
            Extension::Typing => "typing",
            Extension::Read => "read",
            Extension::Peek => "peek",
            Extension::Notes => "notes",
            Extension::Board => "board",
            Extension::BoardDelta => "boardDelta",
            Extension::Monitor => "monitor",
            Extension::Supervise => "supervise",
            Extension::Recall => "recall",
            Extension::Lifecycle => "lifecycle",
            Extension::Failover => "failover",
        }
    }

    /// The extension named `s`, if this client implements it.
    pub fn parse(s: &str) -> Option<Extension> {
        Extension::ALL.into_iter().find(|e| e.as_str() == s)
    }
}
