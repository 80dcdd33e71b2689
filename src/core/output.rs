//! What the session asks its shell to do ([`Output`]) and tells its UI ([`UiEvent`]).

use crate::prelude::*;
use super::frames_in::{Customer, CustomerFrame, CustomerMessage, FrameError, TransferRequest, TypingSignal};
use super::frames_out::AgentFrame;
use super::action::Action;
use super::input::ConnId;
use super::message::PersistedMessage;
use super::status::{DeliveryStatus, LinkState};
use super::tab_msg::{Snapshot, TabMsg};
use super::scalar::Scalar;

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

/// Something the UI layer should know about. `V` is the parsed-JSON type payloads stay in.
#[derive(Clone, Debug, PartialEq)]
pub enum UiEvent<V> {
    /// The connection state changed.
    StateChanged(LinkState),
    /// Status 1: a customer wrote.
    Message(CustomerMessage<V>),
    /// Status 2: a customer waits to be accepted; `waiting` is the queue length now.
    CustomerWaiting {
        /// Who, and the frame's `data` object.
        offer: CustomerFrame<V>,
        /// Queue length including this customer.
        waiting: usize,
    },
    /// The waiting queue changed (oldest first).
    QueueChanged(Vec<Customer>),
    /// Status 4: a colleague offers a conversation.
    TransferRequest(TransferRequest<V>),
    /// Status 5: our transfer was refused; the conversation stays with us.
    TransferRejected(CustomerFrame<V>),
    /// Status 9: the server answered a ping.
    Heartbeat,
    /// Status 3 (extension): a waiting customer's offer was withdrawn; they left the queue.
    OfferWithdrawn {
        /// Who, and the frame's `data` object.
        offer: CustomerFrame<V>,
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
    /// A message kept in durable storage by an earlier page (or session) was restored and will be
    /// sent; its fate is reported by `MessageStatus` under `local_id` like any other.
    Restored {
        /// Its local id in this session.
        local_id: u64,
        /// The message.
        message: PersistedMessage,
    },
    /// A customer is typing, or stopped (extension `typing`); with `peek`, their unsent text.
    Typing(TypingSignal),
    /// A customer's page has shown these messages of the agent (extension `read`).
    Read {
        /// The customer.
        user_id: Scalar,
        /// The messages' local ids in this session (those it still remembers).
        local_ids: Vec<u64>,
    },
    /// The server says the agent's presence and conversation cap (extension `presence`).
    PresenceChanged {
        /// Online, busy or away.
        presence: super::presence::Presence,
        /// The agent's conversation cap, when the server sent it.
        max_conversations: Option<u64>,
    },
    /// Status 105 (extension `notes`): an internal note or a whisper; the frame's `data` object.
    Note(V),
    /// Status 106 (extension `board`): the live board; the frame's `data` object.
    Board(V),
    /// Status 107 (extension `monitor`): messages of a watched conversation; the `data` object.
    Monitor(V),
    /// Status 108 (extension `monitor`): who watches a conversation; the `data` object.
    Viewers(V),
    /// Status 109 (extension `supervise`): how a supervisor's action went; the `data` object.
    Supervised(V),
    /// Status 110 (extension `recall`): a message recalled by the agent or the customer, or the
    /// agent's recall refused; the `data` object (`userId`, `msgId`, `by`, `error`) and, for the
    /// agent's own message, the local id `send` returned.
    Recalled {
        /// The frame's `data` object.
        data: V,
        /// The agent's message's local id, when it is one this session sent.
        local_id: Option<u64>,
    },
    /// Status 111 (extension `lifecycle`): an offer lapsed, an idle warning or close, a rating, a
    /// message left; the `data` object (`userId`, `event`, …).
    Lifecycle(V),
    /// A tab that follows another: the leader called hook `hook` with `payload`.
    Replayed {
        /// The hook.
        hook: &'static str,
        /// Its payload, as the leader built it.
        payload: V,
    },
    /// Another tab of this agent did an announced action ([`Action::announced`]).
    OtherTabAction {
        /// The action.
        action: Action,
        /// The customer's name, when known.
        user_name: Option<String>,
    },
    /// A tab that follows another: the leader holds an incoming transfer this tab had not heard
    /// of (it joined late, or a new leader took over).
    TransferPending(Customer),
    /// A frame was rejected and skipped; `total` counts rejections so far.
    FrameRejected {
        /// Why.
        error: FrameError,
        /// Rejected frames so far in this session.
        total: u64,
    },
}

impl<V> UiEvent<V> {
    /// The hook that hears of this event (one of [`crate::contract::HOOKS`]).
    pub fn hook(&self) -> &'static str {
        match self {
            UiEvent::StateChanged(_) => "onStateChange",
            UiEvent::Message(_) => "onMessage",
            UiEvent::CustomerWaiting { .. } => "onCustomerWaiting",
            UiEvent::QueueChanged(_) => "onQueueChange",
            UiEvent::TransferRequest(_) | UiEvent::TransferPending(_) => "onTransferRequest",
            UiEvent::TransferRejected(_) => "onTransferRejected",
            UiEvent::Heartbeat => "onHeartbeat",
            UiEvent::OfferWithdrawn { .. } => "onOfferWithdrawn",
            UiEvent::ExtensionsNegotiated(_) => "onExtensions",
            UiEvent::MessageStatus { .. } => "onMessageStatus",
            UiEvent::Restored { .. } => "onMessageRestored",
            UiEvent::Typing(_) => "onTyping",
            UiEvent::Read { .. } => "onRead",
            UiEvent::PresenceChanged { .. } => "onPresenceChange",
            UiEvent::Replayed { hook, .. } => hook,
            UiEvent::OtherTabAction { .. } => "onOtherTabAction",
            UiEvent::Note(_) => "onNote",
            UiEvent::Board(_) => "onBoard",
            UiEvent::Monitor(_) => "onMonitor",
            UiEvent::Viewers(_) => "onViewers",
            UiEvent::Supervised(_) => "onSupervised",
            UiEvent::Recalled { .. } => "onRecall",
            UiEvent::Lifecycle(_) => "onLifecycle",
            UiEvent::FrameRejected { .. } => "onFrameRejected",
        }
    }
}

