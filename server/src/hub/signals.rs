//! The workbench signals between an agent and the customer it serves: typing both ways (with
//! `--sneak-peek`, the customer's unsent text), read receipts both ways, and what the visitor page
//! reports about itself (for the agent's context panel). None is stored or numbered; each goes only
//! to the other side of an assigned conversation, and to an agent only if it negotiated the
//! extension (`typing`, `read`, `peek`), so a legacy agent never sees one.

use super::state::{State, VState};
use crate::protocol::codes;
use super::{err, Hub, HubError};
use crate::protocol::{self as p, PageContext};

/// Read-receipt bookkeeping kept per customer (each list bounded).
const RECEIPTS_KEPT: usize = 512;

/// What the agent's context panel shows about a customer.
#[derive(serde::Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct VisitorContext {
    /// The customer's id.
    pub user_id: String,
    /// Name.
    pub user_name: String,
    /// Whether their page is connected now.
    pub connected: bool,
    /// What their page reported (untrusted text).
    pub page: PageContext,
    /// The browser's `User-Agent` header.
    pub user_agent: Option<String>,
    /// Their department's id and name, when they have one.
    pub department: Option<(String, String)>,
}

impl State {
    /// The agent serving `user_id`, if any.
    pub(super) fn agent_of(&self, user_id: &str) -> Option<String> {
        match &self.visitors.get(user_id)?.state {
            VState::Assigned { kf_id, .. } => Some(kf_id.clone()),
            _ => None,
        }
    }

    /// Whether agent `kf_id` uses extension `feature` on its socket.
    pub(super) fn speaks(&self, kf_id: &str, feature: &str) -> bool {
        self.agents.get(kf_id).is_some_and(|a| a.features.contains(feature))
    }

    /// An agent message numbered `seq` for the visitor went out: remembered until they read it.
    pub(super) fn note_unread_by_visitor(&mut self, user_id: &str, seq: u64, msg_id: &str) {
        if let Some(v) = self.visitors.get_mut(user_id) {
            v.unread_by_visitor.push_back((seq, msg_id.to_owned()));
            if v.unread_by_visitor.len() > RECEIPTS_KEPT {
                v.unread_by_visitor.pop_front();
            }
        }
    }

    /// A visitor message with id `msg_id` arrived: remembered until their agent has seen it.
    pub(super) fn note_unseen_by_agent(&mut self, user_id: &str, msg_id: &str) {
        if let Some(v) = self.visitors.get_mut(user_id) {
            v.unseen_by_agent.push_back(msg_id.to_owned());
            if v.unseen_by_agent.len() > RECEIPTS_KEPT {
                v.unseen_by_agent.pop_front();
            }
        }
    }
}

impl Hub {
    /// Agent `kf_id` typing to its customer `user_id` (or stopped).
    pub(super) fn agent_typing(&self, st: &mut State, kf_id: &str, user_id: &str, typing: bool) -> Result<(), HubError> {
        if st.agent_of(user_id).as_deref() != Some(kf_id) {
            return Err(err(409, format!("customer {user_id:?} is not in a conversation with {kf_id:?}")));
        }
        if st.visitors.get(user_id).is_some_and(|v| v.conn.is_some()) {
            st.to_visitor(user_id, p::visitor_typing(typing)); // not held: stale when they return
        }
        Ok(())
    }

    /// Agent `kf_id` has seen every message of its customer `user_id` so far: the page is told which.
    pub(super) fn agent_seen(&self, st: &mut State, kf_id: &str, user_id: &str) -> Result<(), HubError> {
        if st.agent_of(user_id).as_deref() != Some(kf_id) {
            return Err(err(409, format!("customer {user_id:?} is not in a conversation with {kf_id:?}")));
        }
        let ids: Vec<String> = st.visitors.get_mut(user_id).map(|v| v.unseen_by_agent.drain(..).collect()).unwrap_or_default();
        if !ids.is_empty() {
            st.to_visitor(user_id, p::visitor_read(&ids));
        }
        Ok(())
    }

    /// Customer `user_id` typing (or stopped); `text` (their unsent input) reaches an agent only
    /// with `--sneak-peek` and the `peek` extension.
    pub fn visitor_typing(&self, user_id: &str, typing: bool, text: Option<&str>) {
        let st = self.st();
        let Some(kf) = st.agent_of(user_id) else { return };
        if !st.speaks(&kf, codes::TYPING) || !st.agents.get(&kf).is_some_and(|a| a.conn.is_some() && a.ready) {
            return; // a signal is worth nothing late: never held
        }
        let text = text.filter(|_| self.sneak_peek && st.speaks(&kf, p::PEEK));
        let frame = p::status_typing(user_id, typing, text);
        if let Some(c) = st.agents.get(&kf).and_then(|a| a.conn.as_ref()) {
            let _ = c.tx.send(super::Out::Text(frame));
        }
    }

    /// Customer `user_id`'s page has shown every agent message up to its number `seq`.
    pub fn visitor_read(&self, user_id: &str, seq: u64) {
        let mut st = self.st();
        let Some(v) = st.visitors.get_mut(user_id) else { return };
        let mut ids = Vec::new();
        while v.unread_by_visitor.front().is_some_and(|(s, _)| *s <= seq) {
            ids.extend(v.unread_by_visitor.pop_front().map(|(_, id)| id));
        }
        let Some(kf) = st.agent_of(user_id) else { return };
        if !ids.is_empty() && st.speaks(&kf, codes::READ) {
            st.to_agent(&kf, p::status_read(user_id, &ids), None);
        }
    }

    /// What customer `user_id`'s page reported about itself; the `User-Agent` comes from its socket.
    pub fn visitor_context(&self, user_id: &str, page: Option<PageContext>, user_agent: Option<String>) {
        let mut st = self.st();
        if let Some(url) = page.as_ref().and_then(|p| p.url.clone()) {
            st.department_by_url(user_id, &url);
        }
        if let Some(v) = st.visitors.get_mut(user_id) {
            if page.is_some() {
                v.page = page;
            }
            if user_agent.is_some() {
                v.user_agent = user_agent;
            }
        }
    }

    /// The context panel's live part for customer `user_id`, if routing knows them.
    pub fn context_of(&self, user_id: &str) -> Option<VisitorContext> {
        let st = self.st();
        let v = st.visitors.get(user_id)?;
        Some(VisitorContext {
            user_id: user_id.to_owned(),
            user_name: v.user_name.clone(),
            connected: v.conn.is_some(),
            page: v.page.clone().unwrap_or_default(),
            user_agent: v.user_agent.clone(),
            department: v.department.as_ref().map(|d| (d.clone(), st.departments.name(d))),
        })
    }
}
