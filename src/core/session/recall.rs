//! Recall (撤回, extension `recall`): the agent takes back a message the server confirmed, named
//! by the local id `send` returned in the tab that sent it ([`Session::recall_id`] maps it to the
//! wire id, so a follower tab hands the leader an id that means the same there); the server
//! checks the window and answers with status 110 (`onRecall`), as it does when the customer
//! recalls one of theirs. Not held for a later socket.

use crate::prelude::*;
use super::super::error::SessionError;
use super::super::frames_out::AgentFrame;
use super::super::json::JsonValue;
use super::super::protocol::Extension;
use super::super::scalar::Scalar;
use super::Session;

impl<V: JsonValue> Session<V> {
    /// The wire id of this tab's message `local_id`, for [`Action::Recall`]: one it handed to a
    /// leader, or one this session sent and the server acknowledged. `None` when neither.
    /// ([`crate::core::Action::Recall`] carries it.)
    pub fn recall_id(&self, local_id: u64) -> Option<String> {
        self.handed_msg_id(local_id).or_else(|| self.signals.msg_id_of(local_id).map(str::to_owned))
    }

    /// Recalls the agent's message `msg_id` to `user_id`.
    pub(super) fn recall(&mut self, user_id: Scalar, msg_id: String) -> Result<(), SessionError> {
        let conn = self.link.writable_conn().filter(|_| !self.link.awaiting_hello()).ok_or(SessionError::NotConnected)?;
        if !self.speaks(Extension::Recall) || !self.speaks(Extension::Ack) {
            return Err(SessionError::NotSupported("recall"));
        }
        if user_id.is_blank() {
            return Err(SessionError::InvalidArgument("userId must not be empty".into()));
        }
        if msg_id.is_empty() {
            return Err(SessionError::InvalidArgument("recall: no such message".into()));
        }
        self.send_frame(conn, AgentFrame::Recall { user_id, msg_id });
        Ok(())
    }

    /// The local id of the agent's own message a status 110 names, if this session sent it.
    pub(super) fn recalled_local_id(&self, data: &V) -> Option<u64> {
        if data.field("by").and_then(|b| b.as_string()).as_deref() != Some("agent") {
            return None;
        }
        let msg_id = data.field("msgId")?.as_string()?;
        self.signals.local_id_of(&msg_id)
    }
}
