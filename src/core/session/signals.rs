//! The workbench signals (extensions `typing` and `read`): the agent's typing goes out at most once
//! every 2 s per customer while it lasts, and once when it stops (never after the message is sent);
//! "seen" reports go out as asked; a customer's read receipts name message ids, mapped back to the
//! local ids `send` returned. Nothing here is held for a later socket: a late signal is a wrong one.

use crate::prelude::*;
use super::super::frames_out::AgentFrame;
use crate::core::error::SessionError;
use crate::core::protocol::Extension;
use super::super::input::Millis;
use super::super::json::JsonValue;
use super::super::output::UiEvent;
use super::super::scalar::Scalar;
use super::Session;
use alloc::collections::VecDeque;

/// At most one "typing" signal per customer in this many milliseconds.
pub const TYPING_EVERY_MS: Millis = 2_000;
/// Customers whose typing state is remembered, and confirmed messages remembered for receipts.
const KEPT: usize = 512;

/// Typing sent per customer, and confirmed messages for mapping read receipts.
#[derive(Debug, Default)]
pub(super) struct Signals {
    /// (customer, when "typing" last went out) while the agent types to them.
    typing: VecDeque<(Scalar, Millis)>,
    /// (msgId, local id) of messages the server confirmed, newest last.
    confirmed: VecDeque<(String, u64)>,
}

impl Signals {
    /// The wire id of the confirmed message with local id `local_id`, if still remembered.
    pub(super) fn msg_id_of(&self, local_id: u64) -> Option<&str> {
        self.confirmed.iter().rev().find(|(_, l)| *l == local_id).map(|(m, _)| m.as_str())
    }

    /// The local id of the confirmed message `msg_id`, if still remembered.
    pub(super) fn local_id_of(&self, msg_id: &str) -> Option<u64> {
        self.confirmed.iter().rev().find(|(m, _)| m == msg_id).map(|(_, l)| *l)
    }

    /// Remembers that message `msg_id` (local id `local_id`) was confirmed by the server.
    pub(super) fn note_confirmed(&mut self, msg_id: String, local_id: u64) {
        self.confirmed.push_back((msg_id, local_id));
        if self.confirmed.len() > KEPT {
            self.confirmed.pop_front();
        }
    }

    /// The agent sent a message to `user_id`: the customer's page clears the indicator itself.
    pub(super) fn sent_to(&mut self, user_id: &Scalar) {
        self.typing.retain(|(u, _)| u != user_id);
    }
}

impl<V: JsonValue> Session<V> {
    /// The agent is typing to `user_id` (`true`) or stopped (`false`). Sent only on a socket that
    /// speaks `typing`, at most once every 2 s while typing, and once on stopping.
    pub fn set_typing(&mut self, now: Millis, user_id: Scalar, typing: bool) {
        let Some(conn) = self.link.writable_conn().filter(|_| self.speaks(Extension::Typing)) else { return };
        let at = self.signals.typing.iter().position(|(u, _)| *u == user_id);
        match (typing, at) {
            (true, Some(i)) if now < self.signals.typing[i].1 + TYPING_EVERY_MS => return,
            (true, Some(i)) => self.signals.typing[i].1 = now,
            (true, None) => {
                self.signals.typing.push_back((user_id.clone(), now));
                if self.signals.typing.len() > KEPT {
                    self.signals.typing.pop_front();
                }
            }
            (false, Some(i)) => {
                self.signals.typing.remove(i);
            }
            (false, None) => return, // never said it was typing
        }
        self.send_frame(conn, AgentFrame::Typing { user_id, typing });
    }

    /// The agent has seen every message of `user_id` shown so far (sent with `read`).
    pub fn seen(&mut self, user_id: Scalar) {
        if let Some(conn) = self.link.writable_conn().filter(|_| self.speaks(Extension::Read)) {
            self.send_frame(conn, AgentFrame::Seen { user_id });
        }
    }

    /// An internal note in the conversation with `user_id` (extension `notes`). Not held: refused
    /// while the socket is not open, or when the server does not offer `notes`, so the agent keeps
    /// what they wrote.
    pub fn add_note(&mut self, user_id: Scalar, content: String) -> Result<(), SessionError> {
        if user_id.is_blank() || content.trim().is_empty() {
            return Err(SessionError::InvalidArgument("addNote: userId and content must not be empty".into()));
        }
        let conn = self.link.writable_conn().filter(|_| !self.link.awaiting_hello()).ok_or(SessionError::NotConnected)?;
        if !self.speaks(Extension::Notes) {
            return Err(SessionError::NotSupported("notes"));
        }
        self.send_frame(conn, AgentFrame::Note { user_id, content });
        Ok(())
    }

    /// A supervisor starts (`on`) or stops watching the conversation with `user_id` (extension
    /// `monitor`; the server refuses anyone else). Refused while not open or without `monitor`.
    pub fn watch(&mut self, user_id: Scalar, on: bool) -> Result<(), SessionError> {
        if user_id.is_blank() {
            return Err(SessionError::InvalidArgument("watch: userId must not be empty".into()));
        }
        let conn = self.link.writable_conn().filter(|_| !self.link.awaiting_hello()).ok_or(SessionError::NotConnected)?;
        if !self.speaks(Extension::Monitor) {
            return Err(SessionError::NotSupported("monitor"));
        }
        self.send_frame(conn, AgentFrame::Watch { user_id, watch: on });
        Ok(())
    }

    pub(super) fn on_read(&mut self, user_id: Scalar, msg_ids: Vec<String>) {
        let local_ids: Vec<u64> =
            msg_ids.iter().filter_map(|m| self.signals.confirmed.iter().find(|(id, _)| id == m).map(|(_, l)| *l)).collect();
        if !local_ids.is_empty() {
            self.ui(UiEvent::Read { user_id, local_ids });
        }
    }
}
