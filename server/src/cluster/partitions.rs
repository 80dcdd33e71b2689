//! A partitioned cluster (`--partitioned`): each partition (`hub::partition_map`) is routed by
//! the node holding its advisory locks — one per department in it (`default` has its own), so
//! two nodes whose maps differ for a moment still never route a department at once — and the
//! shared routing lock, so an unpartitioned node never routes beside them. Spread: a node takes
//! a partition nobody routes while it routes fewer than its share (partitions ÷ nodes heard);
//! for a partition another node routes it waits in `pg_advisory_lock`, so PostgreSQL grants the
//! partition the moment that node's connection ends, as for the unpartitioned routing node.
//! A change of the departments that changes a partition this node routes ends the process
//! (exit 75), like a lost lock: its supervisor starts it again and routing is restored from
//! the store under the new map.

use super::election::{Election, ROUTER_LOCK};
use super::gateway::Gateway;
use crate::config::Config;
use crate::hub::partition_map::{PartitionMap, DEFAULT};
use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The advisory locks of the partitions: this key and `<search_path>/<department>`.
const PARTITION_LOCK: i32 = 0x6b65_6676;
/// How long a starting node listens for the others before it takes partitions.
const WARM_UP: Duration = Duration::from_millis(1500);
/// How often a node looks for partitions to take, and reads the departments again.
const TICK: Duration = Duration::from_millis(250);
const MAP_EVERY: Duration = Duration::from_secs(1);
/// A node counts as alive while heard within this.
const ALIVE_WITHIN: Duration = Duration::from_secs(2);

/// Connects to the store; the connection's task ends the process if `fatal` says the
/// connection holds partitions this node routes.
async fn connect(store: &str, fatal: Arc<dyn Fn() -> bool + Send + Sync>) -> Result<tokio_postgres::Client, String> {
    let (client, connection) = tokio_postgres::connect(store, tokio_postgres::NoTls).await.map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "store connection ended");
        }
        if fatal() {
            tracing::error!("a partition's lock connection was lost: exiting so that only one node routes it");
            std::process::exit(75);
        }
    });
    Ok(client)
}

/// The departments' partitions, as saved in the store.
async fn read_map(client: &tokio_postgres::Client) -> Result<PartitionMap, String> {
    let row = client.query_opt("SELECT value FROM meta WHERE key = 'settings.departments'", &[]).await.map_err(|e| e.to_string())?;
    let settings = row.and_then(|r| serde_json::from_str::<crate::hub::DepartmentSettings>(&r.get::<_, String>(0)).ok()).unwrap_or_default();
    Ok(PartitionMap::of(&settings))
}

/// The lock keys' second halves of partition `name`: its departments, or `default`.
fn lock_names(map: &PartitionMap, name: &str) -> Vec<String> {
    let deps: Vec<String> = map.departments(name).map(|d| d.iter().cloned().collect()).unwrap_or_default();
    if deps.is_empty() { vec![DEFAULT.to_owned()] } else { deps }
}

const TRY: &str = "SELECT pg_try_advisory_lock($1, hashtext(current_setting('search_path') || '/' || $2))";
const WAIT: &str = "SELECT pg_advisory_lock($1, hashtext(current_setting('search_path') || '/' || $2))";
const SHARED: &str = "SELECT pg_try_advisory_lock_shared($1, hashtext(current_setting('search_path')))";

/// Takes every lock of partition `name` on `client` now, or none (`wait`: waits for each, in
/// order, instead).
async fn take(client: &tokio_postgres::Client, map: &PartitionMap, name: &str, wait: bool) -> Result<bool, String> {
    if !client.query_one(SHARED, &[&ROUTER_LOCK]).await.map_err(|e| e.to_string())?.get::<_, bool>(0) {
        tracing::error!("an unpartitioned routing node holds the routing lock: start every node with --partitioned, or none");
        return Ok(false);
    }
    for d in lock_names(map, name) {
        if wait {
            client.query_one(WAIT, &[&PARTITION_LOCK, &d]).await.map_err(|e| e.to_string())?;
        } else if !client.query_one(TRY, &[&PARTITION_LOCK, &d]).await.map_err(|e| e.to_string())?.get::<_, bool>(0) {
            return Ok(false); // the caller drops the connection: what it took goes with it
        }
    }
    Ok(true)
}

