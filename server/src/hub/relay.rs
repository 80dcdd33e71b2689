//! Storing a chat message, on either store: SQLite commits it in place (no fsync in WAL mode);
//! PostgreSQL hands it to the group writer (`store/postgres/group.rs`) and the hub goes on at
//! once — no round trip under its lock. Then the recipients' frames wait for the commit
//! ([`crate::hub::Out::Durable`]), as does the sender's ack ([`Relayed::settled`]). The hub numbers
//! each recipient's deliveries itself (from the store's highest, read once), in the order it
//! hands messages over, and the writer commits and resolves them in that order, so a recipient
//! gets its numbers in order. A store call that reads back the messages of a customer or agent
//! (an accept, a recall, a replay, an erasure) first waits for the writer when one of theirs is
//! still being written ([`Hub::settle`]); an accept numbers the waiting messages it hands over
//! from the hub's count too.

use super::state::State;
use super::{Hub, HubError};
use crate::store::ticket::{Outcome, Ticket};
use crate::store::{GroupMessage, NewMessage, OnStored, Write};

/// How a message was stored.
pub(super) enum Stored {
    /// Committed (SQLite): its delivery number.
    Now(Option<u64>),
    /// Handed to the group writer, with the delivery number it was given.
    Later(Ticket, Option<u64>),
    /// Its id was stored already (a resend): nothing to deliver.
    Duplicate,
}

impl Stored {
    /// The delivery number.
    pub(super) fn seq(&self) -> Option<u64> {
        match self {
            Stored::Now(s) | Stored::Later(_, s) => *s,
            Stored::Duplicate => None,
        }
    }

    /// What the frames wait for.
    pub(super) fn commit(&self) -> Option<&Ticket> {
        match self {
            Stored::Later(t, _) => Some(t),
            _ => None,
        }
    }
}

/// A chat message the hub has taken: what its sender's ack waits for.
#[must_use]
pub struct Relayed {
    /// Whether it was new (a resend of a stored id is not), when known now.
    pub(super) new: bool,
    /// Its commit, while the group writer has it.
    pub(super) commit: Option<Ticket>,
}

impl Relayed {
    /// Done already (or nothing to do).
    pub(super) fn now(new: bool) -> Relayed {
        Relayed { new, commit: None }
    }

    /// Waits for the commit, if the message is still being written. `Ok(new)`, or the reason it
    /// was not stored.
    pub async fn settled(self, hub: &Hub) -> Result<bool, String> {
        let Some(t) = self.commit else { return Ok(self.new) };
        match t.wait().await {
            Outcome::Stored(_) => Ok(true),
            Outcome::Duplicate => Ok(false),
            Outcome::Failed(why) => {
                let _ = hub.store_failed(&why);
                Err("the message could not be stored; it will be sent again".into())
            }
        }
    }
}

impl Hub {
    /// Stores `m` (see the module's doc): committed now on SQLite, handed over on PostgreSQL; its
    /// `message.created` webhook event (`event`, without the id) goes out once it is committed, in
    /// commit order.
    pub(super) fn store_chat(&self, st: &mut State, m: &NewMessage<'_>, event: impl FnOnce() -> serde_json::Value) -> Result<Stored, HubError> {
        let on_stored: Option<OnStored> = self.webhooks.active().then(|| {
            let (webhooks, mut e) = (self.webhooks.clone(), event());
            Box::new(move |id: i64| {
                e["id"] = id.into();
                webhooks.emit("message.created", || e);
            }) as OnStored
        });
        self.store_message(st, m, on_stored)
    }

    /// A line of the conversation's log that is no one's chat (a supervisor's move, written as a
    /// system message): stored as [`Hub::store_chat`] stores a message, with no webhook event.
    pub(super) fn store_line(&self, st: &mut State, m: &NewMessage<'_>) -> Result<Stored, HubError> {
        self.store_message(st, m, None)
    }

    fn store_message(&self, st: &mut State, m: &NewMessage<'_>, on_stored: Option<OnStored>) -> Result<Stored, HubError> {
        let Some(writer) = self.store.group() else {
            return match self.store.add_and_deliver(m) {
                Ok(Some((id, seq))) => {
                    if let Some(f) = on_stored {
                        f(id);
                    }
                    Ok(Stored::Now(seq))
                }
                Ok(None) => Ok(Stored::Duplicate),
                Err(e) => Err(self.store_failed(e)),
            };
        };
        let delivery = match m.deliver_to {
            Some(r) => {
                let seq = match st.next_seq.get(r) {
                    Some(s) => *s,
                    None => self.store.last_seq(r).map_err(|e| self.store_failed(e))? + 1,
                };
                st.next_seq.insert(r.to_owned(), seq + 1);
                Some((r.to_owned(), seq))
            }
            None => None,
        };
        let seq = delivery.as_ref().map(|(_, s)| *s);
        let ticket = writer.submit(GroupMessage {
            user_id: m.user_id.to_owned(),
            user_name: m.user_name.to_owned(),
            kf_id: m.kf_id.map(str::to_owned),
            sender: m.sender,
            content: m.content.to_owned(),
            at_ms: m.at_ms,
            client_msg_id: m.client_msg_id.map(str::to_owned),
            delivery,
            on_stored,
        });
        if st.writing.len() >= 1024 {
            st.writing.retain(|_, t| t.outcome().is_none()); // bounded: only unfinished ones stay
        }
        st.writing.insert(format!("u:{}", m.user_id), ticket.clone());
        if let Some(r) = m.deliver_to {
            st.writing.insert(r.to_owned(), ticket.clone());
        }
        Ok(Stored::Later(ticket, seq))
    }

