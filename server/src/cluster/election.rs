//! Which node routes: the one holding a PostgreSQL advisory lock (session-level, on a connection
//! of its own). PostgreSQL releases it when that connection ends — the node died, was killed or
//! lost the database — and the next node's `pg_try_advisory_lock` takes it. A routing node that
//! loses the connection exits at once (fail-stop), so two nodes never route at the same time.

use crate::{AppState, Config};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// The advisory lock key of the routing node.
const ROUTER_LOCK: i64 = 0x6b65_6675_0002;

/// This node's view of the election.
pub struct Election {
    leader: AtomicBool,
    state: OnceLock<AppState>,
    client: Mutex<Option<Arc<tokio_postgres::Client>>>,
}

impl Election {
    /// Starts campaigning: connects, tries the lock every half second, and on winning restores
    /// routing from the store and serves as the routing node.
    pub fn start(cfg: Config, nats: async_nats::Client, instance: String) -> Arc<Election> {
        let e = Arc::new(Election { leader: AtomicBool::new(false), state: OnceLock::new(), client: Mutex::new(None) });
        let e2 = e.clone();
        tokio::spawn(async move { e2.campaign(cfg, nats, instance).await });
        e
    }

    /// Whether this node routes.
    pub fn is_leader(&self) -> bool {
        self.leader.load(Ordering::Relaxed)
    }

    /// The routing state, on the routing node.
    pub fn state(&self) -> Option<AppState> {
        self.state.get().cloned()
    }

    /// Whether the store answers, on this node's own connection.
    pub async fn store_ok(&self) -> Result<(), String> {
        let client = self.client.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let Some(client) = client else { return Err("no connection to the store".into()) };
        match tokio::time::timeout(Duration::from_secs(2), client.simple_query("SELECT 1")).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("the store did not answer in 2 s".into()),
        }
    }

    async fn campaign(self: Arc<Self>, cfg: Config, nats: async_nats::Client, instance: String) {
        loop {
            let (client, connection) = match tokio_postgres::connect(&cfg.store, tokio_postgres::NoTls).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "store not reachable; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let client = Arc::new(client);
            *self.client.lock().unwrap_or_else(|p| p.into_inner()) = Some(client.clone());
            let me = self.clone();
            let lost = tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::error!(error = %e, "store connection lost");
                }
                if me.is_leader() {
                    // Our lock went with the connection: another node may route now. Stop.
                    tracing::error!("routing node lost its lock: exiting so that only one node routes");
                    std::process::exit(75);
                }
                *me.client.lock().unwrap_or_else(|p| p.into_inner()) = None;
            });
            loop {
                if lost.is_finished() {
                    break; // connect again
                }
                match client.query_one("SELECT pg_try_advisory_lock($1)", &[&ROUTER_LOCK]).await {
                    Ok(row) if row.get::<_, bool>(0) => {
                        self.lead(cfg.clone(), nats.clone(), instance.clone()).await;
                        return;
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "lock attempt failed"),
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }

    async fn lead(&self, cfg: Config, nats: async_nats::Client, instance: String) {
        tracing::info!(instance, "took the routing lock: restoring routing from the store");
        let state = match tokio::task::spawn_blocking(move || crate::state(cfg)).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "cannot restore routing from the store; exiting");
                std::process::exit(75);
            }
            Err(e) => {
                tracing::error!(error = %e, "restoring routing failed; exiting");
                std::process::exit(75);
            }
        };
        let _ = self.state.set(state.clone());
        self.leader.store(true, Ordering::Relaxed);
        if let Err(e) = super::router::run(state, nats, instance).await {
            tracing::error!(error = %e, "routing node stopped; exiting");
        }
        std::process::exit(75);
    }
}
