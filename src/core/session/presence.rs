//! The presence sub-machine (extension `presence`): what the agent asked for is sent on the open
//! socket, or after the next hello if it is not open, until the server confirms it; what the
//! server says (after every hello, and on changes from elsewhere) is the presence in force.

use super::super::frames_out::AgentFrame;
use crate::core::protocol::Extension;
use super::super::json::JsonValue;
use super::super::output::{LogDetail, LogLevel, UiEvent};
use super::super::presence::Presence;
use super::Session;

/// The agent's presence: asked for, and as the server has it.
#[derive(Debug, Default)]
pub(super) struct PresenceState {
    /// Asked for and not confirmed yet.
    wanted: Option<Presence>,
    /// As the server last said, with the conversation cap.
    current: Option<(Presence, Option<u64>)>,
}

impl<V: JsonValue> Session<V> {
    /// The presence in force as the server last said it (`None` before it has, or with a server
    /// without the `presence` extension), with the agent's conversation cap.
    pub fn presence(&self) -> Option<(Presence, Option<u64>)> {
        self.presence.current
    }

    /// Asks for presence `p`: sent now if the socket is open and speaks `presence`, else after
    /// the next hello that offers it. A legacy server is never sent it.
    pub fn set_presence(&mut self, p: Presence) {
        self.presence.wanted = Some(p);
        if self.link.open_conn().is_some() && !self.link.awaiting_hello() && !self.speaks(Extension::Presence) {
            self.log(LogLevel::Warn, "the server does not support presence; kept for a server that does:", LogDetail::Word(p.as_str()));
        }
        self.send_presence();
    }

    /// Sends the presence asked for, if any, when the socket speaks `presence`.
    pub(super) fn send_presence(&mut self) {
        let (Some(presence), Some(conn)) = (self.presence.wanted, self.link.open_conn()) else { return };
        if self.speaks(Extension::Presence) {
            self.send_frame(conn, AgentFrame::SetPresence { presence });
        }
    }

    pub(super) fn on_presence(&mut self, presence: Presence, max_conversations: Option<u64>) {
        if self.presence.wanted == Some(presence) {
            self.presence.wanted = None;
        }
        self.presence.current = Some((presence, max_conversations));
        self.ui(UiEvent::PresenceChanged { presence, max_conversations });
    }
}
