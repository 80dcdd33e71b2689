//! Request guard for agent sockets and the HTTP API: the `Origin` allow-list, then the caller's
//! token (`Authorization: Bearer`, the socket subprotocol `kefu.bearer.<token>`, or `?token=` for
//! clients built for the original), which becomes the request's [`Caller`]. An agent
//! socket is opened only for the token's own agent. Visitor sockets (checked by their own resume
//! secret or signature), the login and the test hooks are not agent calls.

use crate::auth::Caller;
use crate::app_state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The token a request was let in with (the agent socket checks it again while it is open).
#[derive(Clone)]
pub struct Bearer(pub String);

/// The WebSocket subprotocol a console offers with its token (`kefu.bearer.<token>`), beside
/// [`crate::socket::PROTOCOL`]: browsers cannot set `Authorization` on a socket, and a token in
/// the URL ends up in proxy logs.
pub const BEARER_PROTOCOL_PREFIX: &str = "kefu.bearer.";

fn token_of(req: &Request) -> Option<String> {
    token_in(req.headers(), req.uri())
}

/// The agent token a request carries: `Authorization: Bearer`, the socket subprotocol, or
/// `?token=` (unchecked: the guard checks it).
pub fn token_in(headers: &axum::http::HeaderMap, uri: &axum::http::Uri) -> Option<String> {
    if let Some(v) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        if let Some(t) = v.strip_prefix("Bearer ") {
            return Some(t.trim().to_owned());
        }
    }
    for v in headers.get_all(header::SEC_WEBSOCKET_PROTOCOL).iter().filter_map(|v| v.to_str().ok()) {
        if let Some(t) = v.split(',').map(str::trim).find_map(|p| p.strip_prefix(BEARER_PROTOCOL_PREFIX)) {
            return Some(t.to_owned());
        }
    }
    let q = uri.query()?;
    form_urlencoded::parse(q.as_bytes()).into_owned().find(|(k, _)| k == "token").map(|(_, v)| v)
}

fn deny(status: StatusCode, msg: &str) -> Response {
    (status, axum::Json(serde_json::json!({"code": status.as_u16(), "msg": msg, "data": null}))).into_response()
}

/// Checks `Origin` (when an allow-list is set) and, for agent calls, the token.
pub async fn check(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if !app.cfg.allowed_origins.is_empty() {
        if let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
            // The server's own pages (console, visitor page) are always allowed.
            let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
            let own = !host.is_empty() && origin.split_once("://").is_some_and(|(_, h)| h == host);
            if !own && !app.cfg.allowed_origins.iter().any(|o| o == origin) {
                tracing::warn!(origin, path, "origin refused");
                return deny(StatusCode::FORBIDDEN, "origin not allowed");
            }
        }
    }
    if path.starts_with("/websocket/visitor/") || path.starts_with("/test/") || matches!(path.as_str(), "/auth/login" | "/healthz" | "/metrics") {
        return next.run(req).await;
    }
    let token = token_of(&req);
    let caller = match app.auth.caller(app.hub.store(), token.as_deref()) {
        Ok(c) => c,
        Err(msg) => return deny(StatusCode::UNAUTHORIZED, msg),
    };
    if let (Some(raw), Caller::Agent { kf_id, .. }) = (path.strip_prefix("/websocket/"), &caller) {
        let wanted = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
        if wanted != kf_id.as_str() {
            tracing::warn!(kf_id, wanted = %wanted, "agent socket for another agent refused");
            return deny(StatusCode::FORBIDDEN, "this token belongs to another agent");
        }
    }
    req.extensions_mut().insert(caller);
    if let Some(t) = token {
        req.extensions_mut().insert(Bearer(t));
    }
    next.run(req).await
}
