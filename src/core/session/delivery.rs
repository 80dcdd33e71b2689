//! The delivery sub-machine: chat messages held while offline, written and awaiting an ack
//! (extension `ack`), and the sequence numbers of frames received (extension `seq`). With a durable
//! outbox, every message accepted and not yet confirmed (acked, or written to a legacy server) is
//! kept in storage by the shell (`Persist` / `Forget`) and restored by the next page load.
//! Words: *held* is this session's in-memory queue until a socket can take a message; the
//! *outbox* is only ever the durable store (IndexedDB) the shell keeps.

use crate::prelude::*;
use super::super::config::OfflineSend;
use crate::core::protocol::Extension;
use super::super::error::SessionError;
use super::super::frames_out::AgentFrame;
use super::super::input::{ConnId, Millis};
use super::super::json::JsonValue;
use super::super::message::PersistedMessage;
use super::super::output::{LogDetail, LogLevel, Output, UiEvent};
use super::super::status::DeliveryStatus;
use super::super::scalar::Scalar;
use super::Session;
use alloc::collections::VecDeque;

/// Legacy-mode messages remembered after writing, only so a failed write can be held again.
const LEGACY_WINDOW: usize = 256;

/// A chat message the agent sent, as the session keeps it until it is confirmed.
#[derive(Clone, Debug)]
struct Held {
    local_id: u64,
    msg_id: String,
    user_id: Scalar,
    user_name: String,
    content: String,
    /// In durable storage (a `Persist` went out and no `Forget` since).
    persisted: bool,
}

impl Held {
    fn persisted_form(&self) -> PersistedMessage {
        PersistedMessage {
            msg_id: self.msg_id.clone(),
            user_id: self.user_id.clone(),
            user_name: self.user_name.clone(),
            content: self.content.clone(),
        }
    }
}

/// A chat message written to a socket and not confirmed yet.
#[derive(Clone, Debug)]
struct Unconfirmed {
    held: Held,
    /// Written on a socket with `ack`: it stays until acked and is re-sent after a reconnect.
    awaiting_ack: bool,
}

/// Messages on their way out, and what has been received.
#[derive(Debug)]
pub(super) struct Delivery {
    /// Accepted while no socket could take them, oldest first.
    held: VecDeque<Held>,
    unconfirmed: VecDeque<Unconfirmed>,
    next_local_id: u64,
    last_seq: u64,
    epoch: Option<String>,
}

impl Default for Delivery {
    fn default() -> Self {
        Delivery { held: VecDeque::new(), unconfirmed: VecDeque::new(), next_local_id: 1, last_seq: 0, epoch: None }
    }
}

impl Delivery {
    /// Messages that a new socket should carry: held ones, or written ones awaiting an ack.
    pub(super) fn has_pending(&self) -> bool {
        !self.held.is_empty() || self.unconfirmed.iter().any(|u| u.awaiting_ack)
    }

    /// Records `seq` and returns true if it is new (larger than any seen).
    pub(super) fn is_new_seq(&mut self, seq: u64) -> bool {
        let new = seq > self.last_seq;
        if new {
            self.last_seq = seq;
        }
        new
    }

    /// The server's run identity from its hello: numbers restart when it changes.
    pub(super) fn note_epoch(&mut self, epoch: Option<String>) {
        if epoch.is_none() || epoch != self.epoch {
            self.last_seq = 0;
        }
        self.epoch = epoch;
    }

    pub(super) fn last_seq(&self) -> u64 {
        self.last_seq
    }
}

impl<V: JsonValue> Session<V> {
    /// Number of chat messages held until the socket opens.
    pub fn held_count(&self) -> usize {
        self.delivery.held.len()
    }

    /// Chat messages written but not yet acknowledged by the server (extension `ack`).
    pub fn unacked_count(&self) -> usize {
        self.delivery.unconfirmed.iter().filter(|u| u.awaiting_ack).count()
    }

    /// The last sequence number seen from the server (extension `seq`).
    pub fn last_seq(&self) -> u64 {
        self.delivery.last_seq
    }

    /// Sends a chat message to customer `user_id`; returns its local id, whose fate is reported by
    /// [`UiEvent::MessageStatus`]. While not open the message is held and sent on reconnect, or
    /// failed at once if the config says [`OfflineSend::Fail`]. Never drops it silently.
    pub fn send_message(&mut self, user_id: Scalar, user_name: String, content: String) -> Result<u64, SessionError> {
        if user_id.is_blank() {
            return Err(SessionError::InvalidArgument("userId must not be empty".into()));
        }
        let local_id = self.next_local_id();
        let msg_id = self.msg_id(local_id);
        self.enqueue(Held { local_id, msg_id, user_id, user_name, content, persisted: false });
        Ok(local_id)
    }

    /// A local id and message id for a message this session will hand to another session (the tab
    /// that owns the agent's shared socket), which sends it with [`Session::relay_message`].
    pub fn new_message_id(&mut self) -> (u64, String) {
        let local_id = self.next_local_id();
        (local_id, self.msg_id(local_id))
    }

