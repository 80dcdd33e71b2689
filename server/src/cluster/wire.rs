//! What the nodes of a cluster say to each other over NATS (core publish/subscribe and
//! request/reply; JSON). Subjects:
//!
//! | subject | from → to | what |
//! |---|---|---|
//! | `kefu.in` | gateway → router | [`InMsg`]: a socket opened (a request: [`OpenReply`]), a frame, its end |
//! | `kefu.out.<node>` | router → gateway | [`OutMsg`]: a frame (or a close) for one of that node's sockets |
//! | `kefu.http` | gateway → router | an API request, answered with the response ([`encode_http`]) |
//! | `kefu.alive` | every node | [`Alive`] each second: the router drops the sockets of a silent node |
//! | `kefu.router` | router | [`Alive`] each second: gateways close sockets a lost router held |
//!
//! One subject carries all of a gateway's socket traffic to the router, so NATS's per-publisher
//! order keeps an open, its frames and its end in order.

use crate::hub::Out;
use crate::socket::Incoming;
use serde::{Deserialize, Serialize};

/// Gateway → router socket traffic.
pub const IN: &str = "kefu.in";
/// API requests.
pub const HTTP: &str = "kefu.http";
/// Node heartbeats.
pub const ALIVE: &str = "kefu.alive";
/// The router's heartbeat.
pub const ROUTER: &str = "kefu.router";
/// Heartbeat period, ms.
pub const HEARTBEAT_MS: u64 = 500;
/// Silence after which the router counts a gateway node as dead (its sockets end), ms.
pub const NODE_DEAD_AFTER_MS: u64 = 5_000;
/// Silence after which gateways count the router as dead, ms. A router that dies is usually
/// noticed sooner: the node that takes its lock announces itself within about a second.
pub const ROUTER_DEAD_AFTER_MS: u64 = 10_000;

/// Router → gateway frames for node `node`.
pub fn out_subject(node: &str) -> String {
    format!("kefu.out.{node}")
}

/// A socket event from a gateway.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct InMsg {
    /// The socket (unique in the cluster: the node's instance id and a counter).
    pub conn: String,
    /// The gateway's instance id.
    pub node: String,
    /// What happened.
    pub ev: InEv,
}

/// What happened on a gateway's socket.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub enum InEv {
    /// A client asks to open a socket: the upgrade request's URI, headers and client address.
    Open {
        /// Path and query.
        uri: String,
        /// Request headers.
        headers: Vec<(String, String)>,
        /// The address the gateway's peer had (the load balancer's, behind one).
        peer: String,
    },
    /// A frame, or the end.
    Frame(Incoming),
}

/// The router's answer to an open: 200 and the socket is served, else the HTTP refusal.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct OpenReply {
    /// HTTP status (200: accepted).
    pub status: u16,
    /// The refusal's body.
    pub body: String,
    /// The router's instance id: its sockets end if it does.
    pub router: String,
}

/// A frame for a gateway's socket.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct OutMsg {
    /// The socket.
    pub conn: String,
    /// The frame.
    pub out: Out,
}

/// A heartbeat.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Alive {
    /// The sender's instance id.
    pub node: String,
}

/// The head of a tunneled HTTP request or response.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct HttpHead {
    /// Request method (empty in a response).
    pub method: String,
    /// Request path and query (empty in a response).
    pub uri: String,
    /// Response status (0 in a request).
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// The address of the gateway's peer (requests).
    pub peer: String,
}

/// A tunneled request or response: the head as one JSON line, then the body's bytes.
pub fn encode_http(head: &HttpHead, body: &[u8]) -> Vec<u8> {
    let mut out = serde_json::to_vec(head).expect("a head serializes");
    out.push(b'\n');
    out.extend_from_slice(body);
    out
}

/// The head and body of [`encode_http`]'s output.
pub fn decode_http(payload: &[u8]) -> Result<(HttpHead, &[u8]), String> {
    let cut = payload.iter().position(|b| *b == b'\n').ok_or("no head line")?;
    let head = serde_json::from_slice(&payload[..cut]).map_err(|e| e.to_string())?;
    Ok((head, &payload[cut + 1..]))
}

/// Headers as pairs (values that are not text are left out).
pub fn header_pairs(h: &axum::http::HeaderMap) -> Vec<(String, String)> {
    h.iter().filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned()))).collect()
}

/// Pairs back into headers (invalid ones skipped).
pub fn header_map(pairs: &[(String, String)]) -> axum::http::HeaderMap {
    let mut h = axum::http::HeaderMap::new();
    for (k, v) in pairs {
        if let (Ok(k), Ok(v)) = (axum::http::HeaderName::from_bytes(k.as_bytes()), axum::http::HeaderValue::from_str(v)) {
            h.append(k, v);
        }
    }
    h
}
