//! Request guard: the optional auth token and the `Origin` allow-list, for agent sockets and the
//! HTTP API. Visitor sockets are public by design (customers have no account) but still checked
//! against the allow-list.

use crate::AppState;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

fn token_of(req: &Request) -> Option<String> {
    if let Some(v) = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        if let Some(t) = v.strip_prefix("Bearer ") {
            return Some(t.trim().to_owned());
        }
    }
    let q = req.uri().query()?;
    url_params(q).into_iter().find(|(k, _)| k == "token").map(|(_, v)| v)
}

fn url_params(q: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

fn deny(status: StatusCode, msg: &str) -> Response {
    (status, axum::Json(serde_json::json!({"code": status.as_u16(), "msg": msg, "data": null}))).into_response()
}

/// Checks `Origin` (when an allow-list is set) and the token (when one is set; not for visitors).
pub async fn check(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if !app.cfg.allowed_origins.is_empty() {
        if let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
            if !app.cfg.allowed_origins.iter().any(|o| o == origin) {
                tracing::warn!(origin, path, "origin refused");
                return deny(StatusCode::FORBIDDEN, "origin not allowed");
            }
        }
    }
    let public = path.starts_with("/websocket/visitor/") || path.starts_with("/test/");
    if let (Some(want), false) = (&app.cfg.auth_token, public) {
        if token_of(&req).as_deref() != Some(want.as_str()) {
            return deny(StatusCode::UNAUTHORIZED, "a valid token is required");
        }
    }
    next.run(req).await
}