    /// Sends a chat message another session (another tab of this agent) accepted, under its own
    /// message id; with a durable outbox that tab already stored it. Returns the local id here
    /// (its fate is reported under it), or `None` when a message with this id is already known.
    pub fn relay_message(&mut self, m: PersistedMessage) -> Result<Option<u64>, SessionError> {
        if m.user_id.is_blank() {
            return Err(SessionError::InvalidArgument("userId must not be empty".into()));
        }
        if self.knows(&m.msg_id) {
            return Ok(None);
        }
        let local_id = self.next_local_id();
        let PersistedMessage { msg_id, user_id, user_name, content } = m;
        self.enqueue(Held { local_id, msg_id, user_id, user_name, content, persisted: self.cfg.durable_outbox });
        Ok(Some(local_id))
    }

    /// Where frame numbering stands (extension `seq`): the server's epoch and the last number seen.
    pub fn resume_point(&self) -> (Option<&str>, u64) {
        (self.delivery.epoch.as_deref(), self.delivery.last_seq)
    }

    /// Continues numbering from a point another session reached (the tab that owned the agent's
    /// socket until now): the next hello asks the server only for what came after it.
    pub fn resume_from(&mut self, epoch: Option<String>, last_seq: u64) {
        if epoch.is_some() {
            self.delivery.epoch = epoch;
            self.delivery.last_seq = last_seq;
        }
    }

    fn knows(&self, msg_id: &str) -> bool {
        let d = &self.delivery;
        d.held.iter().any(|h| h.msg_id == msg_id) || d.unconfirmed.iter().any(|u| u.held.msg_id == msg_id)
    }

    /// Writes `held` now if the socket is writable and nothing waits before it, else holds it (or
    /// fails it, per the config).
    fn enqueue(&mut self, held: Held) {
        let local_id = held.local_id;
        let held_now = self.delivery.held.len();
        match self.link.writable_conn() {
            Some(conn) if held_now == 0 => {
                let mut held = held;
                if self.speaks(Extension::Ack) {
                    self.persist(&mut held); // until acked; a legacy write counts as sent
                }
                self.write_chat(conn, held, false)
            }
            _ if self.cfg.offline_send == OfflineSend::Fail => self.fail(held, "not connected"),
            _ if held_now >= self.cfg.max_held_messages => self.fail(held, "too many held messages"),
            _ => {
                let mut held = held;
                self.persist(&mut held);
                self.delivery.held.push_back(held);
                self.message_status(local_id, DeliveryStatus::Held, None);
            }
        }
    }

    /// Messages an earlier page load kept in durable storage: held, before anything typed since,
    /// under their own ids (a message already known by id is skipped), and sent as soon as the
    /// socket is writable.
    pub fn restore_outbox(&mut self, messages: Vec<PersistedMessage>) {
        let mut restored = Vec::new();
        for m in messages {
            if self.knows(&m.msg_id) || restored.iter().any(|h: &Held| h.msg_id == m.msg_id) {
                continue;
            }
            let local_id = self.next_local_id();
            self.ui(UiEvent::Restored { local_id, message: m.clone() });
            let PersistedMessage { msg_id, user_id, user_name, content } = m;
            restored.push(Held { local_id, msg_id, user_id, user_name, content, persisted: true });
        }
        if restored.is_empty() {
            return;
        }
        self.log(LogLevel::Info, "restored unsent messages:", LogDetail::Num(restored.len() as u64));
        for h in restored.into_iter().rev() {
            let local_id = h.local_id;
            self.delivery.held.push_front(h);
            self.message_status(local_id, DeliveryStatus::Held, None);
        }
        self.flush_held();
    }

    /// The shell could not write an [`Output::Send`] (the socket was already closing). The socket
    /// is treated as lost; a chat message is held again, in its original order, and re-sent on
    /// reconnect.
    pub fn handle_send_failed(&mut self, now: Millis, conn: ConnId, local_id: Option<u64>) {
        self.stats.frames_sent = self.stats.frames_sent.saturating_sub(1);
        if self.live_conn() == Some(conn) {
            self.lose_link(now, conn, "send failed", LogDetail::None);
        }
        let Some(local_id) = local_id else { return };
        let unconfirmed = &mut self.delivery.unconfirmed;
        if let Some(i) = unconfirmed.iter().position(|u| u.held.local_id == local_id) {
            let held = unconfirmed.remove(i).map(|u| u.held).expect("index checked");
            self.hold(held);
        }
    }