/// The campaign of one node of a partitioned cluster (see the module's comment).
pub(super) async fn campaign(e: Arc<Election>, cfg: Config, nats: async_nats::Client, instance: String, gateway: Arc<Gateway>) {
    let never: Arc<dyn Fn() -> bool + Send + Sync> = Arc::new(|| false);
    let mut reader: Option<tokio_postgres::Client> = None;
    let mut map: Option<PartitionMap> = None;
    let mut read_at = Instant::now() - MAP_EVERY;
    let started = Instant::now();
    // Partitions this node waits for (a waiter task each).
    let waiting: Arc<Mutex<HashSet<String>>> = Arc::default();
    loop {
        if read_at.elapsed() >= MAP_EVERY {
            read_at = Instant::now();
            if reader.as_ref().is_none_or(tokio_postgres::Client::is_closed) {
                reader = connect(&cfg.store, never.clone()).await.map_err(|err| tracing::warn!(error = %err, "store not reachable; retrying")).ok();
            }
            if let Some(client) = &reader {
                match read_map(client).await {
                    Ok(new) if map.as_ref() != Some(&new) => {
                        if let Some(old) = &map {
                            let owned: Vec<String> = e.owned.lock().unwrap_or_else(std::sync::PoisonError::into_inner).keys().cloned().collect();
                            let changed = PartitionMap::changed(old, &new);
                            if owned.iter().any(|p| changed.contains(p)) {
                                tracing::error!(partitions = ?owned, "the departments changed a partition this node routes: exiting to route under the new map");
                                std::process::exit(75);
                            }
                        }
                        tracing::info!(partitions = ?new.names(), "partitions");
                        gateway.set_map(new.clone());
                        map = Some(new);
                    }
                    Ok(_) => {}
                    Err(err) => tracing::warn!(error = %err, "cannot read the departments"),
                }
            }
        }
        if let (Some(m), true) = (&map, started.elapsed() >= WARM_UP) {
            step(&e, &cfg, &nats, &instance, &gateway, m, &waiting).await;
        }
        tokio::time::sleep(TICK).await;
    }
}

/// One look for partitions to take: nobody's, while under this node's share; another node's,
/// waited for.
async fn step(e: &Arc<Election>, cfg: &Config, nats: &async_nats::Client, instance: &str, gateway: &Arc<Gateway>, map: &PartitionMap, waiting: &Arc<Mutex<HashSet<String>>>) {
    let owned: BTreeSet<String> = e.owned.lock().unwrap_or_else(std::sync::PoisonError::into_inner).keys().cloned().collect();
    let names = map.names();
    let share = names.len().div_ceil(gateway.nodes_alive(ALIVE_WITHIN).max(1));
    let owners = gateway.owners();
    let mut free: Vec<&String> = names.iter().filter(|p| !owned.contains(*p) && !owners.contains_key(*p)).collect();
    // Nodes starting together try the free partitions in different orders.
    free.sort_by_key(|p| {
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        (instance, p).hash(&mut h);
        h.finish()
    });
    if owned.len() < share {
        if let Some(p) = free.first() {
            let holds = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let h = holds.clone();
            if let Ok(client) = connect(&cfg.store, Arc::new(move || h.load(std::sync::atomic::Ordering::SeqCst))).await {
                match take(&client, map, p, false).await {
                    Ok(true) => {
                        holds.store(true, std::sync::atomic::Ordering::SeqCst);
                        lead(e.clone(), cfg.clone(), nats.clone(), instance.to_owned(), gateway.clone(), (*p).clone(), client).await;
                    }
                    Ok(false) => {}
                    Err(err) => tracing::warn!(error = %err, partition = %p, "cannot take the partition's locks"),
                }
            }
            return;
        }
    }
    // Another node routes these: wait in PostgreSQL for each, to take it the moment it is free.
    for p in owners.keys().filter(|p| !owned.contains(*p) && names.contains(p)) {
        if !waiting.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(p.clone()) {
            continue;
        }
        let (e, cfg, nats, instance, gateway, map, p, waiting) = (e.clone(), cfg.clone(), nats.clone(), instance.to_owned(), gateway.clone(), map.clone(), p.clone(), waiting.clone());
        tokio::spawn(async move {
            let holds = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let h = holds.clone();
            let taken = match connect(&cfg.store, Arc::new(move || h.load(std::sync::atomic::Ordering::SeqCst))).await {
                Ok(client) => match take(&client, &map, &p, true).await {
                    Ok(true) => Some(client),
                    _ => None,
                },
                Err(_) => None,
            };
            waiting.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&p);
            if let Some(client) = taken {
                holds.store(true, std::sync::atomic::Ordering::SeqCst);
                lead(e, cfg, nats, instance, gateway, p, client).await;
            }
        });
    }
}

/// This node routes partition `name` now (its locks held on `lock`, kept open as long as the
/// process lives): routing restored from the store for it, then served.
async fn lead(e: Arc<Election>, cfg: Config, nats: async_nats::Client, instance: String, gateway: Arc<Gateway>, name: String, lock: tokio_postgres::Client) {
    if gateway.map().is_none_or(|m| m.departments(&name).is_none()) {
        tracing::info!(partition = %name, "granted a partition the departments no longer have; letting it go");
        return; // `lock` closes: its locks go with it
    }
    tracing::info!(instance, partition = %name, "took the partition's locks: restoring its routing from the store");
    let p = name.clone();
    let state = match tokio::task::spawn_blocking(move || crate::app_state::state_routing(cfg, Some(&p))).await {
        Ok(Ok(s)) => s,
        Ok(Err(err)) => {
            tracing::error!(error = %err, "cannot restore routing from the store; exiting");
            std::process::exit(75);
        }
        Err(err) => {
            tracing::error!(error = %err, "restoring routing failed; exiting");
            std::process::exit(75);
        }
    };
    e.owned.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(name.clone(), state.clone());
    tokio::spawn(async move {
        let _lock = lock; // the partition's locks live as long as this task
        if let Err(err) = super::router::run(state, nats, instance, gateway, Some(name)).await {
            tracing::error!(error = %err, "a partition's routing stopped; exiting");
        }
        std::process::exit(75);
    });
}
