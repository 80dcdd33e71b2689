//! Agent sockets: connect (hello, re-offers), ready (backlog and replay), disconnect and its
//! grace period, and the frames an agent sends.

use super::state::{AgentSlot, Conn, State, VState};
use crate::protocol::codes;
use super::{err, now_ms, Hub, HubError, Out, Presence};
use crate::protocol as p;
use crate::store::{NewMessage, Sender as By, Write};
use tokio::sync::mpsc::UnboundedSender;

impl Hub {
    /// An agent's socket opened. Returns its connection id. Replaces an older socket of the same
    /// agent (closed with 4409) and says hello. Frames for the agent (held ones included) go out,
    /// and waiting visitors are offered, once the socket is ready: on the hello answer, or when
    /// the caller's legacy wait ends ([`Hub::agent_ready`]).
    pub fn agent_connected(&self, kf_id: &str, name: &str, supervisor: bool, tx: UnboundedSender<Out>) -> u64 {
        let saved = self.saved_presence(kf_id); // read before the lock: a round trip on PostgreSQL
        let numbered = self.last_numbers(&format!("kf:{kf_id}"));
        let mut st = self.st();
        Self::count_from(&mut st, numbered);
        st.next_conn += 1;
        let id = st.next_conn;
        let slot = st.agents.entry(kf_id.to_owned()).or_insert_with(|| AgentSlot::new(name.to_owned()));
        if let Some(old) = slot.conn.take() {
            let _ = old.tx.send(Out::Close(4409, "replaced by a newer connection".into()));
        }
        slot.epoch += 1;
        slot.supervisor = supervisor;
        slot.features.clear();
        slot.ready = false;
        let _ = tx.send(Out::Text(p::status_hello(&self.epoch, self.sneak_peek, supervisor)));
        slot.conn = Some(Conn { id, tx });
        Self::load_presence(&mut st, kf_id, saved);
        tracing::info!(kf_id, conn = id, "agent connected");
        id
    }

    /// The agent's socket `conn` is ready for its backlog: after the hello answer (`last_seq`
    /// from a client using `seq`) or, for a legacy client, after a short wait (`None`). With
    /// `last_seq`, every message delivered to the agent after it is replayed from the store (the
    /// ones lost in flight included), then the other pending frames; without, the pending frames.
    pub fn agent_ready(&self, kf_id: &str, conn: u64, last_seq: Option<u64>) {
        let mut st = self.st();
        let Some(a) = st.agents.get_mut(kf_id) else { return };
        if a.ready || a.conn.as_ref().map(|c| c.id) != Some(conn) {
            return;
        }
        a.ready = true;
        let tx = a.conn.as_ref().map(|c| c.tx.clone()).expect("checked above");
        let pending = std::mem::take(&mut a.pending);
        if let Some(from) = last_seq {
            let mine = a.conversations.clone();
            let recall = st.speaks(kf_id, crate::protocol::codes::RECALL);
            let kf = kf_id.to_owned();
            self.replay(&mut st, &tx, &format!("kf:{kf_id}"), from, move |d, _| mine.contains(&d.message.user_id).then(|| super::replay::agent_frame(&kf, recall, &d)));
            for (seq, out) in pending {
                if seq.is_none() {
                    let _ = tx.send(out);
                }
            }
        } else {
            for (_, out) in pending {
                let _ = tx.send(out);
            }
        }
        // Offers are made to ready sockets only, so each is written for the extensions in use.
        let mut open = st.open_offers();
        for u in st.queue.clone() {
            let offered_here = st.visitors.get(&u).and_then(|v| v.offered_to.clone()).as_deref() == Some(kf_id);
            if offered_here {
                // The agent may have lost its queue with its socket: offer again.
                let n = st.visitors[&u].user_name.clone();
                let frame = st.offer_frame(kf_id, &u, &n);
                st.to_agent(kf_id, frame, None);
            } else {
                st.offer_counted(&u, &mut open);
            }
        }
    }

    /// The agent answered the hello: extensions chosen, and with `seq` the last frame it saw.
    pub fn agent_hello(&self, kf_id: &str, conn: u64, features: Vec<String>, last_seq: Option<u64>) {
        {
            let mut st = self.st();
            if let Some(a) = st.agents.get_mut(kf_id) {
                let (peek, board) = (self.sneak_peek, a.supervisor);
                a.features = features
                    .into_iter()
                    .filter(|f| p::FEATURES.contains(&f.as_str()) || (peek && f == p::PEEK) || (board && (f == codes::BOARD || f == codes::BOARD_DELTA || f == codes::SUPERVISE)))
                    .collect();
            }
            st.tell_presence(kf_id);
        }
        let uses_seq = self.st().agents.get(kf_id).is_some_and(|a| a.features.contains(codes::SEQ));
        self.push_board_to(kf_id);
        self.agent_ready(kf_id, conn, if uses_seq { last_seq.or(Some(0)) } else { None });
    }

