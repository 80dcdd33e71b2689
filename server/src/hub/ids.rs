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
            self.top_up(|n| store.conversation_ids(n));
        }
    }

    /// The next id, if one is in hand; starts a refill off the caller's thread when few are left.
    pub(super) fn take(self: &Arc<Self>, store: &Arc<Store>) -> Option<i64> {
        let store = store.clone();
        self.take_from(move |n| store.conversation_ids(n))
    }

    /// [`IdPool::take`], refilled by `fetch` (n ids from the sequence).
    fn take_from(self: &Arc<Self>, fetch: impl FnOnce(u32) -> crate::store::Result<Vec<i64>> + Send + 'static) -> Option<i64> {
        let (id, left) = {
            let mut ids = self.ids.locked();
            (ids.pop(), ids.len())
        };
        if left < LOW && !self.refilling.swap(true, Ordering::AcqRel) {
            let pool = self.clone();
            match tokio::runtime::Handle::try_current() {
                Ok(rt) => drop(rt.spawn_blocking(move || pool.top_up(fetch))),
                Err(_) => pool.top_up(fetch),
            }
        }
        id
    }

    /// Takes a batch from the sequence (`fetch`) and adds it.
    fn top_up(&self, fetch: impl FnOnce(u32) -> crate::store::Result<Vec<i64>>) {
        match fetch(BATCH) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_in_the_sequences_order_and_a_refill_starts_before_they_run_out() {
        let pool = Arc::new(IdPool::default());
        let next = Arc::new(std::sync::atomic::AtomicI64::new(1));
        let fetch = |next: Arc<std::sync::atomic::AtomicI64>| move |n: u32| Ok((0..n).map(|_| next.fetch_add(1, Ordering::Relaxed)).collect());
        pool.top_up(fetch(next.clone()));
        let mut taken = Vec::new();
        for _ in 0..BATCH as usize - LOW {
            taken.push(pool.take_from(|_| panic!("no refill while enough are left")).unwrap());
        }
        // Below the mark: the next take refills (here, outside a runtime, at once).
        taken.push(pool.take_from(fetch(next.clone())).unwrap());
        while let Some(id) = pool.take_from(|_| Err(crate::store::StoreError("down".into()))) {
            taken.push(id);
        }
        assert_eq!(taken, (1..=2 * i64::from(BATCH)).collect::<Vec<_>>(), "every id once, in order, the older first");
        assert!(pool.take_from(fetch(next)).is_none(), "an empty pool answers none (the accept is made in place) and refills");
        assert_eq!(pool.ids.locked().len(), BATCH as usize);
    }
}
