//! The routing node: the one node that holds the PostgreSQL advisory lock runs the hub (queue,
//! offers, presence, conversations) for the whole cluster. Every socket it serves is held by a
//! gateway node (itself included); opens come in on `kefu.in`, the frames after them on
//! `kefu.to.<node>` (through this node's gateway), frames go out on `kefu.out.<node>`, API
//! requests come in on `kefu.http`. The sockets of a node that stops
//! sending heartbeats end as if closed (the hub's grace period then applies).

use super::gateway::Gateway;
use super::wire::{self, Alive, HttpHead, InEv, InMsg, OpenReply, OutMsg};
use crate::hub::Out;
use crate::socket::{Incoming, RemoteSocket};
use crate::app_state::AppState;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tower::ServiceExt;
use crate::sync::LockExt;

/// A socket served here, held by gateway `node`.
struct Remote {
    node: String,
    tx: mpsc::UnboundedSender<Incoming>,
}

/// The routing node's state.
pub struct Router {
    app: axum::Router,
    nats: async_nats::Client,
    instance: String,
    remotes: Mutex<HashMap<String, Remote>>,
    seen: Mutex<HashMap<String, Instant>>,
    /// This node's own gateway: frames to the sockets it holds skip NATS; its batchers carry
    /// those to the other gateways (shared by every partition this node routes).
    gateway: Arc<Gateway>,
    max_body: usize,
}

/// Where the frames to one gateway's sockets go.
#[derive(Clone)]
enum Outlet {
    /// Another node: batched over NATS.
    Nats(wire::Batcher<OutMsg>),
    /// This node's own gateway, handed over directly.
    Local(Arc<Gateway>),
}

impl Outlet {
    async fn send(&self, m: OutMsg) {
        match self {
            Outlet::Nats(b) => b.send(m).await,
            Outlet::Local(g) => g.deliver([m]),
        }
    }
}

/// Runs the routing node (of `partition`, in a partitioned cluster) until the process ends
/// (leadership is given up only by exiting) or, for a partition, until `stop` says so (it is
/// handed to another node; `Ok` then, once it no longer listens or sends heartbeats);
/// unpartitioned, the sockets `gateway` (this node's) serves for it talk to it directly.
pub async fn run(state: AppState, nats: async_nats::Client, instance: String, gateway: Arc<Gateway>, partition: Option<String>, mut stop: Option<tokio::sync::watch::Receiver<bool>>) -> Result<(), String> {
    let max_body = state.cfg.max_upload_bytes + 1024 * 1024;
    crate::start_restored_timers(&state);
    let router = Arc::new(Router {
        app: crate::routes::app(state),
        nats: nats.clone(),
        instance: instance.clone(),
        remotes: Mutex::default(),
        seen: Mutex::default(),
        gateway: gateway.clone(),
        max_body,
    });
    gateway.route_locally(partition.as_deref(), router.clone());
    let mut socket_events = nats.subscribe(wire::in_subject(partition.as_deref())).await.map_err(|e| e.to_string())?;
    let mut http = nats.subscribe(wire::http_subject(partition.as_deref())).await.map_err(|e| e.to_string())?;
    let mut alive = nats.subscribe(wire::ALIVE).await.map_err(|e| e.to_string())?;
    tracing::info!(instance, ?partition, "routing node: serving the cluster's sockets and API");
    let mut tasks = Vec::new();
    {
        let r = router.clone();
        tasks.push(tokio::spawn(async move {
            while let Some(m) = http.next().await {
                let r = r.clone();
                tokio::spawn(async move { r.http(m).await });
            }
        }));
    }
    {
        let r = router.clone();
        tasks.push(tokio::spawn(async move {
            while let Some(m) = alive.next().await {
                if let Ok(a) = serde_json::from_slice::<Alive>(&m.payload) {
                    r.seen.locked().insert(a.node, Instant::now());
                }
            }
        }));
    }
    let beat_partition = partition.clone();
    {
        let r = router.clone();
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(wire::HEARTBEAT_MS));
            loop {
                tick.tick().await;
                let beat = serde_json::to_vec(&Alive { node: r.instance.clone(), partition: beat_partition.clone() }).expect("serializes");
                let _ = r.nats.publish(wire::ROUTER, beat.into()).await;
                r.reap_silent_nodes();
            }
        }));
    }
    let stopped = async {
        match stop.as_mut() {
            Some(rx) => {
                let _ = rx.wait_for(|s| *s).await;
            }
            None => std::future::pending().await,
        }
    };
    tokio::pin!(stopped);
    // One task, in order: an open is handled before the frames after it.
    loop {
        let m = tokio::select! {
            m = socket_events.next() => m,
            () = &mut stopped => {
                for t in tasks {
                    t.abort();
                }
                gateway.stop_routing_locally(partition.as_deref(), &router);
                tracing::info!(instance, ?partition, "routing of the partition stopped: handed to another node");
                return Ok(());
            }
        };
        let Some(m) = m else { break };
        match wire::decode_batch::<InMsg>(&m.payload) {
            Ok(batch) => {
                for msg in batch {
                    router.clone().socket_event(msg, m.reply.clone());
                }
            }
            Err(e) => tracing::warn!(error = %e, "malformed socket event skipped"),
        }
    }
    Err("the NATS subscription ended".into())
}

