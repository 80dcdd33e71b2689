//! Routing: offering waiting visitors to agents (least busy first, declines remembered),
//! accepting, transfers between agents, and ending conversations.

use super::lifecycle::TRANSFERRED;
use super::state::{State, Transfer, VState};
use crate::protocol::codes;
use super::{err, now_ms, Hub, HubError, Presence};
use crate::protocol as p;
use crate::store::Write;

/// Open offers per agent ([`State::open_offers`]).
pub(super) type OpenOffers = std::collections::HashMap<String, usize>;

impl State {
    /// Offers a waiting visitor who is connected to the least busy online agent (socket ready,
    /// presence `online`) under its conversation cap who has not declined them.
    pub(super) fn offer(&mut self, user_id: &str) {
        let mut open = self.open_offers();
        self.offer_counted(user_id, &mut open);
    }

    /// Open offers per agent (waiting customers offered to it), counted in one pass: a sweep
    /// over the queue counts them once and keeps them as it offers (counted per customer, a
    /// queue rush at shift start went quadratic).
    pub(super) fn open_offers(&self) -> OpenOffers {
        let mut open = OpenOffers::new();
        for w in self.visitors.values().filter(|w| w.state == VState::Waiting) {
            if let Some(kf) = &w.offered_to {
                *open.entry(kf.clone()).or_default() += 1;
            }
        }
        open
    }

    /// [`State::offer`] with the open offers counted already; keeps `open` up to date.
    pub(super) fn offer_counted(&mut self, user_id: &str, open: &mut OpenOffers) {
        let Some(v) = self.visitors.get(user_id) else { return };
        if v.state != VState::Waiting {
            return;
        }
        if let Some(kf) = &v.offered_to {
            if self.agents.get(kf).is_some_and(|a| a.conn.is_some()) {
                return; // still offered to someone online
            }
        }
        if v.conn.is_none() {
            return; // gone (for now): offered again if they come back within the grace period
        }
        if !v.spoke && !self.offer_silent {
            return; // queued with their first message
        }
        // Load = conversations + offers still open, so a burst of visitors spreads out.
        let offers = |kf: &str| open.get(kf).copied().unwrap_or(0);
        let mut candidates: Vec<(&String, usize)> = self
            .agents
            .iter()
            .filter(|(id, a)| a.conn.is_some() && a.ready && a.presence == Presence::Online && !v.declined.contains(*id))
            .filter(|(id, _)| !v.timed_out.contains(*id) && self.departments.serves(v.department.as_deref(), id))
            .map(|(id, _)| (id, self.active_load(id) + offers(id)))
            .filter(|(id, load)| *load < self.cap_of(id))
            .collect();
        // The agent they spoke to last first, then the least busy.
        let last = v.last_agent.as_ref();
        candidates.sort_by_key(|(id, load)| (Some(*id) != last, *load, *id));
        let pick = candidates.first().map(|(id, _)| (*id).clone());
        let now = self.now();
        if pick.is_none() && !v.timed_out.is_empty() {
            // Everyone left was tried and let the offer lapse: start another round.
            if let Some(v) = self.visitors.get_mut(user_id) {
                v.timed_out.clear();
            }
            return self.offer_counted(user_id, open);
        }
        let name = v.user_name.clone();
        let told = v.told_waiting;
        match pick {
            Some(kf) => {
                if let Some(v) = self.visitors.get_mut(user_id) {
                    if let Some(n) = v.offered_to.replace(kf.clone()).and_then(|was| open.get_mut(&was)) {
                        *n = n.saturating_sub(1);
                    }
                    v.offered_at = now;
                }
                *open.entry(kf.clone()).or_default() += 1;
                self.offers.inc();
                let frame = self.offer_frame(&kf, user_id, &name);
                self.to_agent(&kf, frame, None);
            }
            None => {
                if let Some(v) = self.visitors.get_mut(user_id) {
                    if let Some(n) = v.offered_to.take().and_then(|was| open.get_mut(&was)) {
                        *n = n.saturating_sub(1);
                    }
                    v.told_waiting = true;
                }
                if !told {
                    let position = self.place(user_id);
                    let department = self.visitors.get(user_id).and_then(|v| v.department.clone());
                    let frame = p::visitor_busy(position, self.eta_seconds(position, department.as_deref()));
                    if let Some(v) = self.visitors.get_mut(user_id) {
                        v.told_position = Some(position);
                    }
                    self.to_visitor(user_id, frame);
                }
            }
        }
    }

