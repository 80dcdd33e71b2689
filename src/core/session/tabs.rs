//! The tab-sharing sub-machine (option `shareAcrossTabs`): one socket per agent across the tabs of
//! a browser. The shell joins a BroadcastChannel and asks for a Web Lock of the same name
//! ([`crate::core::tab_channel_name`]); the holder (the leader) owns the socket, every other tab
//! follows. This file makes every decision; the shell only carries [`TabMsg`]s and the lock.
//!
//! - **Leader**: its UI events go to its hooks and, as [`Output::Share`], to the other tabs with a
//!   [`Snapshot`]; a follower's action or message is done here and reported back (the
//!   [`Ledger`] maps message ids to local ids, so each tab hears of its own messages only).
//! - **Follower**: opens no socket; the getters answer from the leader's snapshot ([`Shown`]);
//!   actions are checked against it and handed over. A message is stored first (durable outbox)
//!   and handed to each new leader until one reports on it, so nothing is lost when a leader dies:
//!   the next one restores the outbox and resumes `seq` numbering where the old one stopped.

use crate::prelude::*;
use super::ledger::Ledger;
use super::Session;
use crate::core::action::Action;
use crate::core::error::SessionError;
use crate::core::frames_in::Customer;
use crate::core::input::{Millis, TabEvent, WakeReason};
use crate::core::json::JsonValue;
use crate::core::message::PersistedMessage;
use crate::core::output::{LogDetail, LogLevel, Output, UiEvent};
use crate::core::status::LinkState;
use crate::core::presence::Presence;
use crate::core::tab_msg::{Snapshot, TabMsg};

/// This tab's place among the agent's tabs.
#[derive(Debug, Default)]
pub(super) struct Tabs {
    /// This tab holds the lock and owns the socket.
    leading: bool,
    /// Following: the leader's last snapshot.
    mirror: Option<Snapshot>,
    /// Which message is whose.
    ledger: Ledger,
}

/// What the agent sees of the connection, the queue and presence: this session's own, or, in a
/// tab that follows another, the leader's (from its last snapshot).
#[derive(Debug, PartialEq, Eq)]
pub struct Shown<'a> {
    /// The connection state.
    pub state: LinkState,
    /// Customers waiting to be accepted, oldest first.
    pub waiting: &'a [Customer],
    /// Incoming transfers not yet answered.
    pub transfers: &'a [Customer],
    /// Messages held until the socket opens (a follower's not yet reported by a leader included).
    pub held: usize,
    /// The agent's presence as the server last said it.
    pub presence: Option<Presence>,
}

impl<V: JsonValue> Session<V> {
    /// True while this session shares a socket and another tab owns it.
    pub fn following(&self) -> bool {
        self.tabs.as_ref().is_some_and(|t| !t.leading)
    }

    pub(super) fn leading(&self) -> bool {
        self.tabs.as_ref().is_some_and(|t| t.leading)
    }

