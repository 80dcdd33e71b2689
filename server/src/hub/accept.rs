//! An agent takes a waiting customer: the conversation starts, and the customer's messages no
//! agent had yet go to the agent. On SQLite (and when routing lacks a number it needs) that is
//! one transaction in place, under the hub's lock. On PostgreSQL it is handed to the messages'
//! writer ([`Write::Accept`]), after every message of the customer handed over before it, so no
//! round trip is made under the lock: the hub knows how many messages the customer wrote while
//! waiting (`unrouted`, exact for a customer whose id was new), sets their delivery numbers
//! aside, takes the conversation's id from ids fetched ahead, and queues a marker where the
//! agent's frames for them belong, made from what the accept's statement delivered once it is
//! committed (nothing is read back); the customer hears "assigned" then too.

use super::replay::Replay;
use super::state::{State, VState};
use super::{err, Hub, HubError, Out, Presence};
use crate::protocol as p;
use crate::store::ticket::Ticket;
use crate::store::Write;

impl Hub {
    pub(super) fn accept(&self, st: &mut State, kf_id: &str, user_id: &str) -> Result<(), HubError> {
        let v = st.visitors.get_mut(user_id).ok_or_else(|| err(404, format!("unknown customer {user_id:?}")))?;
        if v.state != VState::Waiting {
            return Err(err(409, format!("customer {user_id:?} is no longer waiting")));
        }
        // Only the agent the customer is offered to takes them (the offer was made under its
        // presence and cap; both are checked again here).
        if v.offered_to.as_deref() != Some(kf_id) {
            tracing::warn!(kf_id, user_id, "accept refused: not offered to this agent");
            return Err(err(403, format!("customer {user_id:?} was not offered to {kf_id:?}")));
        }
        let a = st.agents.get(kf_id).ok_or_else(|| err(409, "not connected"))?;
        if a.presence != Presence::Online || st.active_load(kf_id) >= st.cap_of(kf_id) {
            return Err(err(409, "you are not taking new customers now (presence or cap)"));
        }
        let now = st.now();
        if let Some((conversation, commit)) = self.accept_later(st, kf_id, user_id, now) {
            self.assigned(st, kf_id, user_id, conversation, now, Some(&commit));
            return Ok(());
        }
        self.settle(st, &[&format!("u:{user_id}")]); // their waiting messages are read back
        // Numbered from the hub's count when messages to the agent go through the group writer.
        let recipient = format!("kf:{kf_id}");
        let first = st.next_seq.get(&recipient).copied();
        let v = st.visitors.get_mut(user_id).expect("checked above");
        let (conversation, waiting_msgs) = self
            .store
            .start_conversation_and_deliver(user_id, &v.user_name, kf_id, now, first, v.department.as_deref())
            .map_err(|e| self.store_failed(e))?;
        v.unrouted = v.unrouted.map(|_| 0);
        let name = v.user_name.clone();
        let next = match first {
            Some(first) => Some(first + waiting_msgs.len() as u64),
            // Not counted yet, so none in flight: the store's numbers were the last (PostgreSQL).
            None if self.store.group().is_some() => waiting_msgs.last().map(|last| last.seq + 1),
            None => None,
        };
        if let Some(next) = next {
            st.next_seq.insert(recipient, next);
        }
        self.assigned(st, kf_id, user_id, conversation, now, None);
        for m in waiting_msgs {
            st.to_agent(kf_id, p::status_message(user_id, &name, kf_id, &m.content, m.created_at), Some(m.seq));
        }
        Ok(())
    }

