//! The gateway every node of a cluster runs: it holds the WebSocket connections that reach this
//! node (through the load balancer) and tunnels them, and the API requests, to the routing node
//! over NATS. The console and the visitor page cannot tell: a refused socket gets the same HTTP
//! status as on one node, and an API request the same response.

use super::wire::{self, Alive, InEv, InMsg, OutMsg};
use crate::hub::partition_map::PartitionMap;
use crate::hub::Out;
use crate::socket::Incoming;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use crate::sync::LockExt;

mod handlers;
pub use handlers::{socket, tunnel};

/// How long a gateway waits for the routing node to answer.
const ROUTER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a gateway waits for some node to route when none does.
const ROUTER_GAP: Duration = Duration::from_secs(3);

/// A socket this node holds.
struct Held {
    tx: mpsc::UnboundedSender<Out>,
    /// The routing node that serves it (`None` while it opens).
    router: Option<String>,
    /// `agent` or `visitor`.
    kind: &'static str,
    /// The partition that routes it (a partitioned cluster).
    partition: Option<String>,
    /// The agent, for an agent's socket (its partition can change with the departments).
    kf_id: Option<String>,
}

/// Whether a routing node heard at `t` still counts as alive.
fn heard_lately(t: &Instant) -> bool {
    t.elapsed() < Duration::from_millis(wire::ROUTER_DEAD_AFTER_MS)
}

/// The gateway's state.
pub struct Gateway {
    pub(super) nats: async_nats::Client,
    pub(super) instance: String,
    next: AtomicU64,
    held: Mutex<HashMap<String, Held>>,
    /// The routing node last heard (per partition in a partitioned cluster, else under ""), and when.
    router: Mutex<HashMap<String, (String, Instant)>>,
    /// The nodes heard on `kefu.alive` (this one included), and when.
    nodes: Mutex<HashMap<String, Instant>>,
    /// A partitioned cluster's partitions, as the department settings make them.
    map: std::sync::RwLock<Option<PartitionMap>>,
    max_frame_bytes: usize,
    max_body: usize,
    /// The store, for where a customer's conversation is routed (a partitioned cluster).
    store: String,
    lookup: tokio::sync::Mutex<Option<Arc<tokio_postgres::Client>>>,
    /// Socket events to each routing node, in order, batched.
    inboxes: Mutex<HashMap<String, wire::Batcher<InMsg>>>,
    /// Frames from this node's routers to each other gateway, in order, batched (shared by the
    /// partitions this node routes).
    outlets: Mutex<HashMap<String, wire::Batcher<OutMsg>>>,
    /// This node's own routers, by partition ("" unpartitioned): the events of the sockets they
    /// serve here skip NATS both ways (no encoding, no round trip through the NATS server).
    locals: Mutex<HashMap<String, Arc<super::router::Router>>>,
}

