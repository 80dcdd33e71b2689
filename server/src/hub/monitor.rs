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

/// Times a watcher start reads the history again when a line came meanwhile, before it reads it
/// under the lock instead.
const TRIES: usize = 3;

impl Hub {
    /// Supervisor `kf_id` starts (`on`) or stops watching the conversation with `user_id`, under
    /// the lock (a start reads the history there: [`Hub::start_watching`] does not).
    pub(super) fn watch(&self, st: &mut State, kf_id: &str, user_id: &str, on: bool) -> Result<(), HubError> {
        if !on {
            if !st.agents.get(kf_id).is_some_and(|a| a.supervisor) {
                return Err(err(403, "only a supervisor may watch a conversation"));
            }
            if let Some(w) = st.watchers.get_mut(user_id) {
                w.retain(|k| k != kf_id);
            }
            st.watchers.retain(|_, w| !w.is_empty());
            tell_viewers(st, user_id);
            return Ok(());
        }
        watchable(st, kf_id, user_id)?;
        self.settle(st, &[&format!("u:{user_id}")]); // a line still being written is history too
        let history = self.store.history(user_id, 1, HISTORY, None).map_err(|e| self.store_failed(e))?;
        self.begin_watch(st, kf_id, user_id, &history);
        Ok(())
    }

    /// Supervisor `kf_id` starts watching the conversation with `user_id`, its history read
    /// between two turns of the lock: once every line handed over so far is stored, and kept only
    /// if no new line came meanwhile (the live copies start with the next), so none is missed or
    /// shown twice. Tried again a few times, then done under the lock.
    pub fn start_watching(&self, kf_id: &str, user_id: &str) -> Result<(), HubError> {
        for _ in 0..TRIES {
            let lines = watchable(&self.st(), kf_id, user_id)?;
            self.settle_unlocked(&[&format!("u:{user_id}")]); // lines handed over so far are stored
            let history = self.store.history(user_id, 1, HISTORY, None).map_err(|e| self.store_failed(e))?;
            let mut st = self.st();
            if watchable(&st, kf_id, user_id)? == lines {
                self.begin_watch(&mut st, kf_id, user_id, &history);
                return Ok(());
            }
        }
        let mut st = self.st();
        self.watch(&mut st, kf_id, user_id, true)
    }

    /// Registers the watcher and sends it `history` and who watches.
    fn begin_watch(&self, st: &mut State, kf_id: &str, user_id: &str, history: &crate::store::History) {
        let Some(v) = st.visitors.get(user_id) else { return };
        let VState::Assigned { kf_id: serving, .. } = &v.state else { return };
        let (serving, user_name) = (serving.clone(), v.user_name.clone());
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
    }
}

/// Whether supervisor `kf_id` may watch the conversation with `user_id` now (a supervisor, a live
/// conversation): the count of its lines so far, or why not.
fn watchable(st: &State, kf_id: &str, user_id: &str) -> Result<u64, HubError> {
    if !st.agents.get(kf_id).is_some_and(|a| a.supervisor) {
        return Err(err(403, "only a supervisor may watch a conversation"));
    }
    let v = st.visitors.get(user_id).ok_or_else(|| err(404, format!("unknown customer {user_id:?}")))?;
    match &v.state {
        VState::Assigned { .. } => Ok(v.lines),
        _ => Err(err(409, format!("no live conversation with {user_id:?}"))),
    }
}

/// A new message in the conversation with `user_id`, for whoever watches it.
pub(super) fn to_watchers(st: &mut State, user_id: &str, sender: &str, kf_id: Option<&str>, content: &str, at: i64, commit: Option<&crate::store::ticket::Ticket>) {
    if let Some(v) = st.visitors.get_mut(user_id) {
        v.lines += 1; // a watcher starting meanwhile reads the history again
    }
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