    /// Before a store call that reads back the messages of whom `keys` name (`u:{customer}`,
    /// `v:{customer}`, `kf:{agent}`): waits for the group writer only while one of them still
    /// has a message being written (the writer commits in order, so the last one tells).
    pub(super) fn settle(&self, st: &mut State, keys: &[&str]) {
        let unfinished = self.unfinished(st, keys);
        for key in tickets(keys) {
            st.writing.remove(&key); // waited for now (done under the lock: nobody sees the gap)
        }
        if unfinished {
            self.store.caught_up();
        }
    }

    /// [`Hub::settle`] without the lock held while it waits: whether one of them has something
    /// still being written is asked under a short lock, and the wait comes after it. Their
    /// tickets stay, so what routing decides meanwhile still goes after them (`write_later`).
    pub(super) fn settle_unlocked(&self, keys: &[&str]) {
        let unfinished = self.unfinished(&self.st(), keys);
        if unfinished {
            self.store.caught_up();
        }
    }

    /// Whether one of whom `keys` name still has a message or a routing write being written.
    fn unfinished(&self, st: &State, keys: &[&str]) -> bool {
        self.store.group().is_some() && tickets(keys).any(|key| st.writing.get(&key).is_some_and(|t| t.outcome().is_none()))
    }

    /// `recipient`'s highest delivery number in the store (PostgreSQL), read before the lock so
    /// that their first delivery is numbered without a round trip under it ([`Hub::count_from`]).
    pub(super) fn last_numbers(&self, recipient: &str) -> Option<(String, u64)> {
        self.store.group()?;
        self.store.last_seq(recipient).ok().map(|last| (recipient.to_owned(), last))
    }

    /// Under the lock: counts `numbered`'s deliveries on from the number read before it, unless
    /// routing counts them already. Sound because routing numbers every delivery it hands to the
    /// writer from its count and keeps the count while one is in flight: without a count, the
    /// store's highest was the last, then and now.
    pub(super) fn count_from(st: &mut State, numbered: Option<(String, u64)>) {
        if let Some((recipient, last)) = numbered {
            st.next_seq.entry(recipient).or_insert(last + 1);
        }
    }

    /// Does `w`, a write about customer `user_id` routing does not read back, without waiting for
    /// it under the lock on PostgreSQL (`store/write.rs`): answers the commit the frames that
    /// announce it wait for; a later store call about the customer settles on it first (`w:`).
    /// While something of theirs is still in the messages' writer (an accept, a message), it
    /// goes after it there, so an end never reaches the store before its conversation's start.
    pub(super) fn write_later(&self, st: &mut State, user_id: &str, w: Write) -> Option<Ticket> {
        let after_messages = st.writing.get(&format!("u:{user_id}")).is_some_and(|t| t.outcome().is_none());
        match self.store.write(w, after_messages, None) {
            Ok(Some(t)) => {
                st.writing.insert(format!("w:{user_id}"), t.clone());
                Some(t)
            }
            Ok(None) => None,
            Err(e) => {
                let _ = self.store_failed(e);
                None
            }
        }
    }

    /// After the lock is released: waits for `commit` (a [`Hub::write_later`]'s), so an HTTP
    /// answer comes after what it did is stored. The error when it could not be.
    pub(super) fn written(&self, commit: Option<Ticket>) -> Result<(), HubError> {
        let Some(t) = commit else { return Ok(()) };
        if t.outcome().is_none() {
            self.store.caught_up();
        }
        match t.outcome() {
            Some(Outcome::Failed(why)) => Err(self.store_failed(why)),
            _ => Ok(()),
        }
    }

    /// A customer routing forgets: their delivery number too, unless a message to them is
    /// still being written (then it stays, read from the store otherwise).
    pub(super) fn forget_numbers(st: &mut State, user_id: &str) {
        let key = format!("v:{user_id}");
        if st.writing.get(&key).is_none_or(|t| t.outcome().is_some()) {
            st.writing.remove(&key);
            st.next_seq.remove(&key);
        }
        for own in [format!("u:{user_id}"), format!("w:{user_id}")] {
            if st.writing.get(&own).is_some_and(|t| t.outcome().is_some()) {
                st.writing.remove(&own);
            }
        }
    }
}

/// The tickets `keys` name in [`State::writing`]: each key, and for a customer (`u:`) their
/// routing writes (`w:`), which have a writer of their own.
fn tickets<'a>(keys: &'a [&str]) -> impl Iterator<Item = String> + 'a {
    keys.iter().flat_map(|k| [Some(k.to_string()), k.strip_prefix("u:").map(|u| format!("w:{u}"))]).flatten()
}
