//! Operability endpoints: Prometheus metrics (`GET /metrics`, the text format written by
//! prometheus-client) and the health check a load balancer asks (`GET /healthz`: 200 only while the
//! store answers).

use crate::app_state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// `GET /metrics`.
pub async fn metrics(State(app): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], render(&app)).into_response()
}

/// The hub's metrics in Prometheus' text format, with the gauges read now.
pub fn render(app: &AppState) -> String {
    let (agents, visitors, waiting) = app.hub.gauges();
    let m = app.hub.metrics();
    m.sockets.get_or_create(&vec![("kind".into(), "agent".into())]).set(agents as i64);
    m.sockets.get_or_create(&vec![("kind".into(), "visitor".into())]).set(visitors as i64);
    m.waiting.set(waiting as i64);
    if let Some(w) = app.hub.store().group() {
        let (commits, messages) = w.stats();
        m.group_commits.set(commits as i64);
        m.group_messages.set(messages as i64);
    }
    for (call, n) in app.hub.store().under_lock() {
        m.store_waits_under_lock.get_or_create(&vec![("call".into(), call.into())]).set(n as i64);
    }
    m.render()
}

/// `GET /healthz`: 200 `{"status":"ok","partitions":[…]}` while the store answers (one node
/// routes every partition: `default` and each department), else 503 with the reason.
pub async fn healthz(State(app): State<AppState>) -> Response {
    let hub = app.hub.clone();
    let store = tokio::task::spawn_blocking(move || hub.store().ping().map_err(|e| e.to_string())).await;
    match store.map_err(|e| e.to_string()).and_then(|r| r) {
        Ok(()) => (StatusCode::OK, axum::Json(serde_json::json!({"status": "ok", "store": "ok", "partitions": app.hub.partitions()}))).into_response(),
        Err(why) => {
            let _ = app.hub.store_failed(&why); // counted and logged
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({"status": "unavailable", "store": why}))).into_response()
        }
    }
}
