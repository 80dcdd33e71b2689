//! Locks that outlive a panic elsewhere: a thread that panicked while holding a lock leaves it
//! poisoned, but every structure behind our locks stays consistent between statements, so the
//! server keeps using it rather than failing every later request. And waits that block a thread
//! (a contended lock, a store round trip) hand an async worker's other tasks on first.

use std::cell::Cell;
use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, MutexGuard, PoisonError, TryLockError};

thread_local! {
    /// How many routing locks this thread holds (see [`Routing`]).
    static ROUTING: Cell<u32> = const { Cell::new(0) };
}

/// A guard on routing's state that marks its thread as holding it while it lives, so that a store
/// round trip made meanwhile can be counted ([`routing_held`]): routing must never wait for the
/// store (docs/deployment.md).
pub struct Routing<'a, T> {
    guard: MutexGuard<'a, T>,
    _mark: Mark,
}

struct Mark;

impl Drop for Mark {
    fn drop(&mut self) {
        ROUTING.with(|n| n.set(n.get().saturating_sub(1)));
    }
}

impl<'a, T> Routing<'a, T> {
    /// `m`'s guard, taken as [`lock_or_hand_on`] takes it.
    pub fn lock(m: &'a Mutex<T>) -> Routing<'a, T> {
        let guard = lock_or_hand_on(m);
        ROUTING.with(|n| n.set(n.get() + 1));
        Routing { guard, _mark: Mark }
    }
}

impl<T> Deref for Routing<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for Routing<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

/// Whether this thread holds routing's lock now.
pub fn routing_held() -> bool {
    ROUTING.with(Cell::get) > 0
}

/// [`Mutex::lock`] that takes a poisoned lock as it is.
pub trait LockExt<T> {
    /// The guard, poisoned or not.
    fn locked(&self) -> MutexGuard<'_, T>;
}

impl<T> LockExt<T> for Mutex<T> {
    fn locked(&self) -> MutexGuard<'_, T> {
        self.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Runs `f`, which blocks its thread: on a worker of a multi-threaded tokio runtime, through
/// [`tokio::task::block_in_place`], so the worker's other tasks (heartbeats, health checks, other
/// sockets) move to another thread meanwhile; elsewhere, as it is.
pub fn blocking<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// [`LockExt::locked`], waiting through [`blocking`] when another thread holds the lock.
pub fn lock_or_hand_on<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.try_lock() {
        Ok(g) => g,
        Err(TryLockError::Poisoned(p)) => p.into_inner(),
        Err(TryLockError::WouldBlock) => blocking(|| m.locked()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_routing_guard_marks_only_its_own_thread_and_only_while_it_lives() {
        let m = std::sync::Arc::new(Mutex::new(1));
        assert!(!routing_held());
        {
            let mut g = Routing::lock(&m);
            *g += 1;
            assert!(routing_held());
            let other = std::thread::spawn(routing_held).join().unwrap();
            assert!(!other, "another thread is not marked");
        }
        assert!(!routing_held(), "unmarked once the guard is gone");
        assert_eq!(*m.locked(), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_worker_blocked_on_a_lock_does_not_hold_up_its_other_tasks() {
        let m = std::sync::Arc::new(Mutex::new(0));
        let held = m.clone();
        let (taken, is_taken) = std::sync::mpsc::channel();
        let holder = std::thread::spawn(move || {
            let _g = held.locked();
            taken.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(400));
        });
        is_taken.recv().unwrap();
        // Both workers wait on the lock; a timer task still runs meanwhile.
        let waiters: Vec<_> = (0..2).map(|_| { let m = m.clone(); tokio::spawn(async move { *lock_or_hand_on(&m) += 1; }) }).collect();
        let ticked = tokio::spawn(async { tokio::time::sleep(std::time::Duration::from_millis(50)).await; std::time::Instant::now() });
        let at = ticked.await.unwrap();
        for w in waiters { w.await.unwrap(); }
        holder.join().unwrap();
        assert!(at.elapsed() >= std::time::Duration::from_millis(200), "the timer ran while the lock was held");
        assert_eq!(*m.locked(), 2);
        // Outside a multi-threaded runtime it just waits.
        assert_eq!(blocking(|| 7), 7);
    }
}
