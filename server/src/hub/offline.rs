//! Leave-a-message (留言): when the desk is closed (outside business hours) or nobody is there to
//! answer, a customer's page offers a form instead of a queue nobody works; agents see what was
//! left, claim it and mark it handled with an answer, which the customer sees when they come back.

use super::{err, Hub, HubError, Presence};
use crate::protocol as p;
use serde_json::json;

/// Most messages one customer may have waiting for an answer.
const OPEN_PER_CUSTOMER: usize = 5;

impl Hub {
    /// Whether a customer can be answered now: within business hours, with an agent connected who
    /// is not away. Else when the desk opens next, if it has hours.
    pub fn desk_open(&self) -> (bool, Option<i64>) {
        let (within, next) = self.within_hours(self.rules_now());
        if !within {
            return (false, next);
        }
        let st = self.st();
        let someone = st.agents.values().any(|a| a.conn.is_some() && a.presence != Presence::Away);
        (someone, None)
    }

    /// What a customer who is not in a conversation is told on connecting when nobody can answer
    /// now: the line and when the desk opens (else `None`).
    pub(super) fn offline_status(&self) -> Option<(&'static str, Option<i64>)> {
        let (open, next) = self.desk_open();
        let line = match next {
            Some(_) => "现在是非工作时间，您可以留言，我们上班后会尽快回复您。",
            None => "客服暂时不在线，您可以留言，我们会尽快回复您。",
        };
        (!open).then_some((line, next))
    }

    /// Customer `user_id` leaves a message: stored, every agent who speaks `lifecycle` told.
    /// Returns its id.
    pub fn leave_message(&self, user_id: &str, name: &str, contact: &str, content: &str) -> Result<i64, HubError> {
        let open = self.store.offline_messages_of(user_id).map_err(|e| self.store_failed(e))?;
        if open.iter().filter(|m| m.handled_at.is_none()).count() >= OPEN_PER_CUSTOMER {
            return Err(err(429, "您的留言尚未处理完，请耐心等待回复。"));
        }
        let id = self.store.add_offline_message(user_id, name, contact, content, super::now_ms()).map_err(|e| self.store_failed(e))?;
        let mut st = self.st();
        let agents: Vec<String> = st.agents.iter().filter(|(_, a)| a.conn.is_some()).map(|(k, _)| k.clone()).collect();
        for kf in agents {
            st.tell_lifecycle(&kf, user_id, "offlineMessage", json!({"id": id, "name": name}));
        }
        self.webhooks.emit("offline_message.created", || json!({"id": id, "userId": user_id, "name": name, "contact": contact, "content": content}));
        tracing::info!(user_id, id, "message left");
        Ok(id)
    }

    /// Agent `kf_id` marked message `id` handled: the customer, if connected, sees the answer now.
    pub fn offline_handled(&self, id: i64) {
        let Ok(Some(m)) = self.store.offline_message(id) else { return };
        let Ok(all) = self.store.offline_messages_of(&m.user_id) else { return };
        let mut st = self.st();
        if st.visitors.get(&m.user_id).is_some_and(|v| v.conn.is_some()) {
            st.to_visitor(&m.user_id, p::visitor_answers(&all));
        }
    }

    /// What a connecting customer sees besides the conversation: their messages left and answers.
    pub(super) fn answers_for(&self, user_id: &str) -> Option<String> {
        let all = self.store.offline_messages_of(user_id).ok()?;
        (!all.is_empty()).then(|| p::visitor_answers(&all))
    }

}