/// An instruction for the shell, drained with [`crate::core::Session::poll_output`].
#[derive(Clone, Debug, PartialEq)]
pub enum Output<V> {
    /// Open a new socket for generation `conn` (and drop any older one).
    OpenSocket {
        /// The new generation.
        conn: ConnId,
    },
    /// Send a frame on socket `conn` (as JSON text: [`AgentFrame::fields`] in order).
    Send {
        /// The socket.
        conn: ConnId,
        /// The frame.
        frame: AgentFrame,
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
    /// Keep this message in durable storage until a `Forget` for its id (only with
    /// `SessionConfig::durable_outbox`): it is accepted but not yet acknowledged or written.
    Persist {
        /// Its local id in this session (for reporting the commit).
        local_id: u64,
        /// The message.
        message: PersistedMessage,
    },
    /// The message with this id is acknowledged, written to a legacy server, or refused: drop it
    /// from durable storage.
    Forget {
        /// Its message id.
        msg_id: String,
    },
    /// Tell the UI.
    Ui(UiEvent<V>),
    /// Tell the UI, and post the event's hook call to the other tabs as a [`TabMsg::Hook`] with
    /// this snapshot (the shell builds the payload once, for both).
    Share {
        /// The event.
        event: UiEvent<V>,
        /// The leader's state after it (boxed: it is large, and every output moves through a queue).
        snapshot: Box<Snapshot>,
    },
    /// Post this message to the agent's other tabs.
    Post(TabMsg<V>),
    /// Restore the durable outbox (once): feed what it holds as [`crate::core::Input::Restore`].
    LoadOutbox,
    /// A log line.
    Log {
        /// Severity.
        level: LogLevel,
        /// What happened.
        message: LogMessage,
    },
}

/// A log line's text: a fixed phrase and at most one value, joined by the shell only when the line
/// is actually logged (so the core formats nothing, and the wasm carries no formatting machinery).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogMessage {
    /// The fixed phrase.
    pub text: &'static str,
    /// The value that goes after it.
    pub detail: LogDetail,
}

/// The value in a [`LogMessage`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogDetail {
    /// Nothing.
    None,
    /// A number (a socket generation, a close code, milliseconds).
    Num(u64),
    /// A fixed word.
    Word(&'static str),
    /// Text.
    Text(String),
}

impl LogMessage {
    /// The whole line as text (`text` and `detail` joined by a space).
    pub fn to_text(&self) -> String {
        let mut s = String::from(self.text);
        let mut buf = itoa::Buffer::new();
        let d = match &self.detail {
            LogDetail::None => return s,
            LogDetail::Num(n) => buf.format(*n),
            LogDetail::Word(w) => w,
            LogDetail::Text(t) => t,
        };
        s.push(' ');
        s.push_str(d);
        s
    }
}

impl ::core::fmt::Display for LogMessage {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        f.write_str(&self.to_text())
    }
}
