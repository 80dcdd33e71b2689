//! A partitioned cluster (`--partitioned`): each partition (`hub::partition_map`) is routed by
//! the node holding its advisory locks — one per department in it (`default` has its own), so
//! two nodes whose maps differ for a moment still never route a department at once — and the
//! shared routing lock, so an unpartitioned node never routes beside them. Spread (by weight:
//! `spread`): the node routing least takes the heaviest partition nobody routes; for a partition
//! another node routes it waits in `pg_advisory_lock`, so PostgreSQL grants the partition the
//! moment that node's connection ends, as for the unpartitioned routing node. Balance: a node
//! for which handing a partition to the node routing least would narrow their gap, for a while,
//! hands it over (its sockets told to reconnect, its store calls and commits finished and then
//! refused, its locks let go), naming that node; the other waiting nodes let it pass.
//! A change of the departments hands over each partition it touches the same way, each named
//! for the node `spread::plan` gives it under the new map, so it moves once; the nodes then take
//! the new map's partitions (their locks free once the old ones' are let go).

use super::election::{Election, ROUTER_LOCK};
use super::gateway::Gateway;
use super::spread;
use crate::config::Config;
use crate::hub::partition_map::{PartitionMap, DEFAULT};
use crate::app_state::AppState;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
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
const ALIVE_WITHIN: Duration = Duration::from_millis(1500);
/// How long a partition stays free before any node takes it, whatever the spread.
const FREE_FOR: Duration = Duration::from_secs(2);
/// How long an imbalance lasts before a partition is handed over (a node that just died or
/// started settles first).
const REBALANCE_AFTER: Duration = Duration::from_secs(3);
/// How long a hand-over's hint holds: other nodes granted the partition meanwhile let it go.
const HINT_FOR: Duration = Duration::from_secs(3);
/// A hand-over's hint: `{partition, to}` (the node it is meant for).
const HANDOFF: &str = "kefu.handoff";

/// A partition this node routes.
pub(super) struct Owned {
    /// Its routing.
    pub(super) state: AppState,
    stop: tokio::sync::watch::Sender<bool>,
}

/// A hand-over's hint.
#[derive(serde::Serialize, serde::Deserialize)]
struct Hint {
    partition: String,
    to: String,
}

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
    let row = match client.query_opt("SELECT value FROM meta WHERE key = $1", &[&crate::hub::DEPARTMENTS_KEY]).await {
        Ok(row) => row,
        // A new database: no store has made its tables yet (the first partition's routing will).
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE) => None,
        Err(e) => return Err(e.as_db_error().map_or_else(|| e.to_string(), |d| d.message().to_owned())),
    };
    let json: Option<String> = row.map(|r| r.get(0));
    Ok(PartitionMap::of(&crate::hub::saved_departments(json.as_deref())))
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

/// One node's campaign (see the module's comment).
struct Campaign {
    e: Arc<Election>,
    cfg: Config,
    nats: async_nats::Client,
    instance: String,
    gateway: Arc<Gateway>,
    /// Partitions this node waits for in PostgreSQL.
    waiting: Mutex<BTreeSet<String>>,
    /// Hand-overs meant for another node: partition → (that node, when heard).
    hints: Mutex<HashMap<String, (String, Instant)>>,
    /// Since when a hand-over would narrow the gap to another node ([`spread::to_hand_over`]).
    imbalanced: Mutex<Option<Instant>>,
    /// Since when each free partition has been seen free.
    free_since: Mutex<HashMap<String, Instant>>,
}

