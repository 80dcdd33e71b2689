//! Grace periods ending, one after another on one task: every grace period is as long, so they end
//! in the order they began, and 3 000 customers leaving at once are 3 000 expiries handled in turn
//! rather than 3 000 tasks contending for the hub's lock (which starved a node's heartbeat and
//! health check).

use super::Hub;
use std::sync::{Arc, Weak};
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;

/// Whose grace period it is.
pub(super) enum Who {
    Agent(String),
    Visitor(String),
}

/// The queue of grace periods running, started with the first.
pub(super) type GraceQueue = std::sync::OnceLock<UnboundedSender<(Instant, Who, u64)>>;

impl Hub {
    /// Agent `kf_id` disconnected (`epoch`, from [`Hub::agent_disconnected`]): after the grace
    /// period, [`Hub::agent_grace_expired`].
    pub fn agent_grace(self: &Arc<Self>, kf_id: String, epoch: u64) {
        self.grace_starts(Who::Agent(kf_id), epoch);
    }

    /// Customer `user_id` disconnected (`epoch`, from [`Hub::visitor_disconnected`]): after the
    /// grace period, [`Hub::visitor_grace_expired`].
    pub fn visitor_grace(self: &Arc<Self>, user_id: String, epoch: u64) {
        self.grace_starts(Who::Visitor(user_id), epoch);
    }

    fn grace_starts(self: &Arc<Self>, who: Who, epoch: u64) {
        let tx = self.graces.get_or_init(|| {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            tokio::spawn(run(Arc::downgrade(self), rx));
            tx
        });
        let _ = tx.send((Instant::now() + self.grace(), who, epoch));
    }
}

/// Ends each grace period at its time, in turn, off the async workers.
async fn run(hub: Weak<Hub>, mut rx: tokio::sync::mpsc::UnboundedReceiver<(Instant, Who, u64)>) {
    while let Some((at, who, epoch)) = rx.recv().await {
        tokio::time::sleep_until(at).await;
        let Some(hub) = hub.upgrade() else { return };
        let _ = tokio::task::spawn_blocking(move || match who {
            Who::Agent(kf_id) => hub.agent_grace_expired(&kf_id, epoch),
            Who::Visitor(user_id) => hub.visitor_grace_expired(&user_id, epoch),
        })
        .await;
    }
}
