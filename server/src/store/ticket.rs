//! A message handed to the PostgreSQL group writer (`postgres/group.rs`) and not yet committed:
//! what the sender's ack and the recipients' frames wait for. Resolved once, in commit order.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};

const PENDING: u8 = 0;
const STORED: u8 = 1;
const DUPLICATE: u8 = 2;
const FAILED: u8 = 3;

/// How a handed-over message ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Committed, with its row id.
    Stored(i64),
    /// Its `client_msg_id` was stored already: nothing written, nothing to deliver.
    Duplicate,
    /// Not written (the reason).
    Failed(String),
}

struct Inner {
    state: AtomicU8,
    id: OnceLock<i64>,
    /// What an accept delivered (`Write::Accept`), set before it resolves.
    deliveries: OnceLock<Vec<super::Delivery>>,
    error: OnceLock<String>,
    done: tokio::sync::Notify,
}

/// A shared handle on one message's commit.
#[derive(Clone)]
pub struct Ticket(Arc<Inner>);

impl std::fmt::Debug for Ticket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ticket({})", self.0.state.load(Ordering::Acquire))
    }
}

impl PartialEq for Ticket {
    fn eq(&self, other: &Ticket) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Default for Ticket {
    fn default() -> Ticket {
        Ticket(Arc::new(Inner { state: AtomicU8::new(PENDING), id: OnceLock::new(), deliveries: OnceLock::new(), error: OnceLock::new(), done: tokio::sync::Notify::new() }))
    }
}

impl Ticket {
    /// Resolves it (the first outcome counts) and wakes every waiter.
    pub(crate) fn resolve(&self, outcome: Outcome) {
        let state = match outcome {
            Outcome::Stored(id) => {
                let _ = self.0.id.set(id);
                STORED
            }
            Outcome::Duplicate => DUPLICATE,
            Outcome::Failed(e) => {
                let _ = self.0.error.set(e);
                FAILED
            }
        };
        if self.0.state.compare_exchange(PENDING, state, Ordering::AcqRel, Ordering::Acquire).is_ok() {
            self.0.done.notify_waiters();
        }
    }

    /// The outcome, once there is one.
    pub fn outcome(&self) -> Option<Outcome> {
        match self.0.state.load(Ordering::Acquire) {
            STORED => Some(Outcome::Stored(*self.0.id.get().expect("set before the state"))),
            DUPLICATE => Some(Outcome::Duplicate),
            FAILED => Some(Outcome::Failed(self.0.error.get().cloned().unwrap_or_default())),
            _ => None,
        }
    }

    /// Sets what an accept delivered (before it resolves; the first call counts).
    pub(crate) fn set_deliveries(&self, d: Vec<super::Delivery>) {
        let _ = self.0.deliveries.set(d);
    }

    /// What an accept delivered, once it resolved (empty for anything else).
    pub fn deliveries(&self) -> &[super::Delivery] {
        self.0.deliveries.get().map_or(&[], Vec::as_slice)
    }

    /// Waits for the outcome.
    pub async fn wait(&self) -> Outcome {
        loop {
            let notified = self.0.done.notified();
            if let Some(o) = self.outcome() {
                return o;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_waiter_sees_the_one_outcome() {
        let t = Ticket::default();
        let (a, b) = (t.clone(), t.clone());
        let wa = tokio::spawn(async move { a.wait().await });
        let wb = tokio::spawn(async move { b.wait().await });
        tokio::task::yield_now().await;
        t.resolve(Outcome::Stored(7));
        t.resolve(Outcome::Failed("late".into())); // the first outcome counts
        assert_eq!(wa.await.unwrap(), Outcome::Stored(7));
        assert_eq!(wb.await.unwrap(), Outcome::Stored(7));
        assert_eq!(t.wait().await, Outcome::Stored(7), "after the fact too");
    }
}
