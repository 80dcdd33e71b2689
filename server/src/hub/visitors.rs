//! Visitor sockets: connect (queue or resume, replay by `lastSeq`), disconnect and its grace
//! period, and visitor messages.

use super::state::{Conn, VState, VisitorSlot};
use super::{err, now_ms, Hub, HubError, Out};
use crate::protocol as p;
use crate::store::{NewMessage, Sender as By, Write};
use tokio::sync::mpsc::UnboundedSender;

impl Hub {
    /// A visitor's socket opened. New visitors are queued and offered; returning ones resume.
    /// With `last_seq` (the page's last numbered frame), agent messages after it are replayed
    /// from the store, so none lost in flight or across a server restart goes missing.
    /// `resume` is the secret of a newly claimed id, sent once in its first status frame.
    /// `department` is the one the page asks for (ignored when there is no such department).
    /// With `history`, a returning customer's page gets its latest lines instead (`history.rs`).
    #[allow(clippy::too_many_arguments)]
    pub fn visitor_connected(&self, user_id: &str, user_name: &str, tx: UnboundedSender<Out>, last_seq: Option<u64>, history: bool, resume: Option<&str>, department: Option<&str>) -> u64 {
        let offline = self.offline_status();
        let answers = self.answers_for(user_id);
        // A customer routing does not know yet may have spoken to an agent before: offered first.
        let known = self.visitor_known(user_id);
        // One transferred here from another partition's agent joins the queue at once.
        let (last_agent, transferred) = if known { (None, false) } else { self.earlier_of(user_id) };
        // What an accept off the lock hands over, and their numbering (`accept.rs`).
        let (unrouted, numbered) = self.counts_of(user_id, known, resume.is_some());
        let mut st = self.st();
        Self::count_from(&mut st, numbered);
        st.next_conn += 1;
        let id = st.next_conn;
        let is_new = !st.visitors.contains_key(user_id);
        let department = department.filter(|d| st.departments.known(d)).map(str::to_owned);
        // A message of theirs still being written from before (then the count may miss it).
        let in_flight = st.writing.get(&format!("u:{user_id}")).is_some_and(|t| t.outcome().is_none());
        let v = st.visitors.entry(user_id.to_owned()).or_insert_with(|| VisitorSlot::new(user_name.to_owned(), 0, VState::Waiting));
        if is_new {
            v.last_agent = last_agent;
            v.spoke = transferred; // their conversation goes on: offered without a first message
            v.unrouted = unrouted.filter(|_| !in_flight);
        }
        if department.is_some() && v.department != department && v.state == VState::Waiting {
            v.department = department; // before the offer below
        }
        if let Some(old) = v.conn.take() {
            let _ = old.tx.send(Out::Close(4409, "replaced by a newer connection".into()));
        }
        v.epoch += 1;
        let held = std::mem::take(&mut v.held);
        let history = history && resume.is_none(); // a newly claimed id has none
        if history {
            self.send_history(&mut st, &tx, user_id);
        } else if let Some(from) = last_seq {
            self.replay(&mut st, &tx, &format!("v:{user_id}"), from, |d, names| {
                let m = d.message;
                let kf = m.kf_id.clone().unwrap_or_default();
                Some(p::visitor_message(&kf, &names.agent(&kf), &m.content, m.create_time, d.seq))
            });
        }
        let replayed = history || last_seq.is_some();
        for (seq, f) in held {
            if !replayed || seq.is_none() {
                let _ = tx.send(f);
            }
        }
        let Some(v) = st.visitors.get_mut(user_id) else { return id };
        let state = v.state.clone();
        v.conn = Some(Conn { id, tx });
        match state {
            VState::Assigned { kf_id, .. } => {
                let name = st.agent_name(&kf_id);
                st.to_visitor(user_id, p::visitor_status("assigned", Some(&kf_id), Some(&name), &format!("客服 {name} 为您服务")));
            }
            VState::Waiting if is_new && !st.offer_silent && !transferred => {
                // Queued with their first message: a silent page holds no slot and no place.
                // When nobody can answer, the page offers to leave a message instead.
                let first = match offline {
                    Some((text, next)) => p::visitor_offline(text, next, resume),
                    None => p::visitor_ready(resume),
                };
                st.to_visitor(user_id, first);
                st.ask_department(user_id);
            }
            VState::Waiting if is_new => {
                st.queue.push(user_id.to_owned());
                let position = st.place(user_id);
                let department = st.visitors.get(user_id).and_then(|v| v.department.clone());
                let first = p::visitor_waiting(position, st.eta_seconds(position, department.as_deref()), resume);
                if let Some(v) = st.visitors.get_mut(user_id) {
                    v.told_position = Some(position);
                }
                st.to_visitor(user_id, first);
                st.ask_department(user_id);
                if let Some((text, next)) = offline {
                    // Queued all the same; the page offers to leave a message meanwhile.
                    if let Some(v) = st.visitors.get_mut(user_id) {
                        v.told_waiting = true;
                    }
                    st.to_visitor(user_id, p::visitor_offline_notice(text, next));
                }
                st.offer(user_id);
            }
            VState::Waiting => {
                if let Some(v) = st.visitors.get_mut(user_id) {
                    v.told_position = None; // told again below, on this socket
                }
                if let (Some((text, next)), true) = (&offline, history) {
                    // A page opened anew while nobody can answer offers the form again.
                    st.to_visitor(user_id, p::visitor_offline_notice(text, *next));
                }
                st.offer(user_id); // not offered while they were gone
            }
            VState::Ended => {}
        }
        if let Some(a) = answers {
            st.to_visitor(user_id, a);
        }
        st.tell_positions();
        tracing::info!(user_id, conn = id, "visitor connected");
        id
    }