/// The campaign of one node of a partitioned cluster (see the module's comment).
pub(super) async fn campaign(e: Arc<Election>, cfg: Config, nats: async_nats::Client, instance: String, gateway: Arc<Gateway>) {
    let c = Arc::new(Campaign { e, cfg, nats, instance, gateway, waiting: Mutex::default(), hints: Mutex::default(), imbalanced: Mutex::default(), free_since: Mutex::default() });
    match c.nats.subscribe(HANDOFF).await {
        Ok(mut hints) => {
            let c2 = c.clone();
            tokio::spawn(async move {
                use futures_util::StreamExt;
                while let Some(m) = hints.next().await {
                    if let Ok(h) = serde_json::from_slice::<Hint>(&m.payload) {
                        c2.hints.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(h.partition, (h.to, Instant::now()));
                    }
                }
            });
        }
        Err(err) => tracing::warn!(error = %err, "cannot hear hand-overs; partitions may move twice"),
    }
    let never: Arc<dyn Fn() -> bool + Send + Sync> = Arc::new(|| false);
    let mut reader: Option<tokio_postgres::Client> = None;
    let mut map: Option<PartitionMap> = None;
    let mut read_at = Instant::now() - MAP_EVERY;
    let started = Instant::now();
    loop {
        if read_at.elapsed() >= MAP_EVERY {
            read_at = Instant::now();
            if reader.as_ref().is_none_or(tokio_postgres::Client::is_closed) {
                reader = connect(&c.cfg.store, never.clone()).await.map_err(|err| tracing::warn!(error = %err, "store not reachable; retrying")).ok();
            }
            if let Some(client) = &reader {
                match read_map(client).await {
                    Ok(new) if map.as_ref() != Some(&new) => {
                        tracing::info!(partitions = ?new.names(), "partitions");
                        c.gateway.set_map(new.clone());
                        // A partition this node routes that the change touches is handed over,
                        // to the node the plan names (this one too).
                        c.hand_over_changed(map.as_ref(), &new).await;
                        map = Some(new);
                    }
                    Ok(_) => {}
                    Err(err) => tracing::warn!(error = %err, "cannot read the departments"),
                }
            }
        }
        if let (Some(m), true) = (&map, started.elapsed() >= WARM_UP) {
            c.step(m).await;
        }
        tokio::time::sleep(TICK).await;
    }
}

impl Campaign {
    /// One look: a partition nobody routes taken while no node routes less than this one (by
    /// weight, `spread`), or by anyone once it has been free for [`FREE_FOR`]; the others'
    /// waited for; one handed over when that has narrowed the gap to another node for a while.
    async fn step(self: &Arc<Self>, map: &PartitionMap) {
        let owned: BTreeSet<String> = self.e.partitions().into_iter().collect();
        let names = map.names();
        let alive = self.gateway.nodes_alive(ALIVE_WITHIN);
        let mut owners = self.gateway.owners();
        owners.retain(|p, _| names.contains(p)); // a partition the departments no longer have is nobody's load
        let loads = spread::loads(map, &owners, &alive, &self.instance, &owned);
        let mut free: Vec<&String> = names.iter().filter(|p| !owned.contains(*p) && !owners.contains_key(*p)).collect();
        // Nodes starting together try the free partitions of one weight in different orders.
        free.sort_by_key(|p| {
            use std::hash::{Hash, Hasher};
            let mut h = std::hash::DefaultHasher::new();
            (&self.instance, p).hash(&mut h);
            h.finish()
        });
        let long_free = self.free_for_long(&free);
        // A partition handed over to a node (`hints`) is that node's to take, at once.
        let hinted: Vec<(&String, Option<String>)> = free.iter().map(|p| (*p, self.hinted(p))).collect();
        let mine = hinted.iter().find(|(_, to)| to.as_deref() == Some(self.instance.as_str())).map(|(p, _)| *p);
        let unhinted: Vec<&String> = hinted.iter().filter(|(_, to)| to.is_none()).map(|(p, _)| *p).collect();
        let take_now = mine.or_else(|| spread::to_take(map, &loads, &self.instance, &unhinted));
        if let Some(p) = take_now.or(long_free) {
            self.e.settled.store(false, Ordering::Relaxed);
            let holds = Arc::new(AtomicBool::new(false));
            let h = holds.clone();
            if let Ok(client) = connect(&self.cfg.store, Arc::new(move || h.load(Ordering::SeqCst))).await {
                match take(&client, map, p, false).await {
                    Ok(true) => {
                        holds.store(true, Ordering::SeqCst);
                        self.clone().lead(p.clone(), client, holds).await;
                    }
                    Ok(false) => {}
                    Err(err) => tracing::warn!(error = %err, partition = %p, "cannot take the partition's locks"),
                }
            }
            return;
        }
        for p in owners.keys().filter(|p| !owned.contains(*p)) {
            self.wait_for(map, p);
        }
        let nothing_to_hand_over = self.balance(map, &loads).await;
        self.e.settled.store(free.is_empty() && nothing_to_hand_over, Ordering::Relaxed);
    }