    /// What the getters show: see [`Shown`].
    pub fn shown(&self) -> Shown<'_> {
        match &self.tabs {
            Some(Tabs { leading: false, mirror, ledger }) => {
                let unreported = ledger.unreported().len();
                match mirror {
                    Some(m) => Shown {
                        state: m.state,
                        waiting: &m.waiting,
                        transfers: &m.transfers,
                        held: m.held + unreported,
                        presence: m.presence,
                    },
                    None => Shown { state: LinkState::Connecting, waiting: &[], transfers: &[], held: unreported, presence: None },
                }
            }
            _ => Shown {
                state: self.state(),
                waiting: self.waiting(),
                transfers: self.pending_transfers(),
                held: self.held_count(),
                presence: self.presence().map(|(p, _)| p),
            },
        }
    }

    /// This session's state as a leader tells the others.
    pub fn snapshot(&self) -> Snapshot {
        let (epoch, last_seq) = self.resume_point();
        Snapshot {
            leader: self.cfg.client_token.clone(),
            state: self.state(),
            waiting: self.waiting().to_vec(),
            transfers: self.pending_transfers().to_vec(),
            held: self.held_count(),
            epoch: epoch.map(String::from),
            last_seq,
            presence: self.presence().map(|(p, _)| p),
        }
    }

    pub(super) fn handle_tab_event(&mut self, now: Millis, event: TabEvent<V>) {
        match event {
            TabEvent::Join if self.tabs.is_none() => {
                self.tabs = Some(Tabs::default());
                self.post(TabMsg::Sync);
            }
            TabEvent::Join => {}
            TabEvent::Lead => self.lead(now),
            TabEvent::Leave => self.tabs = None,
            TabEvent::Message(m) if self.tabs.is_some() => self.on_tab_msg(now, m),
            TabEvent::Message(_) => {} // a late post after leaving: this session shares nothing now
        }
    }

    /// An agent action of a tab that shares its socket: handed to the leader, or done here and
    /// told to the other tabs.
    pub(super) fn act_shared(&mut self, now: Millis, action: Action) -> Result<Option<u64>, SessionError> {
        if self.following() {
            return self.ask_leader(action);
        }
        let told = (self.leading() && action.announced()).then(|| self.customer_name(&action));
        let r = self.do_action(now, action.clone());
        if let (Ok(_), Some(user_name)) = (&r, told) {
            let me = self.cfg.client_token.clone();
            self.announce(me, action, user_name);
        }
        r
    }

    /// A UI event of a leader: to its hooks and the other tabs, with message ids mapped.
    pub(super) fn route(&mut self, e: UiEvent<V>) {
        let Some(tabs) = self.tabs.as_mut() else { return self.routed.push_back(Output::Ui(e)) };
        let (ledger, routed) = (&mut tabs.ledger, &mut self.routed);
        match e {
            UiEvent::MessageStatus { local_id, status, reason } => {
                let Some((msg_id, foreign)) = ledger.relayed(local_id).map(|(m, f)| (m.to_owned(), f)) else {
                    return routed.push_back(Output::Ui(UiEvent::MessageStatus { local_id, status, reason }));
                };
                let own = ledger.own_local_id(&msg_id);
                ledger.settle(&msg_id);
                routed.push_back(Output::Post(TabMsg::Status { msg_id, status, reason: reason.clone() }));
                let local_id = match own {
                    Some(own) => own,
                    None if !foreign => local_id,
                    None => return,
                };
                routed.push_back(Output::Ui(UiEvent::MessageStatus { local_id, status, reason }));
            }
            UiEvent::Read { user_id, local_ids } => {
                let (theirs, mine): (Vec<u64>, Vec<u64>) = local_ids.into_iter().partition(|l| ledger.relayed(*l).is_some());
                if !theirs.is_empty() {
                    let msg_ids: Vec<String> = theirs.iter().filter_map(|l| ledger.relayed(*l)).map(|(m, _)| m.to_owned()).collect();
                    let own = ledger.own_local_ids(&msg_ids); // this tab's, handed over while it followed
                    routed.push_back(Output::Post(TabMsg::Read { user_id: user_id.clone(), msg_ids }));
                    if !own.is_empty() {
                        routed.push_back(Output::Ui(UiEvent::Read { user_id: user_id.clone(), local_ids: own }));
                    }
                }
                if !mine.is_empty() {
                    routed.push_back(Output::Ui(UiEvent::Read { user_id, local_ids: mine }));
                }
            }
            UiEvent::Restored { local_id, message } => {
                ledger.note_relayed(local_id, message.msg_id.clone(), false);
                if ledger.own_local_id(&message.msg_id).is_none() {
                    routed.push_back(Output::Ui(UiEvent::Restored { local_id, message })); // else shown here already
                }
            }
            e @ UiEvent::OtherTabAction { .. } => routed.push_back(Output::Ui(e)),
            UiEvent::Recalled { data, local_id } => {
                // A local id means something in one tab only: here, this tab's own message (one
                // it sent while leading, or handed over while it followed); the followers map the
                // payload's msgId to theirs (`on_tab_msg`).
                let local_id = local_id.and_then(|l| match ledger.relayed(l) {
                    Some((msg_id, _)) => ledger.own_local_id(msg_id),
                    None => Some(l),
                });
                let snapshot = self.snapshot();
                self.routed.push_back(Output::Share { event: UiEvent::Recalled { data, local_id }, snapshot: Box::new(snapshot) });
            }
            event => {
                let snapshot = self.snapshot();
                self.routed.push_back(Output::Share { event, snapshot: Box::new(snapshot) });
            }
        }
    }

    fn post(&mut self, m: TabMsg<V>) {
        self.out.push_back(Output::Post(m));
    }

    /// This tab got the lock: it owns the socket from now on.
    fn lead(&mut self, now: Millis) {
        let Some(tabs) = self.tabs.as_mut() else { return };
        tabs.leading = true;
        let mirror = tabs.mirror.take();
        let unreported = tabs.ledger.take_unreported();
        if let Some(m) = mirror {
            self.resume_from(m.epoch, m.last_seq);
        }
        for m in unreported {
            let msg_id = m.msg_id.clone();
            if let Ok(Some(local_id)) = self.relay_message(m) {
                self.ledger().note_relayed(local_id, msg_id, false);
            }
        }
        self.out.push_back(Output::LoadOutbox);
        self.connect(now);
        let snap = self.snapshot();
        self.post(TabMsg::Snapshot(snap));
    }

    /// The wire id of a message this tab handed to a leader, by its local id here.
    pub(super) fn handed_msg_id(&self, local_id: u64) -> Option<String> {
        self.tabs.as_ref().and_then(|t| t.ledger.msg_id_of(local_id))
    }

    /// The ledger of a session that shares its socket (every caller runs only while it does).
    fn ledger(&mut self) -> &mut Ledger {
        &mut self.tabs.as_mut().expect("called only while sharing").ledger
    }

    fn on_tab_msg(&mut self, now: Millis, m: TabMsg<V>) {
        let me = self.cfg.client_token.clone();
        match (self.leading(), m) {
            (true, TabMsg::Sync) => {
                let snap = self.snapshot();
                self.post(TabMsg::Snapshot(snap));
            }
            (true, TabMsg::Act { from, action }) => self.act_for(now, from, action),
            (true, TabMsg::Send { from, message }) => self.send_for(from, message),
            (true, TabMsg::Check) => self.handle_wake(now, WakeReason::Asked),
            (false, TabMsg::Hook { hook: "onRecall", payload, .. }) => {
                let by_agent = payload.field("by").and_then(|b| b.as_string()).as_deref() == Some("agent");
                let msg_id = payload.field("msgId").and_then(|m| m.as_string());
                let local_id = msg_id.filter(|_| by_agent).and_then(|m| self.ledger().own_local_id(&m));
                self.ui(UiEvent::Recalled { data: payload, local_id });
            }
            (false, TabMsg::Hook { hook, payload, snapshot }) => {
                // A new leader announces itself with a snapshot on its own; until then (or from a
                // dead leader's late post) only the event is taken, not the state.
                if self.tabs.as_ref().and_then(|t| t.mirror.as_ref()).is_none_or(|m| m.leader == snapshot.leader) {
                    self.follow(snapshot, false);
                }
                self.ui(UiEvent::Replayed { hook, payload });
            }
            (false, TabMsg::Snapshot(snap)) => self.follow(snap, true),
            (false, TabMsg::Read { user_id, msg_ids }) => {
                let local_ids = self.ledger().own_local_ids(&msg_ids);
                if !local_ids.is_empty() {
                    self.ui(UiEvent::Read { user_id, local_ids });
                }
            }
            (false, TabMsg::Status { msg_id, status, reason }) => {
                if let Some(local_id) = self.ledger().own_local_id(&msg_id) {
                    self.ledger().settle(&msg_id);
                    self.ui(UiEvent::MessageStatus { local_id, status, reason });
                }
            }
            (_, TabMsg::Did { from, action, user_name }) if from != me => self.ui(UiEvent::OtherTabAction { action, user_name }),
            (false, TabMsg::Refused { to, message }) if to == me => {
                self.log(LogLevel::Warn, "the tab that owns the socket refused:", LogDetail::Text(message));
            }
            _ => {}
        }
    }

    /// Follower: takes the leader's snapshot; a new leader gets this tab's unreported messages.
    /// With `announce` (a snapshot on its own: this tab just joined, or a new leader took over)
    /// the hooks hear what changed.
    fn follow(&mut self, snap: Snapshot, announce: bool) {
        let me = self.cfg.client_token.clone();
        let Some(tabs) = self.tabs.as_mut() else { return };
        let old = tabs.mirror.replace(snap.clone());
        if old.as_ref().map(|o| &o.leader) != Some(&snap.leader) {
            let again: Vec<PersistedMessage> = tabs.ledger.unreported().to_vec();
            for message in again {
                self.post(TabMsg::Send { from: me.clone(), message });
            }
        }
        if !announce {
            return;
        }
        if old.as_ref().map(|o| o.state) != Some(snap.state) {
            self.ui(UiEvent::StateChanged(snap.state));
        }
        self.ui(UiEvent::QueueChanged(snap.waiting));
        let known = old.map(|o| o.transfers).unwrap_or_default();
        for t in snap.transfers.into_iter().filter(|t| !known.contains(t)) {
            self.ui(UiEvent::TransferPending(t));
        }
    }

    /// Follower: an action checked against the leader's snapshot and handed to it.
    fn ask_leader(&mut self, action: Action) -> Result<Option<u64>, SessionError> {
        if let Action::Send { user_id, user_name, content } = action {
            return self.hand_over(PersistedMessage { msg_id: String::new(), user_id, user_name, content }).map(Some);
        }
        let shown = self.shown();
        let check = match &action {
            Action::AcceptCustomer(id) | Action::DeclineCustomer(id) => Some((shown.waiting, SessionError::UnknownCustomer(id.key()), id)),
            Action::AcceptTransfer(id) | Action::RejectTransfer(id) => Some((shown.transfers, SessionError::UnknownTransfer(id.key()), id)),
            _ => None, // checked by the leader, which reports a refusal back

        };
        if let Some((listed, unknown, id)) = check {
            if !listed.iter().any(|c| &c.id == id) {
                return Err(unknown);
            }
            if shown.state != LinkState::Open {
                return Err(SessionError::NotConnected);
            }
        }
        let from = self.cfg.client_token.clone();
        self.post(TabMsg::Act { from, action });
        Ok(None)
    }

    /// Follower: a chat message, stored (durable outbox) and handed to the leader under a message
    /// id of this tab; returns its local id here.
    fn hand_over(&mut self, mut m: PersistedMessage) -> Result<u64, SessionError> {
        if m.user_id.is_blank() {
            return Err(SessionError::InvalidArgument("userId must not be empty".into()));
        }
        let (local_id, msg_id) = self.new_message_id();
        m.msg_id = msg_id;
        if self.cfg.durable_outbox {
            self.out.push_back(Output::Persist { local_id, message: m.clone() });
        }
        self.ledger().hand_over(local_id, m.clone());
        let from = self.cfg.client_token.clone();
        self.post(TabMsg::Send { from, message: m });
        Ok(local_id)
    }

    /// Leader: the customer's name, for telling the tabs about an answer.
    fn customer_name(&self, action: &Action) -> Option<String> {
        if let Action::Send { user_name, .. } = action {
            return Some(user_name.clone());
        }
        let id = action.id();
        self.waiting().iter().chain(self.pending_transfers()).find(|c| c.id == id).map(|c| c.user_name.clone())
    }

    /// Leader: tells the tabs (and this one's hooks, when another tab did it) about an action.
    fn announce(&mut self, from: String, action: Action, user_name: Option<String>) {
        if from != self.cfg.client_token {
            self.ui(UiEvent::OtherTabAction { action: action.clone(), user_name: user_name.clone() });
        }
        self.post(TabMsg::Did { from, action, user_name });
    }

    /// Leader: a follower's action; refused ones are reported to it.
    fn act_for(&mut self, now: Millis, from: String, action: Action) {
        let told = action.announced().then(|| self.customer_name(&action));
        match self.do_action(now, action.clone()) {
            Ok(_) => {
                if let Some(user_name) = told {
                    self.announce(from, action, user_name);
                }
            }
            Err(e) => self.post(TabMsg::Refused { to: from, message: e.message() }),
        }
    }

    /// Leader: a follower's message, sent here under its own id.
    fn send_for(&mut self, from: String, m: PersistedMessage) {
        let msg_id = m.msg_id.clone();
        let action = Action::Send { user_id: m.user_id.clone(), user_name: m.user_name.clone(), content: m.content.clone() };
        if let Ok(Some(local_id)) = self.relay_message(m) {
            self.ledger().note_relayed(local_id, msg_id, true);
            self.announce(from, action, None);
        }
    }
}