    /// The accept handed to PostgreSQL's messages' writer (see the module's doc): the
    /// conversation's id and the commit, or `None` when it must be made in place (SQLite, a
    /// count or a number routing does not know, an agent socket not ready).
    fn accept_later(&self, st: &mut State, kf_id: &str, user_id: &str, now: i64) -> Option<(i64, Ticket)> {
        self.store.group()?;
        let v = st.visitors.get(user_id)?;
        let (count, user_name, department) = (v.unrouted?, v.user_name.clone(), v.department.clone());
        let recipient = format!("kf:{kf_id}");
        let first = *st.next_seq.get(&recipient)?;
        let tx = st.agents.get(kf_id).filter(|a| a.ready).and_then(|a| a.conn.as_ref()).map(|c| c.tx.clone())?;
        let conversation = self.ids.take(&self.store)?;
        // `conversation.assigned` once stored, after the customer's `message.created` events.
        let event = serde_json::json!({"userId": user_id, "userName": user_name, "kfId": kf_id, "conversationId": conversation});
        let webhooks = self.webhooks.clone();
        let assigned: crate::store::OnStored = Box::new(move |_| webhooks.emit("conversation.assigned", || event));
        let accept = Write::Accept { conversation, user_id: user_id.to_owned(), user_name, kf_id: kf_id.to_owned(), at: now, department, first_seq: first, count };
        let commit = match self.store.write(accept, true, Some(assigned)) {
            Ok(Some(t)) => t,
            Ok(None) => return None,
            Err(e) => {
                let _ = self.store_failed(e);
                return None;
            }
        };
        st.next_seq.insert(recipient.clone(), first + count);
        st.writing.insert(format!("u:{user_id}"), commit.clone());
        st.writing.insert(recipient.clone(), commit.clone());
        if let Some(v) = st.visitors.get_mut(user_id) {
            v.unrouted = Some(0);
        }
        if count > 0 {
            // Their frames, made from what the accept delivered once it is committed, where they
            // belong in the agent's queue.
            let (kf, recall) = (kf_id.to_owned(), st.speaks(kf_id, crate::protocol::codes::RECALL));
            let _ = tx.send(Out::Replay(Replay::delivered(commit.clone(), move |d| super::replay::agent_frame(&kf, recall, d))));
        }
        Some((conversation, commit))
    }

    /// Before the lock, for customer `user_id` connecting (`known`: routing holds them; `resume`:
    /// their id was just claimed): how many of their messages no agent has, and their highest
    /// delivery number (for [`Hub::count_from`]), where routing will count them (PostgreSQL).
    pub(super) fn counts_of(&self, user_id: &str, known: bool, resume: bool) -> (Option<u64>, Option<(String, u64)>) {
        if known || self.store.group().is_none() {
            return (None, None);
        }
        let counts = if resume { Some((0, 0)) } else { self.store.customer_counts(user_id).ok() };
        counts.map_or((None, None), |(unrouted, last)| (Some(unrouted), Some((format!("v:{user_id}"), last))))
    }

    /// The customer is the agent's now (after the store, or once `commit` is): out of the queue,
    /// any other offer withdrawn, told so, and the `conversation.assigned` event sent.
    fn assigned(&self, st: &mut State, kf_id: &str, user_id: &str, conversation: i64, now: i64, commit: Option<&Ticket>) {
        let Some(v) = st.visitors.get_mut(user_id) else { return };
        let other_offer = v.offered_to.take().filter(|o| o != kf_id);
        v.state = VState::Assigned { kf_id: kf_id.to_owned(), conversation };
        let name = v.user_name.clone();
        st.queue.retain(|u| u != user_id);
        st.conversation_started(user_id, now);
        st.tell_positions();
        if let Some(o) = other_offer {
            st.withdraw(&o, user_id, "accepted by another agent");
        }
        if let Some(a) = st.agents.get_mut(kf_id) {
            a.conversations.insert(user_id.to_owned());
        }
        let kf_name = st.agent_name(kf_id);
        st.to_visitor_seq(user_id, p::visitor_status("assigned", Some(kf_id), Some(&kf_name), &format!("客服 {kf_name} 为您服务")), None, commit);
        if commit.is_none() {
            // (Made off the lock, the accept's writer sends it once stored.)
            self.webhooks.emit("conversation.assigned", || serde_json::json!({"userId": user_id, "userName": name, "kfId": kf_id, "conversationId": conversation}));
        }
        tracing::info!(kf_id, user_id, "conversation assigned");
    }
}
