//! Past one machine: several nodes on one PostgreSQL store, talking over NATS. Every node is a
//! gateway (it holds the sockets and API requests the load balancer sends it); the node holding a
//! PostgreSQL advisory lock is also the routing node, the one hub that decides queue, offers,
//! presence and conversations for the cluster, so "one open offer per customer", "first come,
//! first offered" and "accepted once" hold as on one node. When it dies, PostgreSQL releases its
//! lock with its connection, another node takes it and restores routing from the store, and the
//! gateways close the sockets it served so their clients resume there (held frames, `seq`
//! replay, `ack` re-sends). Why this is correct: docs/deployment.md.

mod affinity;
mod boards;
mod election;
mod exposition;
mod partitions;
mod placement;
pub mod gateway;
mod router;
mod spread;
pub mod wire;

use crate::config::Config;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;

/// What a cluster node's handlers share.
#[derive(Clone)]
pub struct Node {
    /// Its gateway.
    pub gateway: Arc<gateway::Gateway>,
    /// Its health view of the store and its leadership.
    pub election: Arc<election::Election>,
    /// The load balancers' addresses (`--trusted-proxies`): only they read `/cluster/affinity`.
    pub trusted_proxies: Arc<[std::net::IpAddr]>,
}

/// Connects to NATS, retrying while it is not up yet.
async fn connect_nats(url: &str, name: &str) -> async_nats::Client {
    loop {
        let options = async_nats::ConnectOptions::new().name(name).retry_on_initial_connect().request_timeout(Some(std::time::Duration::from_secs(10)));
        match options.connect(url).await {
            Ok(c) => return c,
            Err(e) => {
                tracing::warn!(error = %e, url, "NATS not reachable yet; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }
}

/// Serves a cluster node on `listener` until `shutdown` resolves.
pub async fn serve(listener: tokio::net::TcpListener, cfg: Config, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> Result<(), String> {
    let Some(nats_url) = cfg.nats.clone() else { return Err("cluster mode needs --nats".into()) };
    if !cfg.postgres() {
        return Err("a cluster needs a PostgreSQL --store (postgres://…): SQLite is one node's".into());
    }
    let node_id = cfg.node_id.clone().unwrap_or_else(|| "node".into());
    let instance = format!("{node_id}-{}", hex::encode(crate::auth::keys::random_bytes::<4>()));
    let nats = connect_nats(&nats_url, &instance).await;
    let gateway = gateway::Gateway::start(nats.clone(), instance.clone(), &cfg).await?;
    let election = election::Election::start(cfg.clone(), nats.clone(), instance.clone(), gateway.clone());
    if cfg.partitioned {
        boards::start(election.clone(), nats.clone());
    }
    let node = Node { gateway, election, trusted_proxies: cfg.trusted_proxies.clone().into() };
    tracing::info!(instance, "cluster node up; routing node: whoever holds the lock");
    let router = axum::Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/cluster/affinity", get(affinity::affinity))
        .route("/websocket/visitor/{user_id}", get(gateway::socket))
        .route("/websocket/{kf_id}", get(gateway::socket));
    let mut router = router;
    for prefix in crate::routes::API_PREFIXES {
        router = router.route(&format!("{prefix}{{*rest}}"), axum::routing::any(gateway::tunnel));
        if !prefix.ends_with('/') {
            router = router.route(prefix, axum::routing::any(gateway::tunnel));
        }
    }
    // A gateway's own refusals (a body too large to tunnel, no answer) in the API's shape too.
    let router = router.layer(axum::middleware::from_fn(crate::reply::refusals_in_shape));
    let app = router.with_state(node).fallback_service(crate::pages::www(&cfg));
    crate::http_serve::serve(listener, app, std::time::Duration::from_millis(cfg.header_read_timeout_ms), shutdown).await.map_err(|e| e.to_string())
}

/// `GET /healthz` on a cluster node: 200 while its store and NATS answer (any node can take
/// sockets: the routing node is found through NATS), else 503 with the reason.
async fn healthz(State(node): State<Node>) -> Response {
    let nats = node.gateway.nats.connection_state() == async_nats::connection::State::Connected;
    let store = node.election.store_ok().await;
    let body = serde_json::json!({
        "status": if nats && store.is_ok() { "ok" } else { "unavailable" },
        "store": store.clone().err().unwrap_or_else(|| "ok".into()),
        "nats": if nats { "ok" } else { "disconnected" },
        "node": node.gateway.instance,
        "routing": node.election.is_leader(),
        "partitions": node.election.partitions(),
        "router": node.gateway.router(),
        "owners": node.gateway.owners(),
        "settled": node.election.settled(node.gateway.router().is_some()),
    });
    let status = if nats && store.is_ok() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, axum::Json(body)).into_response()
}

/// `GET /metrics` on a cluster node: its own sockets, whether it routes, and (on a routing
/// node) the hub's metrics — each partition's, labelled `partition`, in a partitioned cluster.
async fn metrics(State(node): State<Node>) -> Response {
    use prometheus_client::metrics::{family::Family, gauge::Gauge};
    let (agents, visitors) = node.gateway.sockets();
    let mut registry = prometheus_client::registry::Registry::with_prefix("kefu_node");
    let sockets = Family::<Vec<(String, String)>, Gauge>::default();
    sockets.get_or_create(&vec![("kind".into(), "agent".into())]).set(agents as i64);
    sockets.get_or_create(&vec![("kind".into(), "visitor".into())]).set(visitors as i64);
    let routing = Gauge::<i64>::default();
    routing.set(i64::from(node.election.is_leader()));
    // What crosses NATS (the routing node's own sockets do not: their traffic stays in-process).
    let nats = node.gateway.nats.statistics();
    let nats_bytes = Family::<Vec<(String, String)>, prometheus_client::metrics::counter::Counter>::default();
    for (direction, bytes) in [("in", &nats.in_bytes), ("out", &nats.out_bytes)] {
        nats_bytes.get_or_create(&vec![("direction".into(), direction.into())]).inc_by(bytes.load(std::sync::atomic::Ordering::Relaxed));
    }
    registry.register("sockets", "Sockets this node holds, by kind", sockets);
    registry.register("routing", "Whether this node is the routing node", routing);
    registry.register("nats_bytes", "Payload bytes this node received from and sent to NATS", nats_bytes);
    if let Some(n) = node.gateway.routed() {
        let routed = Gauge::<i64>::default();
        routed.set(n as i64);
        registry.register("routed_sockets", "Sockets the routing node serves for the gateways (itself included)", routed);
    }
    let mut text = String::new();
    let _ = prometheus_client::encoding::text::encode(&mut text, &registry);
    // One exposition: the node's families, then the hub's (which end it); a partitioned node's
    // partitions each with their own hub, their samples labelled by partition.
    let hubs = match node.election.state() {
        Some(state) => Some(crate::health_api::render(&state)),
        None => {
            let parts: Vec<(String, String)> = node.election.owned_states().iter().map(|(p, s)| (p.clone(), crate::health_api::render(s))).collect();
            (!parts.is_empty()).then(|| exposition::merge(&parts))
        }
    };
    if let Some(hubs) = hubs {
        text.truncate(text.trim_end().strip_suffix("# EOF").map_or(text.len(), str::len));
        text.push_str(&hubs);
    }
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text).into_response()
}