    /// A visitor's socket ended; returns the epoch for [`Hub::visitor_grace_expired`].
    pub fn visitor_disconnected(&self, user_id: &str, conn: u64) -> Option<u64> {
        let mut st = self.st();
        let v = st.visitors.get_mut(user_id)?;
        if v.conn.as_ref().map(|c| c.id) != Some(conn) {
            return None;
        }
        v.conn = None;
        v.epoch += 1;
        Some(v.epoch)
    }

    /// A visitor who did not come back within the grace period is gone: out of the queue (their
    /// offer withdrawn), their conversation ended, and forgotten, so memory holds only customers
    /// who are here or may still come back.
    pub fn visitor_grace_expired(&self, user_id: &str, epoch: u64) {
        let mut st = self.st();
        let Some(v) = st.visitors.get(user_id) else { return };
        if v.epoch != epoch || v.conn.is_some() {
            return;
        }
        let (state, offered, spoke) = (v.state.clone(), v.offered_to.clone(), v.spoke);
        let (name, since, department) = (v.user_name.clone(), v.waiting_since, v.department.clone());
        if state == VState::Waiting && spoke && st.queue.iter().any(|u| u == user_id) {
            // They gave up in the queue: kept for the reports.
            self.metrics.lifecycle_event("abandoned");
            let gave_up = Write::Abandoned { user_id: user_id.to_owned(), user_name: name, since, at: now_ms(), department };
            self.write_later(&mut st, user_id, gave_up);
        }
        st.queue.retain(|u| u != user_id);
        if let Some(kf) = offered {
            st.withdraw(&kf, user_id, "customer left");
        }
        if let VState::Assigned { kf_id, .. } = state {
            self.metrics.lifecycle_event("left");
            let commit = self.finish(&mut st, user_id, "left", "", &[], None);
            st.tell_lifecycle_after(&kf_id, user_id, "closed", serde_json::json!({"reason": "left"}), commit.as_ref());
            tracing::info!(user_id, kf_id, "customer left; conversation ended");
        }
        st.visitors.remove(user_id);
        Self::forget_numbers(&mut st, user_id);
        if !spoke {
            // A page that never said anything leaves no claim behind: the id is free again.
            self.write_later(&mut st, user_id, Write::ForgetSilent { user_id: user_id.to_owned() });
        }
        st.offer_waiting(); // an agent may have room again
        st.tell_positions();
    }

    /// Customers the routing hub holds now (here, or gone for less than the grace period).
    pub fn visitor_count(&self) -> usize {
        self.st().visitors.len()
    }

