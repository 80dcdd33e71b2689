//! What the session asks its shell to do ([`Output`]) and tells its UI ([`UiEvent`]).

use super::frames_in::{Customer, CustomerMessage, FrameError, TransferRequest};

/// Identifies one socket. Every socket the session opens gets a new, larger id (its generation);
/// events carrying an older id are from a superseded socket and are ignored.
pub type ConnId = u64;

/// Connection state shown to the agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    /// Created, `connect()` not called yet.
    Idle,
    /// A socket is being opened (the first one).
    Connecting,
    /// The socket is open.
    Open,
    /// Waiting to retry, or retrying, after losing the socket.
    Reconnecting,
    /// Closed on purpose by `close()`; never reconnects by itself.
    Closed,
}

impl LinkState {
    /// The lower-case name used in the JS API and the console's `data-state`.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkState::Idle => "idle",
            LinkState::Connecting => "connecting",
            LinkState::Open => "open",
            LinkState::Reconnecting => "reconnecting",
            LinkState::Closed => "closed",
        }
    }
}

/// Severity of a log line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Something failed.
    Error = 1,
    /// Something was wrong but handled (a rejected frame, a timeout).
    Warn = 2,
    /// A state change.
    Info = 3,
    /// Routine traffic (heartbeats).
    Debug = 4,
}

/// The fate of a chat message the agent sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Held while disconnected; it goes out when the socket opens.
    Held,
    /// Written to an open socket.
    Sent,
    /// Acknowledged by the server (extension `ack`): stored and routed, will not be lost.
    Acked,
    /// Not sent; see the reason.
    Failed,
}

impl DeliveryStatus {
    /// The lower-case name used in the JS API.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Held => "held",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Acked => "acked",
            DeliveryStatus::Failed => "failed",
        }
    }
}

/// Something the UI layer should know about.
#[derive(Clone, Debug, PartialEq)]
pub enum UiEvent {
    /// The connection state changed.
    StateChanged(LinkState),
    /// Status 1: a customer wrote.
    Message(CustomerMessage),
    /// Status 2: a customer waits to be accepted; `waiting` is the queue length now.
    CustomerWaiting {
        /// Who.
        customer: Customer,
        /// Queue length including this customer.
        waiting: usize,
    },
    /// The waiting queue changed (oldest first).
    QueueChanged(Vec<Customer>),
    /// Status 4: a colleague offers a conversation.
    TransferRequest(TransferRequest),
    /// Status 5: our transfer was refused; the conversation stays with us.
    TransferRejected(Customer),
    /// Status 9: the server answered a ping.
    Heartbeat,
    /// Status 3 (extension): a waiting customer's offer was withdrawn; they left the queue.
    OfferWithdrawn {
        /// Who.
        customer: Customer,
        /// Why.
        reason: String,
    },
    /// The server's hello was answered; these extensions are now in use on this socket.
    ExtensionsNegotiated(Vec<&'static str>),
    /// A sent chat message changed state.
    MessageStatus {
        /// The id `send` returned.
        local_id: u64,
        /// Its new state.
        status: DeliveryStatus,
        /// Why it failed, for `Failed`.
        reason: Option<String>,
    },
    /// A frame was rejected and skipped; `total` counts rejections so far.
    FrameRejected {
        /// Why.
        error: FrameError,
        /// Rejected frames so far in this session.
        total: u64,
    },
}

/// An instruction for the shell, drained with [`crate::core::Session::poll_output`].
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    /// Open a new socket for generation `conn` (and drop any older one).
    OpenSocket {
        /// The new generation.
        conn: ConnId,
    },
    /// Send a text frame on socket `conn`.
    Send {
        /// The socket.
        conn: ConnId,
        /// The JSON text.
        text: String,
        /// For a chat message, the local id `send_message` returned. If the shell cannot write
        /// the frame it must report it with `Session::handle_send_failed`, so it is held again.
        local_id: Option<u64>,
    },
    /// Close socket `conn` with a code and reason, and stop listening to it.
    CloseSocket {
        /// The socket.
        conn: ConnId,
        /// 1000 for a normal close, 4000–4999 for the client's own reasons.
        code: u16,
        /// Short reason.
        reason: &'static str,
    },
    /// Tell the UI.
    Ui(UiEvent),
    /// A log line.
    Log {
        /// Severity.
        level: LogLevel,
        /// Text.
        message: String,
    },
}
