//! Forgetting a customer (issue 26): erased from routing (their socket closed with 4403, out of
//! the queue, their agent told), then from the store; and the audit log's one writer.

use super::state::VState;
use super::{Hub, Out};
use crate::protocol::{self as p, codes};
use crate::store::privacy::Removed;

impl Hub {
    /// Appends to the audit log (a failure is logged and counted, never in the caller's way). On
    /// PostgreSQL it is handed to routing's writer, so a move made under the lock does not wait
    /// for it; the log's reader catches up first.
    pub fn audit(&self, actor: &str, action: &str, target: &str, detail: &str) {
        let line = crate::store::Write::Audit { at: super::now_ms(), actor: actor.into(), action: action.into(), target: target.into(), detail: detail.into() };
        if let Err(e) = self.store.write(line, false, None) {
            let _ = self.store_failed(e);
        }
    }

    /// Supervisor `by` erases customer `user_id`: gone from routing, then from the store. Returns
    /// what the store removed (the caller removes upload files).
    pub fn erase_visitor(&self, by: &str, user_id: &str) -> Result<Removed, super::HubError> {
        {
            let mut st = self.st();
            if let Some(v) = st.visitors.remove(user_id) {
                if let Some(c) = &v.conn {
                    let _ = c.tx.send(Out::Close(4403, "erased".into()));
                }
                st.queue.retain(|u| u != user_id);
                if let Some(kf) = &v.offered_to {
                    st.withdraw(kf, user_id, "customer erased");
                }
                if let VState::Assigned { kf_id, .. } = &v.state {
                    if let Some(a) = st.agents.get_mut(kf_id) {
                        a.conversations.remove(user_id);
                    }
                    if st.speaks(kf_id, codes::LIFECYCLE) {
                        let frame = p::status_lifecycle(user_id, &v.user_name, "closed", serde_json::json!({"reason": "erased"}));
                        st.to_agent(kf_id, frame, None);
                    }
                }
                st.started.remove(user_id);
                st.tell_positions();
            }
        }
        self.settle_unlocked(&[&format!("u:{user_id}")]); // no message of theirs still being written comes back after
        self.webhooks.forget_visitor(user_id);
        let removed = self.store.erase_visitor(user_id).map_err(|e| self.store_failed(e))?;
        let detail = format!("messages={} conversations={} offlineMessages={} uploads={}", removed.messages, removed.conversations, removed.offline_messages, removed.uploads.len());
        self.audit(by, "erase", user_id, &detail);
        tracing::info!(by, user_id, detail, "customer erased");
        Ok(removed)
    }
}
