//! Presence and capacity: an agent is `online` (offered customers), `busy` (keeps its
//! conversations, offered none) or `away`; each has a conversation cap (the server default or its
//! own). Both are saved in the store, so they survive reconnects and restarts. Going busy or away
//! withdraws the agent's open offers and offers those customers to someone else; coming online or
//! a higher cap offers the queue at once. The waiting list (with wait times) is here too.

use super::state::{State, VState};
use crate::protocol::codes;
use super::{err, now_ms, Hub, HubError};
use crate::protocol as p;
use crate::store::ticket::Ticket;
use crate::store::Write;
use serde::Serialize;

/// Whether an agent takes new customers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Presence {
    /// Offered new customers (up to the cap).
    #[default]
    Online,
    /// Keeps its conversations, offered no new customers or transfers.
    Busy,
    /// Away from the desk: offered nothing.
    Away,
}

impl Presence {
    /// `online`, `busy` or `away`.
    pub fn parse(s: &str) -> Option<Presence> {
        match s {
            "online" => Some(Presence::Online),
            "busy" => Some(Presence::Busy),
            "away" => Some(Presence::Away),
            _ => None,
        }
    }

    /// The name on the wire and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Presence::Online => "online",
            Presence::Busy => "busy",
            Presence::Away => "away",
        }
    }
}

/// A customer in the queue, for the ops view.
#[derive(Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct WaitingCustomer {
    /// The customer's id.
    pub user_id: String,
    /// Name.
    pub user_name: String,
    /// Place in the queue (1 = next).
    pub position: usize,
    /// How long they have waited, in seconds.
    pub waiting_seconds: i64,
    /// The agent their offer is open with, if any.
    pub offered_to: Option<String>,
    /// Whether their page is connected now.
    pub connected: bool,
}

impl State {
    /// The conversation cap of agent `kf_id`: its own, else the server default.
    pub(super) fn cap_of(&self, kf_id: &str) -> usize {
        self.agents.get(kf_id).and_then(|a| a.max_conversations).unwrap_or(self.max_conversations)
    }

    /// Tells agent `kf_id` its presence and cap (status 102), if it speaks `presence`.
    pub(super) fn tell_presence(&mut self, kf_id: &str) {
        let cap = self.cap_of(kf_id);
        let Some(a) = self.agents.get(kf_id) else { return };
        if a.features.contains(codes::PRESENCE) {
            let frame = p::status_presence(a.presence.as_str(), cap);
            self.to_agent(kf_id, frame, None);
        }
    }

    /// Withdraws every open offer to `kf_id` and offers those customers to someone else.
    fn withdraw_offers_of(&mut self, kf_id: &str, reason: &str) {
        let offered: Vec<String> =
            self.queue.iter().filter(|u| self.visitors.get(*u).is_some_and(|v| v.offered_to.as_deref() == Some(kf_id))).cloned().collect();
        for u in &offered {
            if let Some(v) = self.visitors.get_mut(u) {
                v.offered_to = None;
            }
            self.withdraw(kf_id, u, reason);
        }
        self.offer_each(offered); // to someone online: this agent no longer is
    }
}

impl Hub {
    /// Agent `kf_id`'s saved presence and cap, if it has saved them.
    pub(super) fn saved_presence(&self, kf_id: &str) -> Option<(String, Option<i64>)> {
        self.store.presence(kf_id).ok().flatten()
    }

    /// Puts agent `kf_id`'s `saved` presence and cap (or the defaults) into its slot (on connect).
    pub(super) fn load_presence(st: &mut State, kf_id: &str, saved: Option<(String, Option<i64>)>) {
        if let Some(a) = st.agents.get_mut(kf_id) {
            let (presence, max) = saved.unwrap_or(("online".into(), None));
            a.presence = Presence::parse(&presence).unwrap_or_default();
            a.max_conversations = max.and_then(|m| usize::try_from(m).ok());
        }
    }

    /// Sets agent `kf_id`'s presence (from its socket or over HTTP), saves it, tells the agent, and
    /// moves the queue: offers withdrawn when it stops taking customers, offered when it starts.
    /// Answers once it is saved.
    pub fn set_presence(&self, kf_id: &str, presence: Presence) -> Result<(), HubError> {
        let commit = {
            let mut st = self.st();
            if st.agents.contains_key(kf_id) { Some(self.apply_presence(&mut st, kf_id, presence)?) } else { None }
        };
        match commit {
            Some(commit) => self.written(commit),
            // Not connected since the start: saved now (off the lock), applied when it connects.
            None if self.store.set_presence(kf_id, presence.as_str()).map_err(|e| self.store_failed(e))? => Ok(()),
            None => Err(err(404, format!("unknown agent {kf_id:?}"))),
        }
    }

    /// Agent `kf_id` (one routing holds) takes `presence`; saved without a round trip under the
    /// lock on PostgreSQL (routing's writer, `store/write.rs`): the commit, if still to come.
    pub(super) fn apply_presence(&self, st: &mut State, kf_id: &str, presence: Presence) -> Result<Option<Ticket>, HubError> {
        let saved = Write::Presence { kf_id: kf_id.to_owned(), presence: presence.as_str().to_owned() };
        let commit = self.store.write(saved, false, None).map_err(|e| self.store_failed(e))?;
        let Some(a) = st.agents.get_mut(kf_id) else { return Ok(commit) };
        let before = std::mem::replace(&mut a.presence, presence);
        tracing::info!(kf_id, presence = presence.as_str(), "presence");
        st.tell_presence(kf_id);
        match presence {
            Presence::Online if before != Presence::Online => st.offer_waiting(),
            Presence::Busy | Presence::Away => st.withdraw_offers_of(kf_id, if presence == Presence::Busy { "agent busy" } else { "agent away" }),
            Presence::Online => {}
        }
        st.tell_positions();
        Ok(commit)
    }

    /// Sets agent `kf_id`'s own conversation cap (`None`: the server default); a supervisor's call.
    pub fn set_capacity(&self, kf_id: &str, max: Option<usize>) -> Result<(), HubError> {
        if max.is_some_and(|m| m > 1000) {
            return Err(err(400, "maxConversations must be from 0 to 1000"));
        }
        if !self.store.set_max_conversations(kf_id, max.map(|m| m as i64)).map_err(|e| self.store_failed(e))? {
            return Err(err(404, format!("unknown agent {kf_id:?}")));
        }
        let mut st = self.st();
        if let Some(a) = st.agents.get_mut(kf_id) {
            a.max_conversations = max;
        }
        st.tell_presence(kf_id);
        st.offer_waiting();
        Ok(())
    }

    /// Customers waiting, oldest first, with how long each has waited.
    pub fn waiting_list(&self) -> Vec<WaitingCustomer> {
        let st = self.st();
        let now = now_ms();
        st.queue
            .iter()
            .enumerate()
            .filter_map(|(i, u)| {
                let v = st.visitors.get(u).filter(|v| v.state == VState::Waiting)?;
                Some(WaitingCustomer {
                    user_id: u.clone(),
                    user_name: v.user_name.clone(),
                    position: i + 1,
                    waiting_seconds: (now - v.waiting_since).max(0) / 1000,
                    offered_to: v.offered_to.clone(),
                    connected: v.conn.is_some(),
                })
            })
            .collect()
    }
}