    /// An agent's socket `conn` ended. Conversations are kept for the grace period; returns the
    /// epoch to pass to [`Hub::agent_grace_expired`] when it ends.
    pub fn agent_disconnected(&self, kf_id: &str, conn: u64) -> Option<u64> {
        let mut st = self.st();
        let slot = st.agents.get_mut(kf_id)?;
        if slot.conn.as_ref().map(|c| c.id) != Some(conn) {
            return None; // a replaced socket
        }
        slot.conn = None;
        slot.epoch += 1;
        let epoch = slot.epoch;
        super::monitor::stop_watching(&mut st, kf_id);
        // Offers to this agent go to someone who can answer them now.
        let offered: Vec<String> =
            st.queue.iter().filter(|u| st.visitors[*u].offered_to.as_deref() == Some(kf_id)).cloned().collect();
        for u in &offered {
            if let Some(v) = st.visitors.get_mut(u) {
                v.offered_to = None;
            }
        }
        st.offer_each(offered);
        tracing::info!(kf_id, conn, "agent disconnected; grace period starts");
        Some(epoch)
    }

    /// The grace period of an agent's disconnect `epoch` ended: if they did not come back, their
    /// conversations go back to the queue for someone else.
    pub fn agent_grace_expired(&self, kf_id: &str, epoch: u64) {
        let mut st = self.st();
        let Some(slot) = st.agents.get_mut(kf_id) else { return };
        if slot.epoch != epoch || slot.conn.is_some() {
            return;
        }
        let convs: Vec<String> = slot.conversations.drain().collect();
        slot.pending.clear();
        tracing::info!(kf_id, n = convs.len(), "grace period over; conversations re-queued");
        let mut open = st.open_offers(); // counted once for the sweep
        for u in convs {
            if let Some(v) = st.visitors.get_mut(&u) {
                let was = std::mem::replace(&mut v.state, VState::Waiting);
                if let VState::Assigned { conversation, .. } = was {
                    let end = Write::End { conversation, at: now_ms(), outcome: "agent_left".into(), tags: Vec::new(), comment: None };
                    self.write_later(&mut st, &u, end);
                }
                let Some(v) = st.visitors.get_mut(&u) else { continue };
                v.offered_to = None;
                v.declined.clear();
                v.timed_out.clear();
                v.told_waiting = false;
                v.told_position = None;
                v.waiting_since = now_ms();
                st.conversation_over(&u, now_ms());
                st.queue.push(u.clone());
                st.to_visitor(&u, p::visitor_status("waiting", None, None, "客服已离线，正在为您转接其他客服。"));
                st.offer_counted(&u, &mut open);
            }
        }
        st.tell_positions();
    }

