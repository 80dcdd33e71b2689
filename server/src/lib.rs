//! kefu-server: the reference chat server for kefu-agent. It speaks the original `chatDialog.js`
//! protocol to agents, a small JSON protocol to visitors, serves the console, and stores every
//! message in SQLite (one node) or PostgreSQL (one node or a cluster over NATS).
//!
//! This root only declares the modules and re-exports what `main.rs` and the tests use; the state
//! lives in [`app_state`], the routes in [`routes`], the pages in [`pages`].

#![warn(missing_docs)]

pub mod anyhow_like;
pub mod app_state;
pub mod auth;
pub mod auth_api;
pub mod cluster;
pub mod config;
pub mod context_api;
pub mod http_api;
pub mod http_serve;
pub mod lifecycle_api;
pub mod departments_api;
pub mod hub;
pub mod metrics;
pub mod nul;
pub mod ops_api;
pub mod pages;
pub mod privacy_api;
pub mod protocol;
pub mod reports;
pub mod reports_api;
pub mod reply;
pub mod routes;
pub mod schedule;
pub mod search_api;
pub mod socket;
pub mod store;
pub mod supervisor_api;
pub mod sync;
pub mod guard;
pub mod health_api;
pub mod test_api;
pub mod transcripts_api;
pub mod test_hooks;
pub mod webhooks;
pub mod webhooks_api;
pub mod ws;
pub mod acks;

pub use app_state::{state, AppState};
pub use auth::passwd::{set_password, set_password_to};
pub use config::Config;
pub use pages::www;
pub use routes::{app, API_PREFIXES};


/// Starts the routing node's background work: the grace timers of the agents whose conversations
/// were restored from the store (so those who never come back hand their customers on), and the
/// live board's push to supervisors (at most once a second, only when it changed), and the
/// inactivity rules (offer timeouts, idle conversations), judged once a second.
pub fn start_restored_timers(state: &AppState) {
    for (kf_id, epoch) in state.restored.clone() {
        state.hub.agent_grace(kf_id, epoch);
    }
    state.hub.webhooks.start(state.hub.store_arc());
    if state.cfg.retention_days > 0 {
        let app = state.clone();
        tokio::spawn(async move {
            let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
            loop {
                hourly.tick().await; // the first at once
                let a = app.clone();
                let _ = tokio::task::spawn_blocking(move || privacy_api::retention_pass(&a.hub, &a.cfg)).await;
            }
        });
    }
    let hub = std::sync::Arc::downgrade(&state.hub);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            match hub.upgrade() {
                Some(hub) => {
                    hub.lifecycle_tick();
                    hub.push_board();
                }
                None => break, // the server stopped
            }
        }
    });
}

/// Serves on an already bound listener until `shutdown` resolves; then closes every socket with
/// 1001 and checkpoints the store.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let hub = state.hub.clone();
    let header_timeout = std::time::Duration::from_millis(state.cfg.header_read_timeout_ms);
    start_restored_timers(&state);
    let router = app(state);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let hub2 = hub.clone();
    tokio::spawn(async move {
        shutdown.await;
        hub2.shutdown();
        // Let the close frames go out before connections are cut.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let _ = tx.send(());
    });
    let r = http_serve::serve(listener, router, header_timeout, async { let _ = rx.await; }).await;
    hub.store().checkpoint();
    r
}
