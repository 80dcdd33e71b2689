//! Silent monitoring (extension `monitor`): a supervisor watches a live conversation read-only —
//! its history so far, then every message both ways, notes and whispers as they happen — and the
//! agent in it sees who is watching (the collision signal); the customer sees nothing. Copies go
//! to the watchers' agent sockets only.

use super::state::{State, VState};
use super::{err, Hub, HubError};
use crate::protocol::{self as p, codes};
use serde_json::json;

/// Messages of history a watcher gets when it starts.
const HISTORY: u32 = 50;

impl Hub {
    /// Supervisor `kf_id` starts (`on`) or stops watching the conversation with `user_id`.
    pub(super) fn watch(&self, st: &mut State, kf_id: &str, user_id: &str, on: bool) -> Result<(), HubError> {
        if !st.agents.get(kf_id).is_some_and(|a| a.supervisor) {
            return Err(err(403, "only a supervisor may watch a conversation"));
        }
        if !on {
            if let Some(w) = st.watchers.get_mut(user_id) {
                w.retain(|k| k != kf_id);
            }
            st.watchers.retain(|_, w| !w.is_empty());
            tell_viewers(st, user_id);
            return Ok(());
        }
        let v = st.visitors.get(user_id).ok_or_else(|| err(404, format!("unknown customer {user_id:?}")))?;
        let VState::Assigned { kf_id: serving, .. } = &v.state else {
            return Err(err(409, format!("no live conversation with {user_id:?}")));
        };
        let (serving, user_name) = (serving.clone(), v.user_name.clone());
        let history = self.store.history(user_id, 1, HISTORY, None).map_err(|e| self.store_failed(e))?;
        let messages: Vec<_> = history
            .list
            .iter()
            .map(|m| json!({"sender": m.sender, "kfId": m.kf_id, "content": m.content, "createTime": m.create_time}))
            .collect();
        let w = st.watchers.entry(user_id.to_owned()).or_default();
        if !w.iter().any(|k| k == kf_id) {
            w.push(kf_id.to_owned());
        }
        let frame = p::status_monitor(user_id, &user_name, &serving, &messages, true);
        st.to_agent(kf_id, frame, None);
        tell_viewers(st, user_id);
        self.audit(kf_id, "monitor", user_id, &format!("kfId={serving}"));
        Ok(())
    }
}

/// A new message in the conversation with `user_id`, for whoever watches it.
pub(super) fn to_watchers(st: &mut State, user_id: &str, sender: &str, kf_id: Option<&str>, content: &str, at: i64, commit: Option<&crate::store::ticket::Ticket>) {
    let Some(watching) = st.watchers.get(user_id).cloned() else { return };
    let (user_name, serving) = match st.visitors.get(user_id) {
        Some(v) => (v.user_name.clone(), match &v.state {
            VState::Assigned { kf_id, .. } => kf_id.clone(),
            _ => String::new(),
        }),
        None => return,
    };
    let message = json!({"sender": sender, "kfId": kf_id, "content": content, "createTime": at});
    let frame = p::status_monitor(user_id, &user_name, &serving, &[message], false);
    for kf in watching {
        if st.speaks(&kf, codes::MONITOR) {
            st.to_agent_after(&kf, frame.clone(), None, commit);
        }
    }
}

/// The agent in the conversation with `user_id` hears who watches it now.
pub(super) fn tell_viewers(st: &mut State, user_id: &str) {
    let Some(VState::Assigned { kf_id: serving, .. }) = st.visitors.get(user_id).map(|v| v.state.clone()) else { return };
    if !st.speaks(&serving, codes::MONITOR) {
        return;
    }
    let viewers: Vec<_> = st
        .watchers
        .get(user_id)
        .into_iter()
        .flatten()
        .map(|k| json!({"kfId": k, "name": st.agent_name(k)}))
        .collect();
    st.to_agent(&serving, p::status_viewers(user_id, &viewers), None);
}

/// Agent `kf_id`'s socket closed: it watches nothing any more.
pub(super) fn stop_watching(st: &mut State, kf_id: &str) {
    let watched: Vec<String> = st.watchers.iter().filter(|(_, w)| w.iter().any(|k| k == kf_id)).map(|(u, _)| u.clone()).collect();
    for u in watched {
        if let Some(w) = st.watchers.get_mut(&u) {
            w.retain(|k| k != kf_id);
        }
        tell_viewers(st, &u);
    }
    st.watchers.retain(|_, w| !w.is_empty());
}
