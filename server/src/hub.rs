//! [`Hub`]: who is online, who waits, who talks to whom. All routing decisions live here, behind
//! one mutex that is never held across an `.await`; sockets get their frames through channels.

use crate::protocol as p;
use crate::store::{Sender as By, Store};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc::UnboundedSender;

/// What a socket task is told to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Out {
    /// Send this text frame.
    Text(String),
    /// Close with this code and reason.
    Close(u16, String),
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// A refused request, with the HTTP status it maps to.
#[derive(Debug, Clone, PartialEq)]
pub struct HubError {
    /// 400, 404 or 409.
    pub status: u16,
    /// Human message (shown by the console).
    pub msg: String,
}

fn err(status: u16, msg: impl Into<String>) -> HubError {
    HubError { status, msg: msg.into() }
}

struct Conn {
    id: u64,
    tx: UnboundedSender<Out>,
}

/// Most frames kept per agent while it is away (status 2–5; messages are replayed from the store).
const PENDING_CAP: usize = 10_000;

struct AgentSlot {
    name: String,
    conn: Option<Conn>,
    /// Bumped on every disconnect; a grace timer only expires the epoch it was started for.
    epoch: u64,
    /// Frames produced while the socket was away or not ready: `(seq, text)`; status-1 frames
    /// carry their durable delivery seq.
    pending: Vec<(Option<u64>, String)>,
    /// The current socket has been sent its backlog (after the hello answer or the legacy wait).
    ready: bool,
    features: HashSet<String>,
    conversations: HashSet<String>,
}

impl AgentSlot {
    fn new(name: String) -> AgentSlot {
        AgentSlot { name, conn: None, epoch: 0, pending: Vec::new(), ready: false, features: HashSet::new(), conversations: HashSet::new() }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum VState {
    Waiting,
    Assigned { kf_id: String, conversation: i64 },
    Ended,
}

struct Transfer {
    from: String,
    to: String,
}

struct VisitorSlot {
    user_name: String,
    conn: Option<Conn>,
    epoch: u64,
    state: VState,
    offered_to: Option<String>,
    declined: HashSet<String>,
    /// Frames for the visitor while disconnected: `(seq, text)`; message frames carry their
    /// durable delivery seq and are replayed from the store instead when the page says `lastSeq`.
    held: Vec<(Option<u64>, String)>,
    transfer: Option<Transfer>,
    told_waiting: bool,
}

#[derive(Default)]
struct State {
    agents: HashMap<String, AgentSlot>,
    visitors: HashMap<String, VisitorSlot>,
    /// Waiting visitor ids, oldest first.
    queue: Vec<String>,
    next_conn: u64,
    stalled_until: Option<Instant>,
}

/// An online agent, for the transfer picker.
#[derive(serde::Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct OnlineAgent {
    /// kfId.
    pub id: String,
    /// Name.
    pub name: String,
    /// Conversations in progress.
    pub conversations: usize,
}

/// The routing hub.
pub struct Hub {
    state: Mutex<State>,
    store: Arc<Store>,
    grace: Duration,
    max_conversations: usize,
    /// The store's identity; delivery sequence numbers are durable within it.
    epoch: String,
}

impl State {
    /// Sends a frame to an agent when its socket is ready, else keeps it for the next one. `seq`
    /// (the durable delivery number of a status-1 frame) is stamped as a top-level field, which
    /// legacy clients ignore.
    fn to_agent(&mut self, kf_id: &str, mut frame: serde_json::Value, seq: Option<u64>) {
        let Some(a) = self.agents.get_mut(kf_id) else { return };
        if let Some(seq) = seq {
            frame["seq"] = seq.into();
        }
        let text = frame.to_string();
        match (&a.conn, a.ready) {
            (Some(c), true) => {
                let _ = c.tx.send(Out::Text(text));
            }
            _ if a.pending.len() < PENDING_CAP => a.pending.push((seq, text)),
            _ => tracing::warn!(kf_id, "pending frames full; dropping a frame the store can replay"),
        }
    }

    fn to_visitor(&mut self, user_id: &str, frame: String) {
        self.to_visitor_seq(user_id, frame, None)
    }

    fn to_visitor_seq(&mut self, user_id: &str, frame: String, seq: Option<u64>) {
        if let Some(v) = self.visitors.get_mut(user_id) {
            match &v.conn {
                Some(c) => {
                    let _ = c.tx.send(Out::Text(frame));
                }
                None => v.held.push((seq, frame)),
            }
        }
    }

