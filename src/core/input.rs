//! [`Input`]: everything that can happen to a session, the one way every driver (the wasm shell,
//! native tests, the fuzzer) feeds it. See [`crate::core::Session::handle_input`].

use crate::prelude::*;
use super::action::Action;
use super::frames_in::{FrameError, ServerFrame};
use super::message::PersistedMessage;
use super::tab_msg::TabMsg;

/// Milliseconds on a monotonic clock chosen by the shell.
pub type Millis = u64;

/// Identifies one socket. Every socket the session opens gets a new, larger id (its generation);
/// events carrying an older id are from a superseded socket and are ignored.
pub type ConnId = u64;

/// A frame as a native shell received it, before parsing (see [`Received::from_text`]).
#[derive(Clone, Copy, Debug)]
pub enum FrameIn<'a> {
    /// A text frame.
    Text(&'a str),
    /// A binary frame of this many bytes (not spoken by the protocol).
    Binary(usize),
    /// A text frame the shell did not copy because it is longer (in UTF-16 units) than
    /// [`crate::core::SessionConfig::max_frame_chars`].
    TooLong(usize),
}

/// A frame as the shell received and parsed it.
#[derive(Clone, Debug)]
pub enum Received<V> {
    /// A text frame the shell parsed as JSON.
    Json(V),
    /// A text frame that is not JSON; the parser's message.
    NotJson(String),
    /// A binary frame of this many bytes (not spoken by the protocol).
    Binary(usize),
    /// A text frame longer (in UTF-16 units) than the limit, left unparsed.
    TooLong(usize),
    /// A frame the shell already decoded with the core's rules ([`crate::core::decode_head`]),
    /// with its sequence number: the browser's one-call path for the common frames.
    Decoded(Result<(ServerFrame<V>, Option<u64>), FrameError>),
}

/// Why the browser asked us to check the connection now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WakeReason {
    /// `window` fired `online`.
    Online,
    /// `document.visibilityState` became `visible`.
    Visible,
    /// `window` fired `pageshow` (including restores from the back/forward cache).
    PageShow,
    /// The page asked (`checkNow()`), here or in a tab that follows this one.
    Asked,
}

impl WakeReason {
    /// The event's name.
    pub fn as_str(self) -> &'static str {
        match self {
            WakeReason::Online => "online",
            WakeReason::Visible => "visible",
            WakeReason::PageShow => "pageshow",
            WakeReason::Asked => "asked",
        }
    }
}

/// Everything that can happen to a session. `V` is the parsed-JSON type frames arrive in.
#[derive(Clone, Debug)]
pub enum Input<V> {
    /// Start connecting, or retry at once while waiting to reconnect.
    Connect,
    /// Close on purpose (code 1000); no reconnect until the next `Connect`.
    Close,
    /// The socket of this generation opened.
    SocketOpened(ConnId),
    /// The socket of this generation closed with this code.
    SocketClosed(ConnId, u16),
    /// The socket of this generation reported an error.
    SocketError(ConnId),
    /// A frame arrived on the socket of this generation.
    Frame(ConnId, Received<V>),
    /// The shell could not write an `Output::Send` on this socket (`local_id` for a chat message).
    SendFailed(ConnId, Option<u64>),
    /// The timer fired (or the shell wants deadlines checked).
    Timeout,
    /// The page came back online, became visible or was shown.
    Wake(WakeReason),
    /// The agent does something ([`Action`]); it can be refused.
    Act(Action),
    /// Messages an earlier page load kept in durable storage, oldest first: they are sent before
    /// anything typed since, under their own ids.
    Restore(Vec<PersistedMessage>),
    /// A chat message another tab of this agent accepted (and, with a durable outbox, stored),
    /// sent here under its own id because this session owns the shared socket.
    Relay(PersistedMessage),
    /// Something happened to this tab's place among the agent's tabs (`shareAcrossTabs`).
    Tabs(TabEvent<V>),
}

/// What happens to a session that shares its socket with the agent's other tabs.
#[derive(Clone, Debug)]
pub enum TabEvent<V> {
    /// The shell joined the tabs' channel and asked for their lock: this tab follows until the
    /// lock is granted.
    Join,
    /// The lock was granted: this tab owns the socket from now on.
    Lead,
    /// The shell left the channel and gave the lock up (`close()`).
    Leave,
    /// A message from another tab.
    Message(TabMsg<V>),
}

#[cfg(feature = "json")]
impl Received<serde_json::Value> {
    /// Classifies and parses a native frame with serde_json, as the browser shell does with
    /// `JSON.parse`: text longer than `max_chars` UTF-16 units is left unparsed.
    pub fn from_text(frame: FrameIn<'_>, max_chars: usize) -> Self {
        match frame {
            FrameIn::Binary(len) => Received::Binary(len),
            FrameIn::TooLong(len) => Received::TooLong(len),
            FrameIn::Text(t) if t.len() > max_chars && t.encode_utf16().count() > max_chars => {
                Received::TooLong(t.encode_utf16().count())
            }
            FrameIn::Text(t) => match serde_json::from_str(t) {
                Ok(v) => Received::Json(v),
                Err(e) => Received::NotJson(e.to_string()),
            },
        }
    }
}
