//! `GET /webhooks/deliveries`: the webhooks' delivery log, for supervisors.

use crate::app_state::AppState;
use crate::auth::Caller;
use crate::reply::{ok, Reply};
use axum::extract::State;
use axum::Extension;
use serde_json::json;

/// `GET /webhooks/deliveries` → `{list:[{id, event, url, attempt, at, status, outcome, error}]}`:
/// the latest 500 attempts, newest last (supervisors only).
pub async fn deliveries(State(app): State<AppState>, Extension(caller): Extension<Caller>) -> Reply {
    if let Err(r) = caller.supervisor() {
        return r;
    }
    ok("ok", json!({"list": app.hub.webhooks.deliveries()}))
}