    fn agent_name(&self, kf_id: &str) -> String {
        self.agents.get(kf_id).map(|a| a.name.clone()).unwrap_or_else(|| kf_id.to_owned())
    }

    /// Offers a waiting visitor to the least busy online agent who has not declined them.
    fn offer(&mut self, user_id: &str) {
        let Some(v) = self.visitors.get(user_id) else { return };
        if v.state != VState::Waiting {
            return;
        }
        if let Some(kf) = &v.offered_to {
            if self.agents.get(kf).is_some_and(|a| a.conn.is_some()) {
                return; // still offered to someone online
            }
        }
        // Load = conversations + offers still open, so a burst of visitors spreads out.
        let offers = |kf: &str| self.visitors.values().filter(|w| w.state == VState::Waiting && w.offered_to.as_deref() == Some(kf)).count();
        let mut candidates: Vec<(&String, usize)> = self
            .agents
            .iter()
            .filter(|(id, a)| a.conn.is_some() && !v.declined.contains(*id))
            .map(|(id, a)| (id, a.conversations.len() + offers(id)))
            .collect();
        candidates.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(b.0)));
        let pick = candidates.first().map(|(id, _)| (*id).clone());
        let name = v.user_name.clone();
        let told = v.told_waiting;
        match pick {
            Some(kf) => {
                if let Some(v) = self.visitors.get_mut(user_id) {
                    v.offered_to = Some(kf.clone());
                }
                self.to_agent(&kf, p::status_waiting(user_id, &name), None);
            }
            None => {
                if let Some(v) = self.visitors.get_mut(user_id) {
                    v.offered_to = None;
                    v.told_waiting = true;
                }
                if !told {
                    self.to_visitor(user_id, p::visitor_status("waiting", None, None, "客服忙，请稍候，我们会尽快为您接入。"));
                }
            }
        }
    }

    fn withdraw(&mut self, kf_id: &str, user_id: &str, reason: &str) {
        let name = self.visitors.get(user_id).map(|v| v.user_name.clone()).unwrap_or_default();
        if self.agents.get(kf_id).is_some_and(|a| a.features.contains("withdraw")) {
            self.to_agent(kf_id, p::status_withdrawn(user_id, &name, reason), None);
        }
    }
}

impl Hub {
    /// A hub over `store`.
    pub fn new(store: Arc<Store>, grace: Duration, max_conversations: usize) -> Arc<Hub> {
        let epoch = store.epoch().to_owned();
        Arc::new(Hub { state: Mutex::new(State::default()), store, grace, max_conversations, epoch })
    }

    fn st(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    // ----- agents --------------------------------------------------------------------------

    /// An agent's socket opened. Returns its connection id. Replaces an older socket of the same
    /// agent (closed with 4409), says hello and re-offers waiting visitors. Frames for the agent
    /// (held ones included) go out once the socket is ready: on the hello answer, or when the
    /// caller's legacy wait ends ([`Hub::agent_ready`]).
    pub fn agent_connected(&self, kf_id: &str, name: &str, tx: UnboundedSender<Out>) -> u64 {
        let mut st = self.st();
        st.next_conn += 1;
        let id = st.next_conn;
        let slot = st.agents.entry(kf_id.to_owned()).or_insert_with(|| AgentSlot::new(name.to_owned()));
        if let Some(old) = slot.conn.take() {
            let _ = old.tx.send(Out::Close(4409, "replaced by a newer connection".into()));
        }
        slot.epoch += 1;
        slot.features.clear();
        slot.ready = false;
        let _ = tx.send(Out::Text(p::status_hello(&self.epoch)));
        slot.conn = Some(Conn { id, tx });
        let waiting: Vec<String> = st.queue.clone();
        for u in waiting {
            let offered_here = st.visitors.get(&u).and_then(|v| v.offered_to.clone()).as_deref() == Some(kf_id);
            if offered_here {
                // The agent may have lost its queue with its socket: offer again.
                let n = st.visitors[&u].user_name.clone();
                st.to_agent(kf_id, p::status_waiting(&u, &n), None);
            } else {
                st.offer(&u);
            }
        }
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
            match self.store.replay(&format!("kf:{kf_id}"), from, 100_000) {
                Ok(rows) => {
                    for d in rows.into_iter().filter(|d| mine.contains(&d.message.user_id)) {
                        let m = d.message;
                        let mut f = p::status_message(&m.user_id, &m.user_name, kf_id, &m.content, m.create_time);
                        f["seq"] = d.seq.into();
                        let _ = tx.send(Out::Text(f.to_string()));
                    }
                }
                Err(e) => tracing::error!(kf_id, error = %e, "replay failed"),
            }
            for (seq, text) in pending {
                if seq.is_none() {
                    let _ = tx.send(Out::Text(text));
                }
            }
        } else {
            for (_, text) in pending {
                let _ = tx.send(Out::Text(text));
            }
        }
    }

