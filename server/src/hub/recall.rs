//! Recall (撤回): the sender of a message — the agent or the customer — takes it back within the
//! window (`--recall-secs`). Both sides then show 消息已撤回; the text leaves the history and the
//! replay and stays only in the audit trail supervisors read. Agents see it with extension `recall`.

use super::state::{State, VState};
use super::{err, Hub, HubError};
use crate::protocol::{self as p, codes};
use crate::store::Recall;

impl State {
    /// Status 110 to every agent in the conversation with `user_id` who speaks `recall`.
    fn tell_recalled(&mut self, user_id: &str, msg_id: &str, by: &str) {
        let mut agents = super::join::joined(self, user_id);
        if let Some(v) = self.visitors.get(user_id) {
            if let VState::Assigned { kf_id, .. } = &v.state {
                agents.push(kf_id.clone());
            }
        }
        for kf in agents {
            if self.speaks(&kf, codes::RECALL) {
                self.to_agent(&kf, p::status_recalled(user_id, msg_id, by, None), None);
            }
        }
    }
}

fn refused(r: Recall) -> HubError {
    match r {
        Recall::NotFound => err(404, "没有找到这条消息"),
        Recall::TooLate => err(409, "超过可撤回时间"),
        Recall::Already => err(409, "消息已撤回"),
        Recall::Done { .. } => err(500, "recalled"),
    }
}

impl Hub {
    /// Agent `kf_id` recalls its message `msg_id` to customer `user_id`.
    pub fn agent_recall(&self, kf_id: &str, user_id: &str, msg_id: &str) -> Result<(), HubError> {
        let now = self.rules_now();
        let window = self.st().rules.recall_ms;
        self.settle_unlocked(&[&format!("u:{user_id}")]); // the message may still be being written
        match self.store.recall(user_id, "agent", msg_id, kf_id, now, window).map_err(|e| self.store_failed(e))? {
            Recall::Done { visitor_seq, .. } => {
                let mut st = self.st();
                st.to_visitor(user_id, p::visitor_recall(visitor_seq, None, None));
                st.tell_recalled(user_id, msg_id, "agent");
                self.audit(kf_id, "recall", user_id, &format!("msgId={msg_id}"));
                tracing::info!(kf_id, user_id, "agent recalled a message");
                Ok(())
            }
            other => Err(refused(other)),
        }
    }

    /// Customer `user_id` recalls their message `msg_id`.
    pub fn visitor_recall(&self, user_id: &str, msg_id: &str) -> Result<(), HubError> {
        let now = self.rules_now();
        let window = self.st().rules.recall_ms;
        self.settle_unlocked(&[&format!("u:{user_id}")]);
        match self.store.recall(user_id, "visitor", msg_id, "visitor", now, window).map_err(|e| self.store_failed(e))? {
            Recall::Done { .. } => {
                let mut st = self.st();
                st.to_visitor(user_id, p::visitor_recall(None, Some(msg_id), None));
                st.tell_recalled(user_id, msg_id, "visitor");
                drop(st);
                self.audit(&format!("visitor:{user_id}"), "recall", user_id, &format!("msgId={msg_id}"));
                Ok(())
            }
            other => Err(refused(other)),
        }
    }
}