    /// A visitor's message: stored (once per `msg_id`), then to the assigned agent or kept in the
    /// store for whoever accepts. Its ack waits for [`super::relay::Relayed::settled`].
    pub fn visitor_message(&self, user_id: &str, content: &str, msg_id: Option<&str>) -> Result<super::relay::Relayed, HubError> {
        let mut st = self.st();
        let now = st.now();
        let v = st.visitors.get(user_id).ok_or_else(|| err(404, "unknown customer"))?;
        let name = v.user_name.clone();
        let state = v.state.clone();
        let owner = match &state {
            VState::Assigned { kf_id, .. } => Some(kf_id.clone()),
            _ => None,
        };
        if owner.is_none() && st.routed_elsewhere(v.department.as_deref()) {
            // A partitioned cluster: this customer's next conversation is another partition's
            // (their last one followed an agent who moved). Unacknowledged, the page sends it again there.
            st.hand_over(user_id);
            return Err(err(409, "routed by another partition now; reconnect"));
        }
        let recipient = owner.as_ref().map(|k| format!("kf:{k}"));
        // This message starts a conversation: `conversation.started` before its `message.created`.
        let starts = match &state {
            VState::Waiting => !v.spoke && !st.queue.iter().any(|u| u == user_id),
            VState::Ended => true,
            VState::Assigned { .. } => false,
        };
        if starts {
            self.webhooks.emit("conversation.started", || serde_json::json!({"userId": user_id, "userName": name}));
        }
        let event = || serde_json::json!({"userId": user_id, "userName": name, "kfId": owner, "sender": "visitor", "content": content, "msgId": msg_id, "createdAt": now});
        let stored = self.store_chat(
            &mut st,
            &NewMessage {
                user_id,
                user_name: &name,
                kf_id: owner.as_deref(),
                sender: By::Visitor,
                content,
                at_ms: now,
                client_msg_id: msg_id,
                deliver_to: recipient.as_deref(),
            },
            event,
        )?;
        if matches!(stored, super::relay::Stored::Duplicate) {
            return Ok(super::relay::Relayed::now(false));
        }
        let (seq, commit) = (stored.seq(), stored.commit().cloned());
        if let Some(v) = st.visitors.get_mut(user_id).filter(|_| owner.is_none()) {
            v.unrouted = v.unrouted.map(|n| n + 1); // a resend found stored later counts too: a gap
        }
        if let Some(id) = msg_id {
            st.note_unseen_by_agent(user_id, id);
        }
        if let Some(v) = st.visitors.get_mut(user_id) {
            v.last_visitor_at = Some(now);
        }
        st.spoke_in(user_id);
        super::monitor::to_watchers(&mut st, user_id, "visitor", None, content, now, commit.as_ref());
        let first_words = st.visitors.get_mut(user_id).is_some_and(|v| !std::mem::replace(&mut v.spoke, true));
        match state {
            VState::Assigned { kf_id, .. } => {
                let mut frame = p::status_message(user_id, &name, &kf_id, content, now);
                if let (Some(id), true) = (msg_id, st.speaks(&kf_id, crate::protocol::codes::RECALL)) {
                    frame["data"]["msgId"] = id.into(); // so a recall can name it
                }
                st.to_agent_after(&kf_id, frame, seq, commit.as_ref());
                for sup in super::join::joined(&st, user_id) {
                    st.to_agent_after(&sup, p::status_message(user_id, &name, &kf_id, content, now), None, commit.as_ref());
                }
            }
            VState::Waiting if first_words && !st.queue.iter().any(|u| u == user_id) => {
                // Their first message: now they join the queue.
                if let Some(v) = st.visitors.get_mut(user_id) {
                    v.waiting_since = now;
                    v.told_position = None;
                }
                st.queue.push(user_id.to_owned());
                st.offer(user_id);
                st.tell_positions();
            }
            VState::Waiting => {}
            VState::Ended => {
                // A new question after the end starts a new conversation.
                if let Some(v) = st.visitors.get_mut(user_id) {
                    v.state = VState::Waiting;
                    v.offered_to = None;
                    v.declined.clear();
                    v.timed_out.clear();
                    v.told_waiting = false;
                    v.waiting_since = now_ms();
                }
                st.queue.push(user_id.to_owned());
                if let Some(v) = st.visitors.get_mut(user_id) {
                    v.told_position = None;
                }
                st.offer(user_id);
                st.tell_positions();
            }
        }
        Ok(super::relay::Relayed { new: true, commit })
    }
}
