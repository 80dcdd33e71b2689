//! Recall (撤回, extension `recall`): the agent takes back a message the server confirmed, by the
//! local id `send` returned; the server checks the window and answers with status 110
//! (`onRecall`), as it does when the customer recalls one of theirs. Not held for a later socket.

use super::super::error::SessionError;
use super::super::frames_out::AgentFrame;
use super::super::json::JsonValue;
use super::super::protocol::Extension;
use super::super::scalar::Scalar;
use super::Session;

impl<V: JsonValue> Session<V> {
    /// Recalls the agent's message `local_id` to `user_id`.
    pub(super) fn recall(&mut self, user_id: Scalar, local_id: u64) -> Result<(), SessionError> {
        let conn = self.link.writable_conn().filter(|_| !self.link.awaiting_hello()).ok_or(SessionError::NotConnected)?;
        if !self.speaks(Extension::Recall) || !self.speaks(Extension::Ack) {
            return Err(SessionError::NotSupported("recall"));
        }
        if user_id.is_blank() {
            return Err(SessionError::InvalidArgument("userId must not be empty".into()));
        }
        let msg_id = self
            .signals
            .msg_id_of(local_id)
            .ok_or_else(|| SessionError::InvalidArgument("recall: that message is not confirmed by the server (or too old)".into()))?
            .to_owned();
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
