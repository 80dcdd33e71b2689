//! The gateway's two HTTP handlers: a socket's upgrade (asked of its routing node, then tunneled)
//! and any API request (answered by its routing node).

use super::{Held, Route};
use crate::cluster::wire::{self, HttpHead, InEv, InMsg, OpenReply};
use crate::hub::Out;
use crate::socket::{classify, small_buffers, Incoming};
use axum::body::Body;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::sync::mpsc;

/// `GET /websocket/…` on a gateway: asks the routing node, then upgrades and tunnels.
pub async fn socket(State(node): State<crate::cluster::Node>, ConnectInfo(peer): ConnectInfo<SocketAddr>, req: Request) -> Response {
    let g = node.gateway.clone();
    let (mut parts, _) = req.into_parts();
    let ws = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(ws) => ws,
        Err(e) => return e.into_response(),
    };
    let kind = if parts.uri.path().starts_with("/websocket/visitor/") { "visitor" } else { "agent" };
    let conn = format!("{}.{}", g.instance, g.next.fetch_add(1, Ordering::Relaxed));
    let (tx, rx) = mpsc::unbounded_channel::<Out>();
    let partition = match g.map() {
        Some(m) => Some(g.place(&m, &parts.uri).await),
        None => None,
    };
    let kf_id = (kind == "agent").then(|| crate::cluster::placement::agent_of(&parts.uri));
    g.held().insert(conn.clone(), Held { tx, router: None, kind, partition: partition.clone(), kf_id });
    let open = InMsg {
        conn: conn.clone(),
        node: g.instance.clone(),
        partition: partition.clone(),
        ev: InEv::Open { uri: parts.uri.to_string(), headers: wire::header_pairs(&parts.headers), peer: peer.to_string() },
    };
    let answer = g.ask_router(wire::in_subject(partition.as_deref()), serde_json::to_vec(&open).expect("serializes")).await;
    let reply: Option<OpenReply> = answer.and_then(|m| serde_json::from_slice(&m.payload).ok());
    let Some(reply) = reply else {
        g.held().remove(&conn);
        return (StatusCode::SERVICE_UNAVAILABLE, "no routing node answered; try again").into_response();
    };
    if reply.status != 200 {
        g.held().remove(&conn);
        let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::BAD_GATEWAY);
        return (status, [(axum::http::header::CONTENT_TYPE, "application/json")], reply.body).into_response();
    }
    // Served by this node's own routing: the socket's events go to it directly (all of them, so
    // they stay in order; a router handed over closes its sockets first).
    let local = g.local_router(partition.as_deref()).filter(|_| reply.router == g.instance);
    if let Some(h) = g.held().get_mut(&conn) {
        h.router = Some(reply.router.clone());
    }
    let route = Arc::new(Route { node: reply.router, partition, local });
    let (g_fail, conn_fail, route_fail) = (g.clone(), conn.clone(), route.clone());
    small_buffers(ws, g.max_frame_bytes)
        .on_failed_upgrade(move |_| {
            tokio::spawn(async move {
                g_fail.held().remove(&conn_fail);
                g_fail.publish_in(&conn_fail, InEv::Frame(Incoming::End(None)), &route_fail).await;
            });
        })
        .on_upgrade(move |socket| async move {
            let (sink, mut stream) = socket.split();
            let writer = crate::socket::writer(sink, rx);
            let reader = async {
                while let Some(m) = stream.next().await {
                    if let Some(inc) = classify(m) {
                        let end = matches!(inc, Incoming::End(_));
                        g.publish_in(&conn, InEv::Frame(inc), &route).await;
                        if end {
                            return;
                        }
                    }
                }
                g.publish_in(&conn, InEv::Frame(Incoming::End(None)), &route).await;
            };
            // The socket is done when the client goes (reader: it told the routing node) or a
            // close went out (writer). Either way the routing node hears of the end once, so it
            // forgets the socket (a close it sent itself included).
            let told = tokio::select! {
                _ = reader => true,
                _ = writer => false,
            };
            g.held().remove(&conn);
            if !told {
                g.publish_in(&conn, InEv::Frame(Incoming::End(None)), &route).await;
            }
        })
}

/// Any API request on a gateway: answered by the routing node (in a partitioned cluster the
/// caller's partition's, or the one of the row a board action names).
pub async fn tunnel(State(node): State<crate::cluster::Node>, ConnectInfo(peer): ConnectInfo<SocketAddr>, req: Request) -> Response {
    let g = &node.gateway;
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, g.max_body).await {
        Ok(b) => b,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "request too large").into_response(),
    };
    let head = HttpHead {
        method: parts.method.to_string(),
        uri: parts.uri.to_string(),
        headers: wire::header_pairs(&parts.headers),
        peer: peer.to_string(),
        status: 0,
    };
    let partition = match g.map() {
        Some(m) => {
            use crate::cluster::placement::{of_request, target_of, Target};
            Some(match target_of(&parts.uri, &body) {
                Some(Target::Customer(user)) => g.conversation_partition(&m, &user).await.unwrap_or_else(|| of_request(&m, &parts.headers, &parts.uri)),
                Some(Target::Agent(kf)) => m.of_agent(&kf).to_owned(),
                None => of_request(&m, &parts.headers, &parts.uri),
            })
        }
        None => None,
    };
    let answer = g.ask_router(wire::http_subject(partition.as_deref()), wire::encode_http(&head, &body)).await;
    let Some(m) = answer else {
        return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({"code": 503, "msg": "no routing node answered; try again", "data": null}))).into_response();
    };
    match wire::decode_http(&m.payload) {
        Ok((head, body)) => {
            let mut r = Response::new(Body::from(body.to_vec()));
            *r.status_mut() = StatusCode::from_u16(head.status).unwrap_or(StatusCode::BAD_GATEWAY);
            *r.headers_mut() = wire::header_map(&head.headers);
            r
        }
        Err(e) => (StatusCode::BAD_GATEWAY, e).into_response(),
    }
}
