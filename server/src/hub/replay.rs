//! A reconnect's replay (`lastSeq`): the messages delivered to an agent or a customer after the
//! number their client last saw, read back from the store. On PostgreSQL the read is a round trip,
//! and it may first have to wait for the group writer (a message to them still being written), so
//! it does not happen under the hub's lock: the hub puts an [`Out::Replay`] in the socket's queue
//! where the replayed frames belong, bounded by the last number handed out so far, and the
//! socket's writer waits for that commit and reads when it gets there. Frames queued after it
//! carry later numbers, so nothing comes twice or out of order. SQLite, in process and committing
//! in place, is read at once as before.

use super::state::State;
use super::{Hub, Out};
use crate::store::ticket::Ticket;
use crate::store::Delivery;
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedSender;

/// Frames to read back when the socket's writer reaches them (see the module's doc).
#[derive(Clone)]
pub struct Replay {
    /// The last message to the recipient still being written, if any.
    wait: Option<Ticket>,
    /// Reads the frames.
    read: Arc<dyn Fn() -> Vec<String> + Send + Sync>,
}

impl std::fmt::Debug for Replay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Replay(waits: {})", self.wait.is_some())
    }
}

impl PartialEq for Replay {
    fn eq(&self, other: &Replay) -> bool {
        Arc::ptr_eq(&self.read, &other.read)
    }
}

impl Replay {
    /// Waits for the commit it needs, then reads the frames (off the async workers).
    pub async fn frames(self) -> Vec<String> {
        if let Some(t) = self.wait {
            let _ = t.wait().await;
        }
        tokio::task::spawn_blocking(move || (self.read)()).await.unwrap_or_default()
    }

    /// The frames of what commit `t` delivered (an accept's, `hub/accept.rs`), made by `frame`
    /// once it is committed: nothing to read back.
    pub(super) fn delivered(t: Ticket, frame: impl Fn(&Delivery) -> String + Send + Sync + 'static) -> Replay {
        let done = t.clone();
        Replay { wait: Some(t), read: Arc::new(move || done.deliveries().iter().map(&frame).collect()) }
    }
}

impl Hub {
    /// Queues on `tx` the replay of `recipient`'s deliveries after `from`, made into frames by
    /// `frame` (`None` skips a delivery): an [`Out::Replay`] with the group writer, the frames read
    /// now without. Logged (and nothing queued) when the store cannot say where the replay ends.
    pub(super) fn replay(
        &self,
        st: &mut State,
        tx: &UnboundedSender<Out>,
        recipient: &str,
        from: u64,
        frame: impl Fn(Delivery, &mut ReplayNames) -> Option<String> + Send + Sync + 'static,
    ) {
        let store = self.store.clone();
        let key = recipient.to_owned();
        let read = move |upto: u64| -> Vec<String> {
            let mut names = ReplayNames { store: store.clone(), known: Default::default() };
            match store.replay(&key, from, 100_000) {
                Ok(rows) => rows.into_iter().filter(|d| d.seq <= upto).filter_map(|d| frame(d, &mut names)).collect(),
                Err(e) => {
                    tracing::error!(recipient = key, error = %e, "replay failed");
                    Vec::new()
                }
            }
        };
        if self.store.group().is_none() {
            read(u64::MAX).into_iter().for_each(|text| drop(tx.send(Out::Text(text))));
            return;
        }
        self.queue_read(st, tx, recipient, read);
    }

    /// The last number handed out to `recipient`: the hub's count, else the store's (kept as the
    /// count); `None` (logged) when the store cannot say.
    pub(super) fn last_handed_out(&self, st: &mut State, recipient: &str) -> Option<u64> {
        if let Some(next) = st.next_seq.get(recipient) {
            return Some(next.saturating_sub(1));
        }
        match self.store.last_seq(recipient) {
            Ok(last) => {
                st.next_seq.insert(recipient.to_owned(), last + 1);
                Some(last)
            }
            Err(e) => {
                tracing::error!(recipient, error = %e, "replay failed");
                None
            }
        }
    }

    /// Queues `read(upto)` on `tx` where a replay to `recipient` would go, read by the socket's
    /// writer when it gets there (off the hub's lock, on either store): with the group writer,
    /// after the commit of the last message to them. `upto` is the last number handed out to
    /// them; frames queued after it carry later numbers.
    pub(super) fn queue_read(&self, st: &mut State, tx: &UnboundedSender<Out>, recipient: &str, read: impl Fn(u64) -> Vec<String> + Send + Sync + 'static) {
        let (upto, wait) = if self.store.group().is_none() {
            // SQLite numbers in place: its last number is the last handed out, all committed.
            match self.store.last_seq(recipient) {
                Ok(upto) => (upto, None),
                Err(e) => {
                    tracing::error!(recipient, error = %e, "replay failed");
                    return;
                }
            }
        } else {
            let Some(upto) = self.last_handed_out(st, recipient) else { return };
            (upto, st.writing.get(recipient).filter(|t| t.outcome().is_none()).cloned())
        };
        let _ = tx.send(Out::Replay(Replay { wait, read: Arc::new(move || read(upto)) }));
    }
}

/// The frame of delivery `d` to agent `kf` (status 1, numbered; with the customer's message id
/// when the agent speaks `recall`, as it was sent live, so a recall can name it).
pub(super) fn agent_frame(kf: &str, recall: bool, d: &Delivery) -> String {
    let m = &d.message;
    let mut f = crate::protocol::status_message(&m.user_id, &m.user_name, kf, &m.content, m.create_time);
    if let (Some(id), true, "visitor") = (&m.msg_id, recall, m.sender.as_str()) {
        f["data"]["msgId"] = id.as_str().into();
    }
    f["seq"] = d.seq.into();
    f.to_string()
}

/// Agents' names for replayed frames, each looked up once per replay.
pub(super) struct ReplayNames {
    store: Arc<crate::store::Store>,
    known: std::collections::HashMap<String, String>,
}

impl ReplayNames {
    /// Names read from `store`, each once.
    pub(super) fn new(store: Arc<crate::store::Store>) -> ReplayNames {
        ReplayNames { store, known: Default::default() }
    }

    /// Agent `kf_id`'s name (its id when unknown).
    pub(super) fn agent(&mut self, kf_id: &str) -> String {
        self.known.entry(kf_id.to_owned()).or_insert_with(|| self.store.agent_name(kf_id)).clone()
    }
}