    /// The agent answered the hello: extensions chosen, and with `seq` the last frame it saw.
    pub fn agent_hello(&self, kf_id: &str, conn: u64, features: Vec<String>, last_seq: Option<u64>) {
        {
            let mut st = self.st();
            if let Some(a) = st.agents.get_mut(kf_id) {
                a.features = features.into_iter().filter(|f| p::FEATURES.contains(&f.as_str())).collect();
            }
        }
        let uses_seq = self.st().agents.get(kf_id).is_some_and(|a| a.features.contains("seq"));
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
        // Offers to this agent go to someone who can answer them now.
        let offered: Vec<String> =
            st.queue.iter().filter(|u| st.visitors[*u].offered_to.as_deref() == Some(kf_id)).cloned().collect();
        for u in offered {
            if let Some(v) = st.visitors.get_mut(&u) {
                v.offered_to = None;
            }
            st.offer(&u);
        }
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
        for u in convs {
            if let Some(v) = st.visitors.get_mut(&u) {
                if let VState::Assigned { conversation, .. } = v.state {
                    let _ = self.store.end_conversation(conversation, now_ms());
                }
                v.state = VState::Waiting;
                v.offered_to = None;
                v.declined.clear();
                v.told_waiting = false;
                st.queue.push(u.clone());
                st.to_visitor(&u, p::visitor_status("waiting", None, None, "客服已离线，正在为您转接其他客服。"));
                st.offer(&u);
            }
        }
    }

    /// After a restart: open conversations from the store become assignments again, with their
    /// agents and visitors disconnected. Returns `(kfId, epoch)` pairs whose grace timers the
    /// caller must start, so agents who never come back hand their customers on.
    pub fn restore(&self, open: Vec<(i64, String, String, String)>) -> Vec<(String, u64)> {
        let mut st = self.st();
        let mut restored: Vec<String> = Vec::new();
        for (conversation, user_id, user_name, kf_id) in open {
            // A customer with two open rows (crash between end and start): keep the newest.
            let name = self.store.agent(&kf_id).ok().flatten().map(|a| a.name).unwrap_or_else(|| kf_id.clone());
            let slot = st.agents.entry(kf_id.clone()).or_insert_with(|| AgentSlot { epoch: 1, ..AgentSlot::new(name) });
            slot.conversations.insert(user_id.clone());
            if !restored.contains(&kf_id) {
                restored.push(kf_id.clone());
            }
            if let Some(old) = st.visitors.get(&user_id) {
                if let VState::Assigned { kf_id: prev, .. } = &old.state {
                    let prev = prev.clone();
                    if let Some(a) = st.agents.get_mut(&prev) {
                        a.conversations.remove(&user_id);
                    }
                }
            }
            st.visitors.insert(
                user_id,
                VisitorSlot {
                    user_name,
                    conn: None,
                    epoch: 1,
                    state: VState::Assigned { kf_id, conversation },
                    offered_to: None,
                    declined: HashSet::new(),
                    held: Vec::new(),
                    transfer: None,
                    told_waiting: false,
                },
            );
        }
        tracing::info!(conversations = st.visitors.len(), agents = restored.len(), "routing restored from the store");
        restored.into_iter().map(|k| (k, 1)).collect()
    }

    /// The grace period, for the socket tasks' timers.
    pub fn grace(&self) -> Duration {
        self.grace
    }

    /// Test hook: stop answering heartbeats for `ms`.
    pub fn stall(&self, ms: u64) {
        self.st().stalled_until = Some(Instant::now() + Duration::from_millis(ms));
    }

    /// Test hook: push a raw frame to an agent.
    pub fn push_raw_to_agent(&self, kf_id: &str, text: String) -> Result<(), HubError> {
        let st = self.st();
        let c = st.agents.get(kf_id).and_then(|a| a.conn.as_ref()).ok_or_else(|| err(404, "agent not connected"))?;
        let _ = c.tx.send(Out::Text(text));
        Ok(())
    }

