//! What the nodes of a cluster say to each other over NATS (core publish/subscribe and
//! request/reply; JSON). Subjects:
//!
//! | subject | from → to | what |
//! |---|---|---|
//! | `kefu.in` | gateway → router | [`InMsg`]: a socket opens (a request: [`OpenReply`]) |
//! | `kefu.to.<node>` | gateway → the node that routes the socket | [`InMsg`]: a frame, the end (batched per node) |
//! | `kefu.out.<node>` | router → gateway | [`OutMsg`]: a frame (or a close) for one of that node's sockets |
//! | `kefu.http` | gateway → router | an API request, answered with the response ([`encode_http`]) |
//! | `kefu.alive` | every node | [`Alive`] each second: the router drops the sockets of a silent node |
//! | `kefu.router` | router | [`Alive`] each second: gateways close sockets a lost router held |
//!
//! A partitioned cluster (`--partitioned`) has one router per partition: its opens and API
//! requests go on `kefu.in.<partition>` and `kefu.http.<partition>`, and its heartbeat names
//! the partition; `kefu.handoff` carries a hand-over's hint (`partitions.rs`).
//!
//! An open is a request; the router registers the socket before it answers, so the frames the
//! gateway sends after the answer find it. Frames then go to the node that answered, on one
//! subject per node whatever partition they belong to (the message names it): NATS's
//! per-publisher order keeps a socket's frames and its end in order, and a node routing several
//! partitions gets one stream from each gateway, not one per partition. Frames travel in batches
//! (a JSON array of what was waiting when the last publish went out, see [`Batcher`]): under load
//! one NATS message carries many frames, and a lone frame goes out at once. Frames back to a
//! gateway share one batcher per gateway on each node, for every partition it routes.
//!
//! A routing node's own sockets skip all but the open: their frames go to its router, and the
//! router's frames to its gateway, in-process (`gateway/`, `router.rs`).

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

/// The most messages one batch carries.
const BATCH_MAX: usize = 512;
/// Messages a [`Batcher`] holds before a sender waits (backpressure, as NATS's own buffer gave).
const QUEUE: usize = 8192;
/// A publish this soon after the last one means the subject is busy: the task then lingers for
/// [`LINGER`] to gather a batch. An idle subject's message goes out at once.
const BUSY: std::time::Duration = std::time::Duration::from_millis(2);
/// How long a busy subject's publish waits for more messages (tokio's timer ticks in ms).
const LINGER: std::time::Duration = std::time::Duration::from_millis(1);

/// Publishes messages on one subject in order, each publish carrying everything that was
/// waiting (a JSON array of up to [`BATCH_MAX`]): a busy sender makes fewer, larger NATS
/// messages, an idle one sends each message at once.
#[derive(Clone)]
pub struct Batcher<T>(tokio::sync::mpsc::Sender<T>);

impl<T: Serialize + Send + 'static> Batcher<T> {
    /// Starts the publishing task for `subject`.
    pub fn start(nats: async_nats::Client, subject: String) -> Batcher<T> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<T>(QUEUE);
        tokio::spawn(async move {
            let mut batch = Vec::new();
            let mut last = tokio::time::Instant::now() - BUSY;
            while rx.recv_many(&mut batch, BATCH_MAX).await > 0 {
                if last.elapsed() < BUSY {
                    tokio::time::sleep(LINGER).await;
                }
                while batch.len() < BATCH_MAX {
                    match rx.try_recv() {
                        Ok(m) => batch.push(m),
                        Err(_) => break,
                    }
                }
                let payload = serde_json::to_vec(&batch).expect("serializes");
                batch.clear();
                let _ = nats.publish(subject.clone(), payload.into()).await;
                last = tokio::time::Instant::now();
            }
        });
        Batcher(tx)
    }

    /// Queues `m` after everything queued before it, waiting while the queue is full.
    pub async fn send(&self, m: T) {
        let _ = self.0.send(m).await;
    }

    /// Queues `m` unless the queue is full (then it is dropped: for a close, which the client's
    /// own timeout also reaches).
    pub fn try_send(&self, m: T) {
        let _ = self.0.try_send(m);
    }
}

/// The messages of a payload: a batch (a JSON array) or one message.
pub fn decode_batch<T: serde::de::DeserializeOwned>(payload: &[u8]) -> Result<Vec<T>, serde_json::Error> {
    if payload.first() == Some(&b'[') {
        serde_json::from_slice(payload)
    } else {
        serde_json::from_slice(payload).map(|m| vec![m])
    }
}

/// Gateway → router socket traffic of `partition` (`kefu.in.<partition>`; [`IN`] unpartitioned).
pub fn in_subject(partition: Option<&str>) -> String {
    partition.map_or_else(|| IN.to_owned(), |p| format!("{IN}.{p}"))
}

/// API requests for `partition` (`kefu.http.<partition>`; [`HTTP`] unpartitioned).
pub fn http_subject(partition: Option<&str>) -> String {
    partition.map_or_else(|| HTTP.to_owned(), |p| format!("{HTTP}.{p}"))
}

/// Router → gateway frames for node `node`.
pub fn out_subject(node: &str) -> String {
    format!("kefu.out.{node}")
}

/// Gateway → router frames for the sockets that node `node` routes (any of its partitions).
pub fn to_subject(node: &str) -> String {
    format!("kefu.to.{node}")
}

/// A socket event from a gateway.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct InMsg {
    /// The socket (unique in the cluster: the node's instance id and a counter).
    pub conn: String,
    /// The gateway's instance id.
    pub node: String,
    /// The partition that routes the socket (a partitioned cluster).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
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
    /// On `kefu.router` in a partitioned cluster: the partition the sender routes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_and_a_lone_message_decode_to_the_same_messages_in_order() {
        let a = Alive { node: "a".into(), partition: None };
        let b = Alive { node: "b".into(), partition: Some("presales".into()) };
        let batch = serde_json::to_vec(&vec![a.clone(), b.clone()]).unwrap();
        assert_eq!(decode_batch::<Alive>(&batch).unwrap(), vec![a.clone(), b]);
        assert_eq!(decode_batch::<Alive>(&serde_json::to_vec(&a).unwrap()).unwrap(), vec![a]);
        assert!(decode_batch::<Alive>(b"[{\"nope\":1}]").is_err());
    }
}
