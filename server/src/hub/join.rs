//! Barge-in: a supervisor joins a live conversation. The customer sees the supervisor's messages
//! under the supervisor's name and is told when they join and leave; the agent in the
//! conversation gets a copy of each (status 105, `kind: "supervisor"`); the supervisor gets the
//! customer's messages like the agent does. The conversation stays the agent's.

use super::state::{State, VState};
use super::{err, now_ms, Hub, HubError};
use crate::protocol::{self as p, codes};

impl Hub {
    /// Supervisor `by` joins (`on`) or leaves the conversation with `user_id`.
    pub fn join(&self, by: &str, user_id: &str, on: bool) -> Result<String, HubError> {
        let mut st = self.st();
        let v = st.visitors.get(user_id).ok_or_else(|| err(404, format!("unknown customer {user_id:?}")))?;
        let VState::Assigned { kf_id: serving, .. } = &v.state else {
            return Err(err(409, format!("no live conversation with {user_id:?}")));
        };
        let serving = serving.clone();
        if serving == by {
            return Err(err(400, "the conversation is yours already"));
        }
        let joined = v.joined.iter().any(|k| k == by);
        if joined == on {
            return Ok(serving); // already so: nothing to tell anyone
        }
        if on && st.agents.get(by).is_none_or(|a| a.conn.is_none()) {
            return Err(err(409, "open the console first: the customer's messages go to it"));
        }
        if let Some(v) = st.visitors.get_mut(user_id) {
            if on {
                v.joined.push(by.to_owned());
            } else {
                v.joined.retain(|k| k != by);
            }
        }
        let (by_name, serving_name) = (st.agent_name(by), st.agent_name(&serving));
        let text = if on { format!("{by_name} 加入了会话") } else { format!("{by_name} 离开了会话") };
        st.to_visitor(user_id, p::visitor_status("assigned", Some(&serving), Some(&serving_name), &text));
        tell_agent(&mut st, user_id, &serving, by, &by_name, "whisper", &text);
        tracing::info!(by, user_id, on, "supervisor joined or left a conversation");
        self.audit(by, if on { "join" } else { "leave" }, user_id, &format!("kfId={serving}"));
        Ok(serving)
    }
}

/// A copy for the agent serving `user_id` (status 105, when its socket speaks `notes`).
pub(super) fn tell_agent(st: &mut State, user_id: &str, serving: &str, by: &str, by_name: &str, kind: &str, content: &str) {
    if !st.speaks(serving, codes::NOTES) {
        return;
    }
    let user_name = st.visitors.get(user_id).map(|v| v.user_name.clone()).unwrap_or_default();
    let frame = p::status_note(&p::NoteFrame {
        user_id,
        user_name: &user_name,
        kind,
        from_kf_id: by,
        from_kf_name: by_name,
        content,
        mentions: &[],
        create_time: now_ms(),
    });
    st.to_agent(serving, frame, None);
}

/// Supervisors who joined the conversation with `user_id`.
pub(super) fn joined(st: &State, user_id: &str) -> Vec<String> {
    st.visitors.get(user_id).map(|v| v.joined.clone()).unwrap_or_default()
}
