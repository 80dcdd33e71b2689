//! Conversation ids taken ahead from PostgreSQL's sequence, for the accepts made in the messages'
//! writer (`accept.rs`): the pool is filled when the hub starts and topped up by a task of its own
//! once it runs low, so an accept never waits for the sequence under the hub's lock. An accept
//! that finds it empty (a burst faster than one refill, or the store failing) is made in place.

use crate::store::Store;
use crate::sync::LockExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Ids taken at a time.
const BATCH: u32 = 256;
/// Below this many left, a refill starts.
const LOW: usize = 128;

/// The ids in hand (see the module's doc).
#[derive(Default)]
pub(super) struct IdPool {
    /// Popped from the end: the sequence's order reversed.
    ids: Mutex<Vec<i64>>,
    refilling: AtomicBool,
}

impl IdPool {
    /// Fills the pool now (PostgreSQL only; before the hub serves anyone).
    pub(super) fn fill(&self, store: &Store) {
        if store.group().is_some() {
            self.top_up(store);
        }
    }

    /// The next id, if one is in hand; starts a refill off the caller's thread when few are left.
    pub(super) fn take(self: &Arc<Self>, store: &Arc<Store>) -> Option<i64> {
        let (id, left) = {
            let mut ids = self.ids.locked();
            (ids.pop(), ids.len())
        };
        if left < LOW && !self.refilling.swap(true, Ordering::AcqRel) {
            let (pool, store) = (self.clone(), store.clone());
            match tokio::runtime::Handle::try_current() {
                Ok(rt) => drop(rt.spawn_blocking(move || pool.top_up(&store))),
                Err(_) => pool.top_up(&store),
            }
        }
        id
    }

    /// Takes a batch from the sequence and adds it.
    fn top_up(&self, store: &Store) {
        match store.conversation_ids(BATCH) {
            Ok(more) => {
                let mut ids = self.ids.locked();
                let mut more: Vec<i64> = more.into_iter().rev().collect();
                more.append(&mut ids); // the older ids, still in hand, go first
                *ids = more;
            }
            Err(e) => tracing::warn!(error = %e, "conversation ids not taken ahead; accepts are made in place meanwhile"),
        }
        self.refilling.store(false, Ordering::Release);
    }
}
