//! Internal notes and supervisors' whispers in a conversation. They go to agents only: nothing
//! here ever writes to a visitor's socket or joins a visitor's delivery numbering, and the store
//! keeps them as `note` / `whisper`, never replayed to a page.

use super::state::{State, VState};
use super::{err, now_ms, Hub, HubError};
use crate::protocol::{self as p, codes};
use crate::store::{NewMessage, Sender};

/// The `@kfId` mentions in `text` that name a known agent other than `except`.
fn mentions(st: &State, text: &str, except: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in text.split('@').skip(1) {
        let id: String = part.chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')).collect();
        let id = id.trim_end_matches('.').to_owned();
        if st.agents.contains_key(&id) && !except.contains(&id.as_str()) && !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

impl Hub {
    /// A supervisor's whisper to the agent serving `user_id` (the customer never sees it).
    /// Returns the agent it reached.
    pub fn whisper(&self, from: &str, user_id: &str, content: &str) -> Result<String, HubError> {
        let (serving, commit) = {
            let mut st = self.st();
            self.add_note(&mut st, from, user_id, content, Sender::Whisper)?
        };
        self.audit(from, "whisper", user_id, &format!("kfId={serving}"));
        self.written(commit)?; // answered once stored
        Ok(serving)
    }

    /// An internal note by the agent serving `user_id` (from its socket).
    pub(super) fn agent_note(&self, st: &mut State, from: &str, user_id: &str, content: &str) -> Result<(), HubError> {
        match st.visitors.get(user_id).map(|v| &v.state) {
            Some(VState::Assigned { kf_id, .. }) if kf_id == from => {}
            _ => return Err(err(409, format!("customer {user_id:?} is not in a conversation with {from:?}"))),
        }
        self.add_note(st, from, user_id, content, Sender::Note).map(|_| ())
    }

    /// Stores a note or whisper and sends it to the agent in the conversation and the colleagues
    /// it mentions (those whose socket speaks `notes`). Returns the serving agent, and the commit
    /// the frames wait for (PostgreSQL).
    fn add_note(&self, st: &mut State, from: &str, user_id: &str, content: &str, kind: Sender) -> Result<(String, Option<crate::store::ticket::Ticket>), HubError> {
        if content.trim().is_empty() {
            return Err(err(400, "a note needs some text"));
        }
        let serving = st.agent_of(user_id).ok_or_else(|| err(404, format!("no live conversation with {user_id:?}")))?;
        let user_name = st.visitors.get(user_id).map(|v| v.user_name.clone()).unwrap_or_default();
        let now = now_ms();
        let line = NewMessage { user_id, user_name: &user_name, kf_id: Some(from), sender: kind, content, at_ms: now, client_msg_id: None, deliver_to: None };
        // On PostgreSQL in the messages' writer (no wait under the lock): sent once stored.
        let stored = self.store_line(st, &line)?;
        let commit = stored.commit().cloned();
        super::monitor::to_watchers(st, user_id, kind.as_str(), Some(from), content, now, commit.as_ref());
        let mentioned = mentions(st, content, &[from, &serving]);
        let from_name = st.agent_name(from);
        let frame = p::status_note(&p::NoteFrame {
            user_id,
            user_name: &user_name,
            kind: kind.as_str(),
            from_kf_id: from,
            from_kf_name: &from_name,
            content,
            mentions: &mentioned,
            create_time: now,
        });
        let to = std::iter::once(serving.clone()).filter(|s| s != from).chain(mentioned.iter().cloned());
        for kf in to.collect::<Vec<_>>() {
            if st.speaks(&kf, codes::NOTES) {
                st.to_agent_after(&kf, frame.clone(), None, commit.as_ref());
            }
        }
        Ok((serving, commit))
    }
}
