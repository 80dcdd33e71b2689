//! Which node routes: the one holding a PostgreSQL advisory lock (session-level, on a connection
//! of its own). Every other node waits in `pg_advisory_lock`; PostgreSQL releases the lock when
//! the holder's connection ends — the node died, was killed or lost the database — and grants it
//! to a waiting node at once. A routing node that loses the connection exits at once
//! (fail-stop), so two nodes never route at the same time.

use crate::app_state::AppState;
use crate::config::Config;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The advisory lock of the routing node: this key and the store's `search_path` (so clusters on
/// other schemas of the same database have their own). A partitioned cluster's owners hold it
/// shared, so nodes of the two kinds never route at once.
pub(super) const ROUTER_LOCK: i32 = 0x6b65_6675;

/// This node's view of the election.
pub struct Election {
    leader: AtomicBool,
    state: OnceLock<AppState>,
    /// The store, for the health check (the lock's connection may be waiting for the lock).
    store: String,
    health: tokio::sync::Mutex<Option<tokio_postgres::Client>>,
    /// A partitioned cluster: the partitions this node routes.
    pub(super) owned: std::sync::Mutex<std::collections::BTreeMap<String, super::partitions::Owned>>,
    /// A partitioned cluster: every partition has a routing node and this one has nothing to
    /// hand over (`/healthz` `settled`).
    pub(super) settled: AtomicBool,
}

impl Election {
    /// Starts campaigning: connects (again every second while the store cannot be reached), waits
    /// in `pg_advisory_lock` until PostgreSQL grants the lock, and on winning restores routing
    /// from the store and serves as the routing node.
    pub fn start(cfg: Config, nats: async_nats::Client, instance: String, gateway: Arc<super::gateway::Gateway>) -> Arc<Election> {
        let e = Arc::new(Election { leader: AtomicBool::new(false), state: OnceLock::new(), store: cfg.store.clone(), health: Default::default(), owned: Default::default(), settled: AtomicBool::new(false) });
        let e2 = e.clone();
        if cfg.partitioned {
            tokio::spawn(super::partitions::campaign(e2, cfg, nats, instance, gateway));
        } else {
            tokio::spawn(async move { e2.campaign(cfg, nats, instance, gateway).await });
        }
        e
    }

    /// Whether this node routes (a partitioned cluster's node: any partition).
    pub fn is_leader(&self) -> bool {
        self.leader.load(Ordering::Relaxed) || !self.owned.lock().unwrap_or_else(std::sync::PoisonError::into_inner).is_empty()
    }

    /// The partitions this node routes: every one on the routing node of an unpartitioned
    /// cluster, its own in a partitioned one.
    pub fn partitions(&self) -> Vec<String> {
        match self.state() {
            Some(s) => s.hub.partitions(),
            None => self.owned.lock().unwrap_or_else(std::sync::PoisonError::into_inner).keys().cloned().collect(),
        }
    }

    /// Whether routing is where it will stay: a routing node is known (unpartitioned), or every
    /// partition has its node and this one has none to hand over (partitioned).
    pub fn settled(&self, router_known: bool) -> bool {
        router_known || self.settled.load(Ordering::Relaxed)
    }

    /// The routing state, on the routing node.
    pub fn state(&self) -> Option<AppState> {
        self.state.get().cloned()
    }

    /// The routing state of each partition this node routes (a partitioned cluster).
    pub(super) fn owned_states(&self) -> Vec<(String, AppState)> {
        self.owned.lock().unwrap_or_else(std::sync::PoisonError::into_inner).iter().map(|(p, o)| (p.clone(), o.state.clone())).collect()
    }

    /// Whether the store answers, on a connection kept for the health check.
    pub async fn store_ok(&self) -> Result<(), String> {
        let mut health = self.health.lock().await;
        if health.as_ref().is_none_or(|c| c.is_closed()) {
            let connect = tokio::time::timeout(Duration::from_secs(2), tokio_postgres::connect(&self.store, tokio_postgres::NoTls));
            let (client, connection) = connect.await.map_err(|_| "the store did not answer in 2 s".to_owned())?.map_err(|e| e.to_string())?;
            tokio::spawn(connection);
            *health = Some(client);
        }
        let client = health.as_ref().expect("just set");
        match tokio::time::timeout(Duration::from_secs(2), client.simple_query("SELECT 1")).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("the store did not answer in 2 s".into()),
        }
    }

    async fn campaign(self: Arc<Self>, cfg: Config, nats: async_nats::Client, instance: String, gateway: Arc<super::gateway::Gateway>) {
        loop {
            let (client, connection) = match tokio_postgres::connect(&cfg.store, tokio_postgres::NoTls).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "store not reachable; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
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
            });
            // Waits (in PostgreSQL) until the lock is free.
            match client.query_one("SELECT pg_advisory_lock($1, hashtext(current_setting('search_path')))", &[&ROUTER_LOCK]).await {
                Ok(_) => {
                    self.lead(cfg.clone(), nats.clone(), instance.clone(), gateway.clone()).await;
                    return;
                }
                Err(e) => tracing::warn!(error = %e, "waiting for the routing lock failed; connecting again"),
            }
            drop(client);
            let _ = lost.await;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn lead(&self, cfg: Config, nats: async_nats::Client, instance: String, gateway: Arc<super::gateway::Gateway>) {
        tracing::info!(instance, "took the routing lock: restoring routing from the store");
        let state = restore(cfg, None).await;
        let _ = self.state.set(state.clone());
        self.leader.store(true, Ordering::Relaxed);
        if let Err(e) = super::router::run(state, nats, instance, gateway, None, None).await {
            tracing::error!(error = %e, "routing node stopped; exiting");
        }
        std::process::exit(75);
    }
}

/// Routing (of `partition`, in a partitioned cluster) restored from the store, off the async
/// workers; a node that cannot restore it exits (75), letting another node route.
pub(super) async fn restore(cfg: Config, partition: Option<String>) -> AppState {
    match tokio::task::spawn_blocking(move || crate::app_state::state_routing(cfg, partition.as_deref())).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "cannot restore routing from the store; exiting");
            std::process::exit(75);
        }
        Err(e) => {
            tracing::error!(error = %e, "restoring routing failed; exiting");
            std::process::exit(75);
        }
    }
}
