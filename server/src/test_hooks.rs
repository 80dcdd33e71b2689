//! What the `/test/*` endpoints (`test_api.rs`, only with `--test-hooks`) change in the server's
//! behaviour: for now, stalled heartbeat answers.

use std::sync::Mutex;
use std::time::{Duration, Instant};
use crate::sync::LockExt;

/// State of the test controls.
#[derive(Default)]
pub struct TestHooks {
    stalled_until: Mutex<Option<Instant>>,
}

impl TestHooks {
    /// True while heartbeat answers are stalled (`POST /test/stall`).
    pub fn stalled(&self) -> bool {
        self.stalled_until.locked().is_some_and(|t| Instant::now() < t)
    }

    /// Stalls heartbeat answers for `ms` milliseconds.
    pub fn stall(&self, ms: u64) {
        *self.stalled_until.locked() = Some(Instant::now() + Duration::from_millis(ms));
    }
}