    /// Status 2 for agent `kf_id`; with the `queue` extension it says how long they have waited.
    pub(super) fn offer_frame(&self, kf_id: &str, user_id: &str, name: &str) -> serde_json::Value {
        let mut frame = p::status_waiting(user_id, name);
        let queue = self.agents.get(kf_id).is_some_and(|a| a.features.contains(codes::QUEUE));
        if let (true, Some(v)) = (queue, self.visitors.get(user_id)) {
            frame["data"]["waitedMs"] = (now_ms() - v.waiting_since).max(0).into();
            if self.rules.offer_timeout_ms > 0 && v.offered_to.as_deref() == Some(kf_id) {
                // The countdown: how long this offer stays open.
                frame["data"]["offerExpiresInMs"] = (v.offered_at + self.rules.offer_timeout_ms - self.now()).max(0).into();
            }
            if let Some(d) = &v.department {
                frame["data"]["department"] = serde_json::json!({"id": d, "name": self.departments.name(d)});
            }
        }
        frame
    }

    /// Offers every waiting customer who has no open offer, oldest first (an agent freed up).
    pub(super) fn offer_waiting(&mut self) {
        self.offer_each(self.queue.clone());
    }

    /// [`State::offer`] for each of `users`, with the open offers counted once for them all.
    pub(super) fn offer_each(&mut self, users: Vec<String>) {
        let mut open = self.open_offers();
        for u in users {
            self.offer_counted(&u, &mut open);
        }
    }

    pub(super) fn withdraw(&mut self, kf_id: &str, user_id: &str, reason: &str) {
        let name = self.visitors.get(user_id).map(|v| v.user_name.clone()).unwrap_or_default();
        if self.agents.get(kf_id).is_some_and(|a| a.features.contains(codes::WITHDRAW)) {
            self.to_agent(kf_id, p::status_withdrawn(user_id, &name, reason), None);
        }
    }
}

impl Hub {
    pub(super) fn accept_transfer(&self, st: &mut State, kf_id: &str, user_id: &str) -> Result<(), HubError> {
        let v = st.visitors.get_mut(user_id).ok_or_else(|| err(404, format!("unknown customer {user_id:?}")))?;
        let (from, conversation) = match (&v.transfer, &v.state) {
            (Some(t), VState::Assigned { kf_id: owner, conversation }) if t.to == kf_id && &t.from == owner => {
                (t.from.clone(), *conversation)
            }
            _ => return Err(err(409, format!("no transfer of {user_id:?} is pending for {kf_id:?}"))),
        };
        let moved_to = v.transfer.take().and_then(|t| t.department);
        if let Some(d) = &moved_to {
            v.department = Some(d.clone());
        }
        v.state = VState::Assigned { kf_id: kf_id.to_owned(), conversation };
        let commit = self.write_later(st, user_id, Write::Reassign { conversation, kf_id: kf_id.to_owned(), department: moved_to });
        if let Some(a) = st.agents.get_mut(&from) {
            a.conversations.remove(user_id);
        }
        if let Some(a) = st.agents.get_mut(kf_id) {
            a.conversations.insert(user_id.to_owned());
        }
        let kf_name = st.agent_name(kf_id);
        st.to_visitor_seq(user_id, p::visitor_status("assigned", Some(kf_id), Some(&kf_name), &format!("已为您转接至客服 {kf_name}")), None, commit.as_ref());
        self.webhooks.emit("conversation.transferred", || serde_json::json!({"userId": user_id, "fromKfId": from, "toKfId": kf_id, "conversationId": conversation}));
        tracing::info!(from, to = kf_id, user_id, "transfer accepted");
        st.offer_waiting(); // the first agent has room again
        Ok(())
    }