impl Gateway {
    /// A gateway on `nats`; starts its heartbeat, the frames-to-sockets pump and the router watch.
    pub async fn start(nats: async_nats::Client, instance: String, cfg: &crate::config::Config) -> Result<Arc<Gateway>, String> {
        let g = Arc::new(Gateway {
            nats: nats.clone(),
            instance: instance.clone(),
            next: AtomicU64::new(0),
            held: Mutex::default(),
            router: Mutex::default(),
            nodes: Mutex::default(),
            map: std::sync::RwLock::new(cfg.partitioned.then(PartitionMap::default)),
            max_frame_bytes: cfg.max_frame_bytes,
            max_body: cfg.max_upload_bytes + 1024 * 1024,
            inboxes: Mutex::default(),
            outlets: Mutex::default(),
            store: cfg.store.clone(),
            lookup: tokio::sync::Mutex::default(),
            locals: Mutex::default(),
        });
        let mut out = nats.subscribe(wire::out_subject(&instance)).await.map_err(|e| e.to_string())?;
        let mut to_me = nats.subscribe(wire::to_subject(&instance)).await.map_err(|e| e.to_string())?;
        let mut router = nats.subscribe(wire::ROUTER).await.map_err(|e| e.to_string())?;
        let mut alive = nats.subscribe(wire::ALIVE).await.map_err(|e| e.to_string())?;
        let g2 = g.clone();
        tokio::spawn(async move {
            while let Some(m) = alive.next().await {
                if let Ok(a) = serde_json::from_slice::<Alive>(&m.payload) {
                    g2.nodes.locked().insert(a.node, Instant::now());
                }
            }
        });
        let g2 = g.clone();
        tokio::spawn(async move {
            while let Some(m) = out.next().await {
                let Ok(batch) = wire::decode_batch::<OutMsg>(&m.payload) else { continue };
                g2.deliver(batch);
            }
        });
        let g2 = g.clone();
        tokio::spawn(async move {
            while let Some(m) = to_me.next().await {
                match wire::decode_batch::<InMsg>(&m.payload) {
                    Ok(batch) => batch.into_iter().for_each(|msg| g2.to_router(msg)),
                    Err(e) => tracing::warn!(error = %e, "malformed socket event skipped"),
                }
            }
        });
        let g2 = g.clone();
        tokio::spawn(async move {
            while let Some(m) = router.next().await {
                if let Ok(a) = serde_json::from_slice::<Alive>(&m.payload) {
                    let key = a.partition.unwrap_or_default();
                    let moved = g2.router.locked().insert(key, (a.node.clone(), Instant::now())).is_none_or(|(old, _)| old != a.node);
                    if moved {
                        // A new routing node: its predecessor's sockets reconnect to it now.
                        g2.close_orphans();
                    }
                }
            }
        });
        let g2 = g.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(wire::HEARTBEAT_MS));
            loop {
                tick.tick().await;
                let beat = serde_json::to_vec(&Alive { node: g2.instance.clone(), partition: None }).expect("serializes");
                let _ = g2.nats.publish(wire::ALIVE, beat.into()).await;
                g2.close_orphans();
            }
        });
        Ok(g)
    }

    /// Frames from the routing node to the sockets held here, in order.
    pub(super) fn deliver(&self, batch: impl IntoIterator<Item = OutMsg>) {
        let mut held = self.held();
        for OutMsg { conn, out } in batch {
            let close = matches!(out, Out::Close(..));
            if let Some(h) = held.get(&conn) {
                let _ = h.tx.send(out);
            }
            if close {
                held.remove(&conn);
            }
        }
    }

    /// The writer of socket `conn` held here: the routing node's hub writes its own sockets'
    /// frames straight into it, as on one node (no forwarding task, no second channel).
    pub(super) fn writer_of(&self, conn: &str) -> Option<mpsc::UnboundedSender<Out>> {
        self.held().get(conn).map(|h| h.tx.clone())
    }

    /// The sockets this node's routers serve, on a routing node.
    pub(super) fn routed(&self) -> Option<usize> {
        let locals = self.locals.locked();
        (!locals.is_empty()).then(|| locals.values().map(|r| r.routed()).sum())
    }

    /// This node routes `partition` (`None` unpartitioned) now: the sockets it serves here talk
    /// to `router` directly from now on.
    pub(super) fn route_locally(&self, partition: Option<&str>, router: Arc<super::router::Router>) {
        self.locals.locked().insert(partition.unwrap_or_default().to_owned(), router);
    }

    /// `router` no longer routes `partition` (handed over).
    pub(super) fn stop_routing_locally(&self, partition: Option<&str>, router: &Arc<super::router::Router>) {
        let mut locals = self.locals.locked();
        let key = partition.unwrap_or_default();
        if locals.get(key).is_some_and(|r| Arc::ptr_eq(r, router)) {
            locals.remove(key);
        }
    }

    /// This node's router of `partition`, while it routes it.
    fn local_router(&self, partition: Option<&str>) -> Option<Arc<super::router::Router>> {
        self.locals.locked().get(partition.unwrap_or_default()).cloned()
    }

    /// A frame another gateway sent for a socket one of this node's routers serves. A partition
    /// no longer routed here (handed over, or the socket opened with a predecessor) tells the
    /// socket to reconnect.
    fn to_router(&self, msg: InMsg) {
        match self.local_router(msg.partition.as_deref()) {
            Some(router) => router.socket_event(msg, None),
            None if !matches!(msg.ev, InEv::Frame(Incoming::End(_))) => self.reconnect(&msg.node, msg.conn),
            None => {}
        }
    }

    /// Tells socket `conn` of gateway `node` (this one's directly) that its routing moved: its
    /// client reconnects (1012) and reaches the routing there is now.
    pub(super) fn reconnect(&self, node: &str, conn: String) {
        let close = OutMsg { conn, out: Out::Close(1012, "routing moved; reconnect".into()) };
        if node == self.instance {
            self.deliver([close]);
        } else {
            self.outlet(node).try_send(close);
        }
    }

    /// The batcher of frames from this node's routers to gateway `node`.
    pub(super) fn outlet(&self, node: &str) -> wire::Batcher<OutMsg> {
        self.outlets.locked().entry(node.to_owned()).or_insert_with(|| wire::Batcher::start(self.nats.clone(), wire::out_subject(node))).clone()
    }

    /// Forgets the batchers to gateways gone silent.
    pub(super) fn forget_outlets(&self, nodes: &[String]) {
        self.outlets.locked().retain(|n, _| !nodes.contains(n));
    }

    fn held(&self) -> std::sync::MutexGuard<'_, HashMap<String, Held>> {
        self.held.locked()
    }

    /// The unpartitioned routing node, if one was heard from lately.
    pub fn router(&self) -> Option<String> {
        self.router.locked().get("").filter(|(_, t)| heard_lately(t)).map(|(n, _)| n.clone())
    }

    /// Each partition's routing node heard lately (a partitioned cluster).
    pub fn owners(&self) -> std::collections::BTreeMap<String, String> {
        let r = self.router.locked();
        r.iter().filter(|(p, (_, t))| !p.is_empty() && heard_lately(t)).map(|(p, (n, _))| (p.clone(), n.clone())).collect()
    }

    /// The nodes heard from in the last `within` (this one included).
    pub fn nodes_alive(&self, within: Duration) -> Vec<String> {
        self.nodes.locked().iter().filter(|(_, t)| t.elapsed() < within).map(|(n, _)| n.clone()).collect()
    }

    /// The partition of a socket opened at `uri` (a partitioned cluster): a customer in an open
    /// conversation goes with their agent, else by [`super::placement::of_socket`].
    async fn place(&self, map: &PartitionMap, uri: &axum::http::Uri) -> String {
        if let Some(user_id) = super::placement::visitor_of(uri) {
            if let Some(p) = self.conversation_partition(map, &user_id).await {
                return p;
            }
        }
        super::placement::of_socket(map, uri)
    }

    /// The partition of customer `user_id`'s open conversation (its agent's), if they have one.
    async fn conversation_partition(&self, map: &PartitionMap, user_id: &str) -> Option<String> {
        let client = {
            // One connection, its queries pipelined: the lock is held only to open it.
            let mut lookup = self.lookup.lock().await;
            if lookup.as_ref().is_none_or(|c| c.is_closed()) {
                if let Ok((client, connection)) = tokio_postgres::connect(&self.store, tokio_postgres::NoTls).await {
                    tokio::spawn(connection);
                    *lookup = Some(Arc::new(client));
                }
            }
            lookup.clone()
        }?;
        match super::placement::agent_in_conversation(&client, user_id).await {
            Ok(kf) => kf.map(|kf| map.of_agent(&kf).to_owned()),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read where a customer's conversation is routed");
                None
            }
        }
    }

    /// A partitioned cluster's partitions now.
    pub fn map(&self) -> Option<PartitionMap> {
        self.map.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// The departments changed: sockets of agents now routed by another partition reconnect
    /// there (1012).
    pub(super) fn set_map(&self, map: PartitionMap) {
        *self.map.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(map.clone());
        let mut held = self.held();
        held.retain(|_, h| {
            let moved = h.kf_id.as_deref().is_some_and(|kf| h.partition.as_deref().is_some_and(|p| p != map.of_agent(kf)));
            if moved {
                let _ = h.tx.send(Out::Close(1012, "routed by another partition now; reconnect".into()));
            }
            !moved
        });
    }

    /// Sockets held here, by kind.
    pub fn sockets(&self) -> (usize, usize) {
        let held = self.held();
        let agents = held.values().filter(|h| h.kind == "agent").count();
        (agents, held.len() - agents)
    }

    /// Closes (1012, "service restart") the sockets whose routing node is gone or was replaced:
    /// their clients reconnect and resume with the routing node there is now.
    fn close_orphans(&self) {
        let routers = self.router.locked().clone();
        let current = |p: &Option<String>| routers.get(p.as_deref().unwrap_or_default()).filter(|(_, t)| heard_lately(t)).map(|(n, _)| n.clone());
        let mut held = self.held();
        let before = held.len();
        held.retain(|_, h| {
            let keep = h.router.is_none() || h.router == current(&h.partition);
            if !keep {
                let _ = h.tx.send(Out::Close(1012, "routing node changed; reconnect".into()));
            }
            keep
        });
        if held.len() < before {
            tracing::warn!(sockets = before - held.len(), "routing node lost: sockets closed for their clients to reconnect");
        }
    }

    /// A request to the routing node. While there is none (another node is taking routing over:
    /// NATS says nobody listens), asked again every 100 ms for up to [`ROUTER_GAP`], so a client
    /// that reconnects in that moment is served rather than refused.
    async fn ask_router(&self, subject: String, payload: Vec<u8>) -> Option<async_nats::Message> {
        let until = Instant::now() + ROUTER_GAP;
        loop {
            match tokio::time::timeout(ROUTER_TIMEOUT, self.nats.request(subject.clone(), payload.clone().into())).await {
                Ok(Ok(m)) => return Some(m),
                Ok(Err(e)) if e.kind() == async_nats::client::RequestErrorKind::NoResponders && Instant::now() < until => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                _ => return None,
            }
        }
    }

    /// A socket event to the node `to` that routes the socket (for `partition`): to `local`,
    /// when that is this node, directly.
    async fn publish_in(&self, conn: &str, ev: InEv, to: &Route) {
        let msg = InMsg { conn: conn.to_owned(), node: self.instance.clone(), partition: to.partition.clone(), ev };
        match &to.local {
            Some(router) => router.clone().socket_event(msg, None),
            None => {
                let inbox = self.inboxes.locked().entry(to.node.clone()).or_insert_with(|| wire::Batcher::start(self.nats.clone(), wire::to_subject(&to.node))).clone();
                inbox.send(msg).await;
            }
        }
    }
}

/// Where a socket's events go: the node routing it, its partition, and that node's router when
/// it is this node.
struct Route {
    node: String,
    partition: Option<String>,
    local: Option<Arc<super::router::Router>>,
}