    /// The first of `free` nobody has taken for [`FREE_FOR`] (a node that should have taken it
    /// has not: routing it anywhere comes before spreading it well).
    fn free_for_long<'a>(&self, free: &[&'a String]) -> Option<&'a String> {
        let mut since = self.free_since.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        since.retain(|p, _| free.contains(&p));
        for p in free {
            since.entry((*p).clone()).or_insert_with(Instant::now);
        }
        free.iter().find(|p| since.get(**p).is_some_and(|t| t.elapsed() >= FREE_FOR)).copied()
    }

    /// Waits in PostgreSQL for partition `p`, which another node routes, to take it the moment
    /// it is free (unless a hand-over names another node).
    fn wait_for(self: &Arc<Self>, map: &PartitionMap, p: &str) {
        if !self.waiting.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(p.to_owned()) {
            return;
        }
        let (c, map, p) = (self.clone(), map.clone(), p.to_owned());
        tokio::spawn(async move {
            let holds = Arc::new(AtomicBool::new(false));
            let h = holds.clone();
            let taken = match connect(&c.cfg.store, Arc::new(move || h.load(Ordering::SeqCst))).await {
                Ok(client) => match take(&client, &map, &p, true).await {
                    Ok(true) => Some(client),
                    _ => None,
                },
                Err(_) => None,
            };
            let meant_for_another = c.hinted(&p).is_some_and(|to| to != c.instance);
            if meant_for_another {
                drop(taken); // let it pass to the node it was handed to
                tokio::time::sleep(Duration::from_millis(100)).await;
            } else if let Some(client) = taken {
                holds.store(true, Ordering::SeqCst);
                c.clone().lead(p.clone(), client, holds).await;
            }
            c.waiting.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&p);
        });
    }

    /// Hands a partition over once [`spread::to_hand_over`] has named one for
    /// [`REBALANCE_AFTER`]; whether it names none (this node has nothing to hand over).
    async fn balance(&self, map: &PartitionMap, loads: &std::collections::BTreeMap<String, u64>) -> bool {
        let sockets: std::collections::BTreeMap<String, usize> = {
            let all = self.e.owned.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            all.iter().map(|(p, o)| { let (a, v, _) = o.state.hub.gauges(); (p.clone(), a + v) }).collect()
        };
        let Some((p, to)) = spread::to_hand_over(map, loads, &self.instance, &sockets) else {
            *self.imbalanced.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
            return true;
        };
        let since = *self.imbalanced.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get_or_insert_with(Instant::now);
        if since.elapsed() < REBALANCE_AFTER {
            return false;
        }
        *self.imbalanced.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        tracing::info!(partition = %p, to, "handing a partition over to balance the nodes");
        self.hint(&p, &to).await;
        let _ = self.nats.flush().await;
        // The other nodes hear the hint before the locks go.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let stop = self.e.owned.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&p).map(|o| o.stop.clone());
        if let Some(stop) = stop {
            let _ = stop.send(true);
        }
        false
    }

    /// Tells every node that partition `p` is handed over to node `to` (flushed by the caller).
    async fn hint(&self, p: &str, to: &str) {
        let hint = serde_json::to_vec(&Hint { partition: p.to_owned(), to: to.to_owned() }).expect("serializes");
        let _ = self.nats.publish(HANDOFF, hint.into()).await;
    }

    /// The node a hand-over heard within [`HINT_FOR`] names for partition `p`.
    fn hinted(&self, p: &str) -> Option<String> {
        let hints = self.hints.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        hints.get(p).filter(|(_, at)| at.elapsed() < HINT_FOR).map(|(to, _)| to.clone())
    }

    /// Hands over each partition this node routes that `map` has not, or whose departments or
    /// agents differ in `map` from those it was restored under. With the map it replaces (`old`),
    /// each goes to the node [`spread::plan`] names for it, told to every node first (a hint, as
    /// [`Campaign::balance`] gives), so it moves once.
    async fn hand_over_changed(&self, old: Option<&PartitionMap>, map: &PartitionMap) {
        let stale: Vec<(String, tokio::sync::watch::Sender<bool>)> = {
            let owned = self.e.owned.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            owned
                .iter()
                .filter(|(p, o)| map.departments(p).is_none() || o.state.hub.partition_map().is_none_or(|was| PartitionMap::changed(&was, map).contains(*p)))
                .filter(|(_, o)| !*o.stop.borrow())
                .map(|(p, o)| (p.clone(), o.stop.clone()))
                .collect()
        };
        if stale.is_empty() {
            return;
        }
        let to = match old {
            Some(old) => {
                let moving: BTreeSet<String> = PartitionMap::changed(old, map).into_iter().filter(|p| map.departments(p).is_some()).collect();
                let mut keep: std::collections::BTreeMap<String, String> = self.gateway.owners();
                keep.retain(|p, _| map.departments(p).is_some() && !moving.contains(p));
                for p in self.e.partitions() {
                    if map.departments(&p).is_some() && !moving.contains(&p) {
                        keep.insert(p, self.instance.clone());
                    }
                }
                spread::plan(map, &keep, &self.gateway.nodes_alive(ALIVE_WITHIN), &moving)
            }
            None => Default::default(),
        };
        for (p, _) in &stale {
            if let Some(node) = to.get(p) {
                self.hint(p, node).await;
            }
        }
        if stale.iter().any(|(p, _)| to.contains_key(p)) {
            let _ = self.nats.flush().await;
            tokio::time::sleep(Duration::from_millis(200)).await; // heard before the locks go
        }
        for (p, stop) in stale {
            tracing::info!(partition = %p, to = ?to.get(&p), "the departments changed a partition this node routes: handing it over");
            let _ = stop.send(true);
        }
    }

    /// This node routes partition `name` now (its locks held on `lock`, whose loss ends the
    /// process while `holds`): routing restored from the store for it, then served until the
    /// process ends or it is handed over.
    async fn lead(self: Arc<Self>, name: String, lock: tokio_postgres::Client, holds: Arc<AtomicBool>) {
        if self.gateway.map().is_none_or(|m| m.departments(&name).is_none()) {
            tracing::info!(partition = %name, "granted a partition the departments no longer have; letting it go");
            holds.store(false, Ordering::SeqCst);
            return; // `lock` closes: its locks go with it
        }
        tracing::info!(instance = %self.instance, partition = %name, "took the partition's locks: restoring its routing from the store");
        let state = super::election::restore(self.cfg.clone(), Some(name.clone())).await;
        let (stop, stopped) = tokio::sync::watch::channel(false);
        self.e.owned.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(name.clone(), Owned { state: state.clone(), stop });
        // The departments may have changed while it was restored: then it goes at once.
        if let Some(now) = self.gateway.map() {
            self.hand_over_changed(None, &now).await;
        }
        tokio::spawn(async move {
            let run = super::router::run(state.clone(), self.nats.clone(), self.instance.clone(), self.gateway.clone(), Some(name.clone()), Some(stopped));
            if let Err(err) = run.await {
                tracing::error!(error = %err, "a partition's routing stopped; exiting");
                std::process::exit(75);
            }
            // Handed over: no longer listening; its clients reconnect (to the next owner, once
            // it answers), what is being written is committed, nothing after, and the locks go.
            state.hub.close_all(1012, "routing moved to another node; reconnect");
            let store = state.hub.store_arc();
            let _ = tokio::task::spawn_blocking(move || store.retire()).await;
            self.e.owned.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&name);
            holds.store(false, Ordering::SeqCst);
            drop(lock);
            tracing::info!(partition = %name, "partition handed over");
        });
    }
}
