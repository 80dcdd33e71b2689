//! The webhooks' outbox (`crate::webhooks`): each event kept per receiver URL from the moment its
//! sender takes it until the receiver has it (or every attempt failed), so a restart or a
//! failover sends what was still pending instead of losing it. Receivers may see an event twice
//! after a crash (at least once; they drop a repeated `id`), never lose one the outbox held. An
//! erasure removes a customer's pending events, and the retention period the old ones.

use super::{Result, Store};

/// One pending event.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingEvent {
    /// Its id (`X-Kefu-Delivery`).
    pub id: u64,
    /// Its type.
    pub event: String,
    /// The body sent.
    pub body: String,
    /// The customer it is about (an erasure removes it), if any.
    pub user_id: Option<String>,
    /// When it was made, ms since the epoch (the retention period removes it).
    pub created_at: i64,
}

impl Store {
    /// Keeps `events` for receiver `url` (an event already kept stays as it is).
    pub fn outbox_keep(&self, url: &str, events: &[PendingEvent]) -> Result<()> {
        on_backend!(self.outbox_keep(url, events))
    }

    /// Receiver `url`'s pending events, oldest first.
    pub fn outbox_pending(&self, url: &str) -> Result<Vec<PendingEvent>> {
        on_backend!(self.outbox_pending(url))
    }

    /// Forgets receiver `url`'s events `ids` (delivered, or given up).
    pub fn outbox_done(&self, url: &str, ids: &[u64]) -> Result<()> {
        on_backend!(self.outbox_done(url, ids))
    }

    /// Forgets the events of every receiver not in `urls` (one removed from the configuration);
    /// answers how many went.
    pub fn outbox_forget_others(&self, urls: &[String]) -> Result<u64> {
        on_backend!(self.outbox_forget_others(urls))
    }
}