impl Router {
    /// One socket event from a gateway (over NATS, or this node's own directly), handled in the
    /// order its gateway sent it; an open answers on `reply`.
    pub(super) fn socket_event(self: Arc<Self>, msg: InMsg, reply: Option<async_nats::Subject>) {
        let InMsg { conn, node, ev, .. } = msg;
        match ev {
            InEv::Open { uri, headers, peer } => {
                // Registered here, in order; frames that follow wait in the socket's channel while
                // the handler (token check, store reads) runs in its own task, so a reconnect storm
                // does not hold up other sockets' frames.
                let socket = self.register(&conn, &node);
                tokio::spawn(async move {
                    let answer = self.open(&conn, socket, &uri, &headers, &peer).await;
                    if let Some(reply) = reply {
                        let _ = self.nats.publish(reply, serde_json::to_vec(&answer).expect("serializes").into()).await;
                    }
                });
            }
            InEv::Frame(inc) => {
                let end = matches!(inc, Incoming::End(_));
                let known = {
                    let mut remotes = self.remotes.locked();
                    let known = remotes.get(&conn).map(|r| r.tx.send(inc)).is_some();
                    if end {
                        remotes.remove(&conn);
                    }
                    known
                };
                if !known && !end {
                    // A socket a former routing node served: its client must reconnect here.
                    self.gateway.reconnect(&node, conn);
                }
            }
        }
    }

    /// The sockets this routing node serves (each until its gateway says it ended).
    pub(super) fn routed(&self) -> usize {
        self.remotes.locked().len()
    }

    /// A gateway's new socket: its frames in, and its frames out to the gateway in order until
    /// the hub and the session let go.
    fn register(&self, conn: &str, node: &str) -> RemoteSocket {
        self.seen.locked().entry(node.to_owned()).or_insert_with(Instant::now);
        let (in_tx, in_rx) = mpsc::unbounded_channel::<Incoming>();
        let out_tx = match (node == self.instance).then(|| self.gateway.writer_of(conn)).flatten() {
            // This node's own socket: the hub writes to its writer, which waits for each chat
            // frame's commit itself.
            Some(writer) => writer,
            None => self.forwarder(conn, node),
        };
        self.remotes.locked().insert(conn.to_owned(), Remote { node: node.to_owned(), tx: in_tx });
        RemoteSocket(Arc::new(Mutex::new(Some((in_rx, out_tx)))))
    }

    /// Where the hub writes the frames of gateway `node`'s socket `conn`: a task that passes them
    /// on in order (a chat frame once its message is committed, a replay once read) until the hub and the session let go.
    fn forwarder(&self, conn: &str, node: &str) -> mpsc::UnboundedSender<Out> {
        let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Out>();
        let (outbox, conn) = (self.outbox(node), conn.to_owned());
        tokio::spawn(async move {
            while let Some(out) = out_rx.recv().await {
                let out = match out {
                    Out::Durable(text, ticket) => match ticket.wait().await {
                        crate::store::ticket::Outcome::Stored(_) => Out::Text(text),
                        _ => continue,
                    },
                    Out::Replay(replay) => {
                        for text in replay.frames().await {
                            outbox.send(OutMsg { conn: conn.clone(), out: Out::Text(text) }).await;
                        }
                        continue;
                    }
                    other => other,
                };
                outbox.send(OutMsg { conn: conn.clone(), out }).await;
            }
        });
        out_tx
    }

