//! A supervisor moves a live conversation to another agent, takes it over, or ends it: no
//! acceptance asked (unlike an agent's transfer), presence and cap not in the way (the supervisor
//! decides), the history follows (the chat log is the new agent's to read), everyone is told, and
//! the store keeps a line of it.

use super::{err, now_ms, Hub, HubError};
use crate::protocol::{self as p, codes};
use crate::store::{NewMessage, Sender, Write};
use super::state::VState;

impl Hub {
    /// Supervisor `by` moves the conversation with `user_id` to agent `to` (who must be online).
    /// Returns the agent it was with.
    pub fn reassign(&self, by: &str, user_id: &str, to: &str) -> Result<String, HubError> {
        let mut st = self.st();
        let v = st.visitors.get(user_id).ok_or_else(|| err(404, format!("unknown customer {user_id:?}")))?;
        let (from, conversation) = match &v.state {
            VState::Assigned { kf_id, conversation } => (kf_id.clone(), *conversation),
            _ => return Err(err(409, format!("no live conversation with {user_id:?}"))),
        };
        if from == to {
            return Err(err(400, format!("the conversation is with {to:?} already")));
        }
        if st.partition.as_ref().is_some_and(|(name, map)| map.of_agent(to) != name.as_str()) {
            return Err(err(409, format!("目标客服 {to} 由另一个分区接待：请转接到其部门")));
        }
        if st.agents.get(to).is_none_or(|a| a.conn.is_none()) {
            return Err(err(409, format!("目标客服 {to} 不在线")));
        }
        let user_name = v.user_name.clone();
        // Saved off the lock on PostgreSQL (routing's writer); the answer waits for it.
        let commit = self.write_later(&mut st, user_id, Write::Reassign { conversation, kf_id: to.to_owned(), department: None });
        if let Some(v) = st.visitors.get_mut(user_id) {
            v.transfer = None;
            v.state = VState::Assigned { kf_id: to.to_owned(), conversation };
        }
        if let Some(a) = st.agents.get_mut(&from) {
            a.conversations.remove(user_id);
        }
        if let Some(a) = st.agents.get_mut(to) {
            a.conversations.insert(user_id.to_owned());
        }
        let (by_name, from_name, to_name) = (st.agent_name(by), st.agent_name(&from), st.agent_name(to));
        let line = format!("{by_name} 将会话从 {from_name} 转给 {to_name}");
        let now = now_ms();
        let log = NewMessage { user_id, user_name: &user_name, kf_id: Some(by), sender: Sender::System, content: &line, at_ms: now, client_msg_id: None, deliver_to: None };
        let stored = self.store_line(&mut st, &log)?;
        super::monitor::to_watchers(&mut st, user_id, "system", Some(by), &line, now, stored.commit());
        super::monitor::tell_viewers(&mut st, user_id); // the new agent hears who watches
        st.to_visitor_seq(user_id, p::visitor_status("assigned", Some(to), Some(&to_name), &format!("已为您转接至客服 {to_name}")), None, commit.as_ref());
        for (kf, text) in [(from.as_str(), format!("{by_name} 已将此会话转给 {to_name}")), (to, format!("{by_name} 将此会话转给了您"))] {
            if kf != by && st.speaks(kf, codes::NOTES) {
                let mentions: [String; 0] = [];
                let frame = p::status_note(&p::NoteFrame {
                    user_id,
                    user_name: &user_name,
                    kind: "whisper",
                    from_kf_id: by,
                    from_kf_name: &by_name,
                    content: &text,
                    mentions: &mentions,
                    create_time: now,
                });
                st.to_agent(kf, frame, None);
            }
        }
        self.webhooks.emit("conversation.transferred", || serde_json::json!({"userId": user_id, "fromKfId": from, "toKfId": to, "conversationId": conversation, "by": by}));
        self.audit(by, "reassign", user_id, &format!("from={from} to={to}"));
        tracing::info!(by, from, to, user_id, "conversation reassigned by a supervisor");
        st.offer_waiting(); // the first agent may have room again
        drop(st);
        self.written(commit)?;
        Ok(from)
    }

    /// Supervisor `by` ends the live conversation with `user_id`: the customer is told as when the
    /// agent ends it, the agent hears who ended it. Returns the agent it was with.
    pub fn end_by_supervisor(&self, by: &str, user_id: &str) -> Result<String, HubError> {
        let serving = match self.st().visitors.get(user_id).map(|v| v.state.clone()) {
            Some(VState::Assigned { kf_id, .. }) => kf_id,
            Some(_) => return Err(err(409, format!("no live conversation with {user_id:?}"))),
            None => return Err(err(404, format!("unknown customer {user_id:?}"))),
        };
        self.end_conversation(&serving, user_id)?;
        let mut st = self.st();
        let by_name = st.agent_name(by);
        let line = format!("{by_name} 结束了此会话");
        let user_name = st.visitors.get(user_id).map(|v| v.user_name.clone()).unwrap_or_default();
        let log = NewMessage { user_id, user_name: &user_name, kf_id: Some(by), sender: Sender::System, content: &line, at_ms: now_ms(), client_msg_id: None, deliver_to: None };
        self.store_line(&mut st, &log)?;
        super::join::tell_agent(&mut st, user_id, &serving, by, &by_name, "whisper", &line);
        self.audit(by, "end", user_id, &format!("kfId={serving}"));
        tracing::info!(by, kf_id = serving, user_id, "conversation ended by a supervisor");
        Ok(serving)
    }
}