    /// Status 101 (extension `ack`): the server stored (or refused) message `msg_id`.
    pub(super) fn on_ack(&mut self, msg_id: String, error: Option<String>) {
        let found = self.delivery.unconfirmed.iter().position(|u| u.awaiting_ack && u.held.msg_id == msg_id);
        let Some(i) = found else {
            return self.log(LogLevel::Debug, "ack for unknown message", LogDetail::Text(msg_id));
        };
        let mut held = self.delivery.unconfirmed.remove(i).expect("index checked").held;
        self.forget(&mut held);
        let local_id = held.local_id;
        if error.is_none() {
            self.signals.note_confirmed(held.msg_id.clone(), local_id);
        }
        match error {
            None => self.message_status(local_id, DeliveryStatus::Acked, None),
            Some(e) => {
                self.log(LogLevel::Warn, "server refused message", LogDetail::Text([msg_id.as_str(), e.as_str()].join(": ")));
                self.message_status(local_id, DeliveryStatus::Failed, Some(e));
            }
        }
    }

    /// Writes every held message, in order, once the socket is writable.
    pub(super) fn flush_held(&mut self) {
        let Some(conn) = self.link.writable_conn() else { return };
        while let Some(h) = self.delivery.held.pop_front() {
            self.write_chat(conn, h, false);
        }
    }

    /// After a hello: messages written on an earlier `ack` socket and never acked go out again,
    /// first and in order (the server drops any it already has); legacy-written ones are forgotten.
    pub(super) fn resend_unacked(&mut self, conn: ConnId) {
        let pending: Vec<Held> = self.delivery.unconfirmed.drain(..).filter(|u| u.awaiting_ack).map(|u| u.held).collect();
        let ack = self.speaks(Extension::Ack);
        for h in pending {
            if ack {
                self.write_chat(conn, h, true);
            } else {
                self.hold(h); // the server no longer acks: hold them, so they are at least sent again
            }
        }
    }

    /// The one place a chat message is written: the frame (with its id under `ack`), the counters,
    /// its status (a re-send keeps "sent") and the bookkeeping until it is confirmed.
    fn write_chat(&mut self, conn: ConnId, h: Held, resend: bool) {
        self.signals.sent_to(&h.user_id);
        let ack = self.speaks(Extension::Ack);
        let frame = AgentFrame::Chat {
            kf_id: self.cfg.kf_id.clone(),
            kf_name: self.cfg.kf_name.clone(),
            user_id: h.user_id.clone(),
            user_name: h.user_name.clone(),
            content: h.content.clone(),
            msg_id: ack.then(|| h.msg_id.clone()),
        };
        let mut h = h;
        if !ack {
            self.forget(&mut h); // written to a legacy server: sent, as the original counted it
        }
        if resend {
            self.stats.resent += 1;
        }
        self.stats.frames_sent += 1;
        self.out.push_back(Output::Send { conn, frame, local_id: Some(h.local_id) });
        if !resend {
            self.message_status(h.local_id, DeliveryStatus::Sent, None);
        }
        let unconfirmed = &mut self.delivery.unconfirmed;
        unconfirmed.push_back(Unconfirmed { held: h, awaiting_ack: ack });
        if !ack {
            while unconfirmed.iter().filter(|u| !u.awaiting_ack).count() > LEGACY_WINDOW {
                if let Some(i) = unconfirmed.iter().position(|u| !u.awaiting_ack) {
                    unconfirmed.remove(i);
                }
            }
        }
    }

    /// Reports `held` failed; a relayed message stored by its tab is dropped from storage.
    fn fail(&mut self, mut held: Held, why: &str) {
        self.forget(&mut held);
        self.message_status(held.local_id, DeliveryStatus::Failed, Some(why.into()));
    }

    fn hold(&mut self, mut held: Held) {
        self.persist(&mut held);
        let local_id = held.local_id;
        let queue = &mut self.delivery.held;
        let at = queue.iter().position(|h| h.local_id > local_id).unwrap_or(queue.len());
        queue.insert(at, held);
        self.message_status(local_id, DeliveryStatus::Held, None);
    }

    fn next_local_id(&mut self) -> u64 {
        let id = self.delivery.next_local_id;
        self.delivery.next_local_id += 1;
        id
    }

    /// Asks the shell to keep `held` in durable storage (with a durable outbox, once).
    fn persist(&mut self, held: &mut Held) {
        if self.cfg.durable_outbox && !held.persisted {
            held.persisted = true;
            self.out.push_back(Output::Persist { local_id: held.local_id, message: held.persisted_form() });
        }
    }

    /// Asks the shell to drop `held` from durable storage.
    fn forget(&mut self, held: &mut Held) {
        if held.persisted {
            held.persisted = false;
            self.out.push_back(Output::Forget { msg_id: held.msg_id.clone() });
        }
    }

    fn msg_id(&self, local_id: u64) -> String {
        let mut id = self.cfg.client_token.clone();
        id.push('-');
        id.push_str(itoa::Buffer::new().format(local_id));
        id
    }

    fn message_status(&mut self, local_id: u64, status: DeliveryStatus, reason: Option<String>) {
        self.ui(UiEvent::MessageStatus { local_id, status, reason });
    }
}