    /// Serves a registered socket through the same handlers (and guard) as a local one.
    async fn open(&self, conn: &str, socket: RemoteSocket, uri: &str, headers: &[(String, String)], peer: &str) -> OpenReply {
        // The URI comes over NATS: one that does not parse is refused, never a panic.
        let mut req = match Request::builder().method("GET").uri(uri).body(Body::empty()) {
            Ok(r) => r,
            Err(e) => {
                self.remotes.locked().remove(conn);
                return OpenReply { status: 400, body: format!("bad socket URI: {e}"), router: self.instance.clone() };
            }
        };
        *req.headers_mut() = wire::header_map(headers);
        req.extensions_mut().insert(socket);
        req.extensions_mut().insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))));
        let response = match self.app.clone().oneshot(req).await {
            Ok(r) => r,
            Err(never) => match never {},
        };
        let status = response.status().as_u16();
        let body = axum::body::to_bytes(response.into_body(), 64 * 1024).await.map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        if status != 200 {
            self.remotes.locked().remove(conn);
        }
        OpenReply { status, body, router: self.instance.clone() }
    }

    /// The frames to gateway `node` (one publishing task per other node, on this node).
    fn outbox(&self, node: &str) -> Outlet {
        if node == self.instance {
            Outlet::Local(self.gateway.clone())
        } else {
            Outlet::Nats(self.gateway.outlet(node))
        }
    }

    /// Ends the sockets of nodes silent for longer than [`wire::NODE_DEAD_AFTER_MS`]: a node that
    /// was killed cannot say its sockets closed (its clients reconnect elsewhere meanwhile, and a
    /// new socket replaces the old one at once).
    fn reap_silent_nodes(&self) {
        let dead_after = Duration::from_millis(wire::NODE_DEAD_AFTER_MS);
        let mut seen = self.seen.locked();
        let dead: Vec<String> = seen.iter().filter(|(_, t)| t.elapsed() > dead_after).map(|(n, _)| n.clone()).collect();
        if dead.is_empty() {
            return;
        }
        for n in &dead {
            seen.remove(n);
        }
        drop(seen);
        self.gateway.forget_outlets(&dead);
        let mut remotes = self.remotes.locked();
        let before = remotes.len();
        remotes.retain(|_, r| {
            let gone = dead.contains(&r.node);
            if gone {
                let _ = r.tx.send(Incoming::End(None));
            }
            !gone
        });
        tracing::warn!(nodes = ?dead, sockets = before - remotes.len(), "nodes went silent: their sockets ended");
    }

    /// Answers a tunneled API request through the same router (and guard) as a local one.
    async fn http(&self, m: async_nats::Message) {
        let Some(reply) = m.reply else { return };
        let (head, body) = match wire::decode_http(&m.payload) {
            Ok((h, b)) => (h, b.to_vec()),
            Err(e) => {
                tracing::warn!(error = %e, "malformed tunneled request");
                return;
            }
        };
        let mut req = match Request::builder().method(head.method.as_str()).uri(&head.uri).body(Body::from(body)) {
            Ok(r) => r,
            Err(_) => return,
        };
        *req.headers_mut() = wire::header_map(&head.headers);
        req.extensions_mut().insert(ConnectInfo(head.peer.parse::<SocketAddr>().unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))));
        let response = match self.app.clone().oneshot(req).await {
            Ok(r) => r,
            Err(never) => match never {},
        };
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, self.max_body).await.unwrap_or_default();
        let head = HttpHead { status: parts.status.as_u16(), headers: wire::header_pairs(&parts.headers), ..HttpHead::default() };
        let _ = self.nats.publish(reply, wire::encode_http(&head, &body).into()).await;
    }
}