    /// Test hook: close an agent's socket as if the network dropped it.
    pub fn drop_agent(&self, kf_id: &str) -> Result<(), HubError> {
        let st = self.st();
        let c = st.agents.get(kf_id).and_then(|a| a.conn.as_ref()).ok_or_else(|| err(404, "agent not connected"))?;
        let _ = c.tx.send(Out::Close(4000, "dropped by test hook".into()));
        Ok(())
    }

    /// A frame from agent `kf_id`. Returns a reply for the agent's socket (pong) or an error
    /// explaining why the frame was refused (logged; the legacy protocol has no error frame).
    pub fn agent_frame(&self, kf_id: &str, frame: p::AgentIn) -> Result<Option<String>, HubError> {
        let mut st = self.st();
        match frame {
            p::AgentIn::Ping => {
                if st.stalled_until.is_some_and(|t| Instant::now() < t) {
                    return Ok(None);
                }
                Ok(Some(p::status_pong()))
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
            p::AgentIn::Chat { user_id, content, msg_id } => {
                let routed = self.chat(&mut st, kf_id, &user_id, &content, msg_id.as_deref());
                match (msg_id, routed) {
                    (Some(id), Ok(())) => Ok(Some(p::status_ack(&id, None))),
                    (Some(id), Err(e)) => {
                        tracing::warn!(kf_id, error = %e.msg, "agent message refused");
                        Ok(Some(p::status_ack(&id, Some(&e.msg))))
                    }
                    (None, r) => r.map(|_| None),
                }
            }
        }
    }

    /// Stores an agent's message and sends it to the customer (numbered for replay). A resend of
    /// a stored `msg_id` is a success that writes and sends nothing.
    fn chat(&self, st: &mut State, kf_id: &str, user_id: &str, content: &str, msg_id: Option<&str>) -> Result<(), HubError> {
        let v = st.visitors.get(user_id).ok_or_else(|| err(404, format!("unknown customer {user_id:?}")))?;
        match &v.state {
            VState::Assigned { kf_id: owner, .. } if owner == kf_id => {}
            _ => return Err(err(409, format!("customer {user_id:?} is not in a conversation with {kf_id:?}"))),
        }
        let (name, now) = (v.user_name.clone(), now_ms());
        let recipient = format!("v:{user_id}");
        let stored = self
            .store
            .add_and_deliver(user_id, &name, Some(kf_id), By::Agent, content, now, msg_id, Some(&recipient))
            .map_err(|e| err(500, e.to_string()))?;
        let Some((_, Some(seq))) = stored else { return Ok(()) };
        let kf_name = st.agent_name(kf_id);
        st.to_visitor_seq(user_id, p::visitor_message(kf_id, &kf_name, content, now, seq), Some(seq));
        Ok(())
    }


    fn accept(&self, st: &mut State, kf_id: &str, user_id: &str) -> Result<(), HubError> {
        let v = st.visitors.get_mut(user_id).ok_or_else(|| err(404, format!("unknown customer {user_id:?}")))?;
        if v.state != VState::Waiting {
            return Err(err(409, format!("customer {user_id:?} is no longer waiting")));
        }
        let now = now_ms();
        let (conversation, waiting_msgs) =
            self.store.start_conversation_and_deliver(user_id, &v.user_name, kf_id, now).map_err(|e| err(500, e.to_string()))?;
        let other_offer = v.offered_to.take().filter(|o| o != kf_id);
        v.state = VState::Assigned { kf_id: kf_id.to_owned(), conversation };
        let name = v.user_name.clone();
        st.queue.retain(|u| u != user_id);
        if let Some(o) = other_offer {
            st.withdraw(&o, user_id, "accepted by another agent");
        }
        if let Some(a) = st.agents.get_mut(kf_id) {
            a.conversations.insert(user_id.to_owned());
        }
        let kf_name = st.agent_name(kf_id);
        st.to_visitor(user_id, p::visitor_status("assigned", Some(kf_id), Some(&kf_name), &format!("客服 {kf_name} 为您服务")));
        for (_, content, t, seq) in waiting_msgs {
            st.to_agent(kf_id, p::status_message(user_id, &name, kf_id, &content, t), Some(seq));
        }
        tracing::info!(kf_id, user_id, "conversation assigned");
        Ok(())
    }

    fn accept_transfer(&self, st: &mut State, kf_id: &str, user_id: &str) -> Result<(), HubError> {
        let v = st.visitors.get_mut(user_id).ok_or_else(|| err(404, format!("unknown customer {user_id:?}")))?;
        let (from, conversation) = match (&v.transfer, &v.state) {
            (Some(t), VState::Assigned { kf_id: owner, conversation }) if t.to == kf_id && &t.from == owner => {
                (t.from.clone(), *conversation)
            }
            _ => return Err(err(409, format!("no transfer of {user_id:?} is pending for {kf_id:?}"))),
        };
        v.transfer = None;
        v.state = VState::Assigned { kf_id: kf_id.to_owned(), conversation };
        let _ = self.store.reassign_conversation(conversation, kf_id);
        if let Some(a) = st.agents.get_mut(&from) {
            a.conversations.remove(user_id);
        }
        if let Some(a) = st.agents.get_mut(kf_id) {
            a.conversations.insert(user_id.to_owned());
        }
        let kf_name = st.agent_name(kf_id);
        st.to_visitor(user_id, p::visitor_status("assigned", Some(kf_id), Some(&kf_name), &format!("已为您转接至客服 {kf_name}")));
        tracing::info!(from, to = kf_id, user_id, "transfer accepted");
        Ok(())
    }

    /// HTTP: agent `kf_id` asks to hand customer `user_id` to `to_kf_id`, who gets status 4.
    pub fn request_transfer(&self, kf_id: &str, user_id: &str, to_kf_id: &str) -> Result<(), HubError> {
        let mut st = self.st();
        let v = st.visitors.get(user_id).ok_or_else(|| err(404, format!("unknown customer {user_id:?}")))?;
        match &v.state {
            VState::Assigned { kf_id: owner, .. } if owner == kf_id => {}
            _ => return Err(err(409, format!("customer {user_id:?} is not in a conversation with {kf_id:?}"))),
        }
        if v.transfer.is_some() {
            return Err(err(409, "a transfer of this customer is already pending"));
        }
        if to_kf_id == kf_id {
            return Err(err(400, "cannot transfer to yourself"));
        }
        let target = st.agents.get(to_kf_id).filter(|a| a.conn.is_some()).ok_or_else(|| err(409, format!("目标客服 {to_kf_id} 不在线")))?;
        if target.conversations.len() >= self.max_conversations {
            return Err(err(409, format!("目标客服 {to_kf_id} 忙碌（{} 个会话）", target.conversations.len())));
        }
        let name = v.user_name.clone();
        let from_name = st.agent_name(kf_id);
        if let Some(v) = st.visitors.get_mut(user_id) {
            v.transfer = Some(Transfer { from: kf_id.to_owned(), to: to_kf_id.to_owned() });
        }
        st.to_agent(to_kf_id, p::status_transfer(user_id, &name, kf_id, &from_name), None);
        Ok(())
    }

    /// HTTP: ends the conversation of `user_id` with `kf_id`; the visitor is told.
    pub fn end_conversation(&self, kf_id: &str, user_id: &str) -> Result<(), HubError> {
        let mut st = self.st();
        let v = st.visitors.get_mut(user_id).ok_or_else(|| err(404, format!("unknown customer {user_id:?}")))?;
        let conversation = match &v.state {
            VState::Assigned { kf_id: owner, conversation } if owner == kf_id => *conversation,
            _ => return Err(err(409, format!("customer {user_id:?} is not in a conversation with {kf_id:?}"))),
        };
        v.state = VState::Ended;
        v.transfer = None;
        let _ = self.store.end_conversation(conversation, now_ms());
        if let Some(a) = st.agents.get_mut(kf_id) {
            a.conversations.remove(user_id);
        }
        st.to_visitor(user_id, p::visitor_status("ended", Some(kf_id), None, "会话已结束，感谢您的咨询。"));
        Ok(())
    }

    /// Agents online now.
    pub fn online_agents(&self) -> Vec<OnlineAgent> {
        let st = self.st();
        let mut v: Vec<OnlineAgent> = st
            .agents
            .iter()
            .filter(|(_, a)| a.conn.is_some())
            .map(|(id, a)| OnlineAgent { id: id.clone(), name: a.name.clone(), conversations: a.conversations.len() })
            .collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }

    // ----- visitors ------------------------------------------------------------------------

    /// A visitor's socket opened. New visitors are queued and offered; returning ones resume.
    /// With `last_seq` (the page's last numbered frame), agent messages after it are replayed
    /// from the store, so none lost in flight or across a server restart goes missing.
    pub fn visitor_connected(&self, user_id: &str, user_name: &str, tx: UnboundedSender<Out>, last_seq: Option<u64>) -> u64 {
        let mut st = self.st();
        st.next_conn += 1;
        let id = st.next_conn;
        let is_new = !st.visitors.contains_key(user_id);
        let v = st.visitors.entry(user_id.to_owned()).or_insert_with(|| VisitorSlot {
            user_name: user_name.to_owned(),
            conn: None,
            epoch: 0,
            state: VState::Waiting,
            offered_to: None,
            declined: HashSet::new(),
            held: Vec::new(),
            transfer: None,
            told_waiting: false,
        });
        if let Some(old) = v.conn.take() {
            let _ = old.tx.send(Out::Close(4409, "replaced by a newer connection".into()));
        }
        v.epoch += 1;
        let held = std::mem::take(&mut v.held);
        if let Some(from) = last_seq {
            match self.store.replay(&format!("v:{user_id}"), from, 100_000) {
                Ok(rows) => {
                    for d in rows {
                        let m = d.message;
                        let kf = m.kf_id.clone().unwrap_or_default();
                        let name = self.store.agent(&kf).ok().flatten().map(|a| a.name).unwrap_or_else(|| kf.clone());
                        let _ = tx.send(Out::Text(p::visitor_message(&kf, &name, &m.content, m.create_time, d.seq)));
                    }
                }
                Err(e) => tracing::error!(user_id, error = %e, "visitor replay failed"),
            }
        }
        for (seq, f) in held {
            if last_seq.is_none() || seq.is_none() {
                let _ = tx.send(Out::Text(f));
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
            VState::Waiting if is_new => {
                st.queue.push(user_id.to_owned());
                st.to_visitor(user_id, p::visitor_status("waiting", None, None, "正在为您接入客服，请稍候。"));
                st.offer(user_id);
            }
            VState::Waiting => st.to_visitor(user_id, p::visitor_status("waiting", None, None, "正在为您接入客服，请稍候。")),
            VState::Ended => {}
        }
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

    /// A waiting visitor who did not come back within the grace period leaves the queue.
    pub fn visitor_grace_expired(&self, user_id: &str, epoch: u64) {
        let mut st = self.st();
        let Some(v) = st.visitors.get(user_id) else { return };
        if v.epoch != epoch || v.conn.is_some() || v.state != VState::Waiting {
            return;
        }
        let offered = v.offered_to.clone();
        st.queue.retain(|u| u != user_id);
        if let Some(kf) = offered {
            st.withdraw(&kf, user_id, "customer left");
        }
        st.visitors.remove(user_id);
    }

    /// A visitor's message: stored (once per `msg_id`), then to the assigned agent or kept in the
    /// store for whoever accepts. Returns whether it was new.
    pub fn visitor_message(&self, user_id: &str, content: &str, msg_id: Option<&str>) -> Result<bool, HubError> {
        let mut st = self.st();
        let now = now_ms();
        let v = st.visitors.get(user_id).ok_or_else(|| err(404, "unknown customer"))?;
        let name = v.user_name.clone();
        let state = v.state.clone();
        let owner = match &state {
            VState::Assigned { kf_id, .. } => Some(kf_id.clone()),
            _ => None,
        };
        let recipient = owner.as_ref().map(|k| format!("kf:{k}"));
        let stored = self
            .store
            .add_and_deliver(user_id, &name, owner.as_deref(), By::Visitor, content, now, msg_id, recipient.as_deref())
            .map_err(|e| err(500, e.to_string()))?;
        let Some((_, seq)) = stored else { return Ok(false) };
        match state {
            VState::Assigned { kf_id, .. } => {
                st.to_agent(&kf_id, p::status_message(user_id, &name, &kf_id, content, now), seq);
            }
            VState::Waiting => {}
            VState::Ended => {
                // A new question after the end starts a new conversation.
                if let Some(v) = st.visitors.get_mut(user_id) {
                    v.state = VState::Waiting;
                    v.offered_to = None;
                    v.declined.clear();
                    v.told_waiting = false;
                }
                st.queue.push(user_id.to_owned());
                st.to_visitor(user_id, p::visitor_status("waiting", None, None, "正在为您接入客服，请稍候。"));
                st.offer(user_id);
            }
        }
        Ok(true)
    }

    /// Closes every socket with 1001 (server going away), for graceful shutdown.
    pub fn shutdown(&self) {
        let st = self.st();
        for c in st.agents.values().filter_map(|a| a.conn.as_ref()).chain(st.visitors.values().filter_map(|v| v.conn.as_ref())) {
            let _ = c.tx.send(Out::Close(1001, "server shutting down".into()));
        }
    }
}
