//! [`Ledger`]: which tab's message is which, for a socket shared by tabs. A message keeps the id
//! of the tab that accepted it (its message id) and gets a local id in each session it passes
//! through; the ledger maps between them so each tab hears the fate and the read receipts of its
//! own messages, under its own local ids.

use crate::prelude::*;
use super::super::message::PersistedMessage;
use alloc::collections::VecDeque;

/// Message ids remembered per list; older ones are forgotten first.
pub(super) const REMEMBERED: usize = 1024;

/// A message another tab accepted, sent by this one.
#[derive(Clone, Debug)]
struct Relayed {
    /// Its local id here.
    local_id: u64,
    /// Its message id.
    msg_id: String,
    /// Handed over by a live follower (not restored, not this tab's own from before it led).
    foreign: bool,
}

/// This tab's part of the id mapping.
#[derive(Debug, Default)]
pub(super) struct Ledger {
    /// Messages this tab handed to a leader: (message id, local id here), until forgotten.
    mine: VecDeque<(String, u64)>,
    /// Of those, the ones no leader has reported on yet: handed again to each new leader.
    unreported: Vec<PersistedMessage>,
    /// Leading: messages from elsewhere.
    relayed: VecDeque<Relayed>,
}

fn bounded<T>(list: &mut VecDeque<T>, item: T) {
    list.push_back(item);
    if list.len() > REMEMBERED {
        list.pop_front();
    }
}

impl Ledger {
    /// This tab hands message `m` (local id `local_id` here) to a leader.
    pub(super) fn hand_over(&mut self, local_id: u64, m: PersistedMessage) {
        bounded(&mut self.mine, (m.msg_id.clone(), local_id));
        self.unreported.push(m);
    }

    /// The messages no leader has reported on yet.
    pub(super) fn unreported(&self) -> &[PersistedMessage] {
        &self.unreported
    }

    /// Hands the unreported messages over (to this tab, which now leads).
    pub(super) fn take_unreported(&mut self) -> Vec<PersistedMessage> {
        ::core::mem::take(&mut self.unreported)
    }

    /// The wire id of this tab's own message `local_id`, handed to a leader.
    pub(super) fn msg_id_of(&self, local_id: u64) -> Option<String> {
        self.mine.iter().find(|(_, l)| *l == local_id).map(|(m, _)| m.clone())
    }

    /// The local id here of this tab's own message `msg_id`.
    pub(super) fn own_local_id(&self, msg_id: &str) -> Option<u64> {
        self.mine.iter().find(|(m, _)| m == msg_id).map(|(_, l)| *l)
    }

    /// A leader reported on `msg_id`: it is not handed to new leaders again (it stays known, so
    /// read receipts still find it).
    pub(super) fn settle(&mut self, msg_id: &str) {
        self.unreported.retain(|m| m.msg_id != msg_id);
    }

    /// Leading: message `msg_id` from elsewhere got local id `local_id` here.
    pub(super) fn note_relayed(&mut self, local_id: u64, msg_id: String, foreign: bool) {
        bounded(&mut self.relayed, Relayed { local_id, msg_id, foreign });
    }

    /// Leading: the message id of relayed message `local_id`, and whether a live follower sent it.
    pub(super) fn relayed(&self, local_id: u64) -> Option<(&str, bool)> {
        self.relayed.iter().find(|r| r.local_id == local_id).map(|r| (r.msg_id.as_str(), r.foreign))
    }

    /// Of `msg_ids`, the local ids here of this tab's own messages.
    pub(super) fn own_local_ids(&self, msg_ids: &[String]) -> Vec<u64> {
        msg_ids.iter().filter_map(|m| self.own_local_id(m)).collect()
    }
}