    /// HTTP: agent `kf_id` asks to hand customer `user_id` to `to_kf_id`, who gets status 4.
    pub fn request_transfer(&self, kf_id: &str, user_id: &str, to_kf_id: &str) -> Result<(), HubError> {
        let mut st = self.st();
        self.transfer_to(&mut st, kf_id, user_id, to_kf_id, None)
    }

    /// HTTP: agent `kf_id` hands customer `user_id` to department `department`: its least busy
    /// agent who takes customers now (not `kf_id`) gets status 4; accepted, the customer is that
    /// department's. Returns the agent asked — or `None` when another partition of the cluster
    /// routes the department: the conversation then ends here and the customer joins that
    /// department's queue at once ([`Hub::transfer_across`]).
    pub fn request_transfer_to_department(&self, kf_id: &str, user_id: &str, department: &str) -> Result<Option<String>, HubError> {
        let mut st = self.st();
        if !st.departments.known(department) {
            return Err(err(404, format!("unknown department {department:?}")));
        }
        if st.routed_elsewhere(Some(department)) {
            return self.transfer_across(st, kf_id, user_id, department).map(|()| None);
        }
        let mut free: Vec<(usize, String)> = st
            .agents
            .iter()
            .filter(|(id, a)| *id != kf_id && a.conn.is_some() && a.presence == Presence::Online && st.departments.serves(Some(department), id))
            .map(|(id, _)| (st.active_load(id), id.clone()))
            .filter(|(load, id)| *load < st.cap_of(id))
            .collect();
        free.sort();
        let Some((_, to)) = free.into_iter().next() else {
            return Err(err(409, format!("{} 暂无可接待的客服", st.departments.name(department))));
        };
        self.transfer_to(&mut st, kf_id, user_id, &to, Some(department.to_owned()))?;
        Ok(Some(to))
    }

    /// Customer `user_id`, in a conversation with `kf_id`, to `department`, which another
    /// partition routes: the conversation ends here (outcome `transferred`, no rating asked), the
    /// agent's console hears why, and the customer's page is told the department and handed
    /// over (1012); reconnecting there, they are queued at once (`visitors.rs`), and the agent who
    /// takes them reads the conversation in the history.
    fn transfer_across(&self, mut st: crate::sync::Routing<'_, State>, kf_id: &str, user_id: &str, department: &str) -> Result<(), HubError> {
        transferable(&st, kf_id, user_id)?;
        let name = st.departments.name(department);
        let commit = self.finish(&mut st, user_id, TRANSFERRED, &format!("正在为您转接到{name}，请稍候"), &[], None);
        st.tell_lifecycle_after(kf_id, user_id, "closed", serde_json::json!({"reason": TRANSFERRED, "department": department, "departmentName": name}), commit.as_ref());
        st.to_visitor(user_id, crate::protocol::visitor_department(department, &name));
        if let Some(v) = st.visitors.get_mut(user_id) {
            v.department = Some(department.to_owned());
        }
        st.hand_over(user_id);
        tracing::info!(kf_id, user_id, department, "conversation handed to another partition's department");
        drop(st);
        self.written(commit)
    }

    fn transfer_to(&self, st: &mut State, kf_id: &str, user_id: &str, to_kf_id: &str, department: Option<String>) -> Result<(), HubError> {
        let v = transferable(st, kf_id, user_id)?;
        if to_kf_id == kf_id {
            return Err(err(400, "cannot transfer to yourself"));
        }
        let target = st.agents.get(to_kf_id).filter(|a| a.conn.is_some()).ok_or_else(|| err(409, format!("目标客服 {to_kf_id} 不在线")))?;
        match target.presence {
            Presence::Online => {}
            Presence::Busy => return Err(err(409, format!("目标客服 {to_kf_id} 忙碌，暂不接受转接"))),
            Presence::Away => return Err(err(409, format!("目标客服 {to_kf_id} 暂时离开"))),
        }
        if st.active_load(to_kf_id) >= st.cap_of(to_kf_id) {
            return Err(err(409, format!("目标客服 {to_kf_id} 忙碌（{} 个会话）", target.conversations.len())));
        }
        let name = v.user_name.clone();
        let from_name = st.agent_name(kf_id);
        if let Some(v) = st.visitors.get_mut(user_id) {
            v.transfer = Some(Transfer { from: kf_id.to_owned(), to: to_kf_id.to_owned(), department });
        }
        st.to_agent(to_kf_id, p::status_transfer(user_id, &name, kf_id, &from_name), None);
        Ok(())
    }

