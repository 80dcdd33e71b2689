//! A supervisor's actions from the socket (extension `supervise`, which servers offer to
//! supervisors only): whisper, join, leave, reassign, end. Not held: refused while the socket is
//! not open or without the extension; the server answers each with status 109 (`onSupervised`).

use super::super::action::Action;
use super::super::error::SessionError;
use super::super::frames_out::AgentFrame;
use super::super::json::JsonValue;
use super::super::protocol::Extension;
use super::Session;

impl<V: JsonValue> Session<V> {
    /// Sends supervisor action `a` (one of `Whisper`, `Join`, `Leave`, `Reassign`, `EndConversation`).
    pub(super) fn supervise(&mut self, a: Action) -> Result<(), SessionError> {
        let conn = self.link.writable_conn().filter(|_| !self.link.awaiting_hello()).ok_or(SessionError::NotConnected)?;
        if !self.speaks(Extension::Supervise) {
            return Err(SessionError::NotSupported("supervise"));
        }
        let user_id = a.id();
        if user_id.is_blank() {
            return Err(SessionError::InvalidArgument("userId must not be empty".into()));
        }
        let (action, content, to_kf_id) = match a {
            Action::Whisper { content, .. } if !content.trim().is_empty() => ("whisper", Some(content), None),
            Action::Whisper { .. } => return Err(SessionError::InvalidArgument("whisper: content must not be empty".into())),
            Action::Join(_) => ("join", None, None),
            Action::Leave(_) => ("leave", None, None),
            Action::Reassign { to_kf_id, .. } if !to_kf_id.is_empty() => ("reassign", None, Some(to_kf_id)),
            Action::Reassign { .. } => return Err(SessionError::InvalidArgument("reassign: toKfId must not be empty".into())),
            Action::EndConversation(_) => ("end", None, None),
            _ => return Err(SessionError::InvalidArgument("not a supervisor action".into())),
        };
        self.send_frame(conn, AgentFrame::Supervise { action, user_id, content, to_kf_id });
        Ok(())
    }
}