    /// A frame from agent `kf_id`. Returns a reply for the agent's socket (pong) or an error
    /// explaining why the frame was refused (logged; the legacy protocol has no error frame).
    pub fn agent_frame(&self, kf_id: &str, frame: p::AgentIn) -> Result<Option<String>, HubError> {
        let mut st = self.st();
        match frame {
            p::AgentIn::Ping => Ok(Some(p::status_pong())),
            p::AgentIn::Typing { user_id, typing } => self.agent_typing(&mut st, kf_id, &user_id, typing).map(|_| None),
            p::AgentIn::Seen { user_id } => self.agent_seen(&mut st, kf_id, &user_id).map(|_| None),
            p::AgentIn::SetPresence { presence } => {
                let presence = Presence::parse(&presence).ok_or_else(|| err(400, "unknown presence"))?;
                self.apply_presence(&mut st, kf_id, presence).map(|_| None)
            }
            p::AgentIn::Hello { .. } => Ok(None), // handled by agent_hello, which knows the socket
            p::AgentIn::Accept { user_id } => self.accept(&mut st, kf_id, &user_id).map(|_| None),
            p::AgentIn::Decline { user_id } => {
                let v = st.visitors.get_mut(&user_id).ok_or_else(|| err(404, format!("unknown customer {user_id:?}")))?;
                if v.state != VState::Waiting {
                    return Err(err(409, format!("customer {user_id:?} is not waiting")));
                }
                v.declined.insert(kf_id.to_owned());
                if v.offered_to.as_deref() == Some(kf_id) {
                    v.offered_to = None;
                }
                st.offer(&user_id);
                Ok(None)
            }
            p::AgentIn::AcceptTransfer { user_id } => self.accept_transfer(&mut st, kf_id, &user_id).map(|_| None),
            p::AgentIn::RejectTransfer { user_id } => {
                let v = st.visitors.get_mut(&user_id).ok_or_else(|| err(404, format!("unknown customer {user_id:?}")))?;
                match v.transfer.take() {
                    Some(t) if t.to == kf_id => {
                        let name = v.user_name.clone();
                        st.to_agent(&t.from, p::status_transfer_refused(&user_id, &name), None);
                        Ok(None)
                    }
                    other => {
                        v.transfer = other;
                        Err(err(409, format!("no transfer of {user_id:?} is pending for {kf_id:?}")))
                    }
                }
            }
            p::AgentIn::Supervise { .. } => Ok(None), // handled by Hub::supervise, outside this lock
            p::AgentIn::Recall { .. } => Ok(None),    // handled by Hub::agent_recall, outside this lock
            p::AgentIn::Watch { user_id, watch } => self.watch(&mut st, kf_id, &user_id, watch).map(|_| None),
            p::AgentIn::Note { user_id, content } => self.agent_note(&mut st, kf_id, &user_id, &content).map(|_| None),
            p::AgentIn::Chat { .. } => Ok(None), // handled by Hub::agent_chat (its ack waits for the commit)
        }
    }

    /// Stores an agent's message and sends it to the customer (numbered for replay). A resend of
    /// a stored `msg_id` is a success that writes and sends nothing. Its ack waits for
    /// [`super::relay::Relayed::settled`].
    pub(super) fn chat(&self, st: &mut State, kf_id: &str, user_id: &str, content: &str, msg_id: Option<&str>) -> Result<super::relay::Relayed, HubError> {
        let v = st.visitors.get(user_id).ok_or_else(|| err(404, format!("unknown customer {user_id:?}")))?;
        let serving = match &v.state {
            VState::Assigned { kf_id: owner, .. } if owner == kf_id || v.joined.iter().any(|k| k == kf_id) => owner.clone(),
            _ => return Err(err(409, format!("customer {user_id:?} is not in a conversation with {kf_id:?}"))),
        };
        let (name, now) = (v.user_name.clone(), st.now());
        let recipient = format!("v:{user_id}");
        let event = || serde_json::json!({"userId": user_id, "userName": name, "kfId": kf_id, "sender": "agent", "content": content, "msgId": msg_id, "createdAt": now});
        let stored = self.store_chat(
            st,
            &NewMessage {
                user_id,
                user_name: &name,
                kf_id: Some(kf_id),
                sender: By::Agent,
                content,
                at_ms: now,
                client_msg_id: msg_id,
                deliver_to: Some(&recipient),
            },
            event,
        )?;
        let Some(seq) = stored.seq() else { return Ok(super::relay::Relayed::now(false)) };
        let commit = stored.commit().cloned();
        if let Some(v) = st.visitors.get_mut(user_id) {
            v.last_agent_at = Some(now);
        }
        st.spoke_in(user_id);
        if serving != kf_id {
            // A supervisor who joined: the agent sees what the customer was told.
            let name = st.agent_name(kf_id);
            super::join::tell_agent(st, user_id, &serving, kf_id, &name, "supervisor", content);
        }
        super::monitor::to_watchers(st, user_id, "agent", Some(kf_id), content, now, commit.as_ref());
        let kf_name = st.agent_name(kf_id);
        st.to_visitor_seq(user_id, p::visitor_message(kf_id, &kf_name, content, now, seq), Some(seq), commit.as_ref());
        if let Some(id) = msg_id {
            st.note_unread_by_visitor(user_id, seq, id);
        }
        Ok(super::relay::Relayed { new: true, commit })
    }

    /// An agent's chat message (`Chat`), taken by the socket: its ack waits for
    /// [`super::relay::Relayed::settled`].
    pub fn agent_chat(&self, kf_id: &str, user_id: &str, content: &str, msg_id: Option<&str>) -> Result<super::relay::Relayed, HubError> {
        let mut st = self.st();
        self.chat(&mut st, kf_id, user_id, content, msg_id)
    }
}