    /// HTTP: ends the conversation of `user_id` with `kf_id` (no close-out); the visitor is told.
    pub fn end_conversation(&self, kf_id: &str, user_id: &str) -> Result<(), HubError> {
        self.end_conversation_with(kf_id, user_id, &[], None)
    }
}

/// Customer `user_id`, when they are in a conversation with `kf_id` and no transfer of them is
/// pending (404 unknown, 409 otherwise).
fn transferable<'a>(st: &'a State, kf_id: &str, user_id: &str) -> Result<&'a super::state::VisitorSlot, HubError> {
    let v = st.visitors.get(user_id).ok_or_else(|| err(404, format!("unknown customer {user_id:?}")))?;
    match &v.state {
        VState::Assigned { kf_id: owner, .. } if owner == kf_id => {}
        _ => return Err(err(409, format!("customer {user_id:?} is not in a conversation with {kf_id:?}"))),
    }
    if v.transfer.is_some() {
        return Err(err(409, "a transfer of this customer is already pending"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::super::state::{AgentSlot, Conn, VisitorSlot};
    use super::*;

    /// A desk of `agents` ready agents (cap 3) and `waiting` customers who spoke, each with a page.
    fn desk(agents: usize, waiting: usize) -> (State, Vec<tokio::sync::mpsc::UnboundedReceiver<super::super::Out>>) {
        let mut st = State { max_conversations: 3, ..State::default() };
        let mut consoles = Vec::new();
        for i in 0..agents {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            let mut a = AgentSlot::new(format!("A{i}"));
            (a.conn, a.ready) = (Some(Conn { id: i as u64, tx }), true);
            st.agents.insert(format!("a{i}"), a);
            consoles.push(rx);
        }
        for i in 0..waiting {
            let (tx, _) = tokio::sync::mpsc::unbounded_channel();
            let mut v = VisitorSlot::new(format!("V{i}"), 0, VState::Waiting);
            (v.conn, v.spoke) = (Some(Conn { id: 100 + i as u64, tx }), true);
            st.visitors.insert(format!("v{i}"), v);
            st.queue.push(format!("v{i}"));
        }
        (st, consoles)
    }

    #[test]
    fn a_sweep_offers_each_agent_up_to_its_cap_and_keeps_the_open_offers_counted() {
        let (mut st, mut consoles) = desk(3, 20);
        st.offer_waiting();
        // Each agent is offered up to its cap, oldest customers first; the rest wait.
        let offered: Vec<usize> = consoles.iter_mut().map(|c| std::iter::from_fn(|| c.try_recv().ok()).count()).collect();
        assert_eq!(offered, [3, 3, 3]);
        let to: Vec<Option<&str>> = (0..20).map(|i| st.visitors[&format!("v{i}")].offered_to.as_deref()).collect();
        assert!(to[..9].iter().all(Option::is_some) && to[9..].iter().all(Option::is_none), "{to:?}");
        // The count kept through the sweep is the count made afresh.
        let (mut kept, fresh) = (st.open_offers(), st.open_offers());
        assert_eq!(kept, fresh);
        // An agent leaves: its offers move to the others' room only when there is some.
        st.agents.get_mut("a0").unwrap().conn = None;
        for i in 0..20 {
            st.offer_counted(&format!("v{i}"), &mut kept);
        }
        kept.retain(|_, n| *n > 0);
        assert_eq!(kept, st.open_offers(), "the others are full: a0's three customers wait");
        assert_eq!(kept.values().sum::<usize>(), 6);
    }
}
