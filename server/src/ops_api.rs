//! The ops view over HTTP: agents set their presence, supervisors set conversation caps, and the
//! waiting list with each customer's wait. `GET /agents/online` (presence, conversations, cap) is
//! in `http_api`, beside the transfer it feeds.

use crate::auth::Caller;
use crate::reply::{fail, ok, required, Reply};
use crate::hub::Presence;
use crate::app_state::AppState;
use axum::extract::State;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Value};

type Body<T> = Result<Json<T>, axum::extract::rejection::JsonRejection>;

/// Body of `POST /agents/presence`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PresenceBody {
    kf_id: Option<String>,
    presence: Option<String>,
}

/// `POST /agents/presence` with `{kfId, presence}`: `online`, `busy` or `away` (the agent itself,
/// or a supervisor for anyone).
pub async fn set_presence(State(app): State<AppState>, Extension(caller): Extension<Caller>, body: Body<PresenceBody>) -> Reply {
    let b = match crate::reply::body(body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let kf_id = match required(&b.kf_id, "kfId") {
        Ok(k) => k,
        Err(r) => return r,
    };
    if let Err(r) = caller.manages(kf_id) {
        return r;
    }
    let Some(presence) = b.presence.as_deref().and_then(Presence::parse) else {
        return fail(400, "`presence` must be \"online\", \"busy\" or \"away\"");
    };
    match app.hub.set_presence(kf_id, presence) {
        Ok(()) => ok("ok", json!({"presence": presence})),
        Err(e) => e.into(),
    }
}

/// Body of `POST /agents/capacity`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapacityBody {
    kf_id: Option<String>,
    /// A number, or null for the server default.
    max_conversations: Option<Value>,
}

/// `POST /agents/capacity` with `{kfId, maxConversations}` (null: the server default); supervisors.
pub async fn set_capacity(State(app): State<AppState>, Extension(caller): Extension<Caller>, body: Body<CapacityBody>) -> Reply {
    if let Err(r) = caller.supervisor() {
        return r;
    }
    let b = match crate::reply::body(body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let kf_id = match required(&b.kf_id, "kfId") {
        Ok(k) => k,
        Err(r) => return r,
    };
    let max = match &b.max_conversations {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64() {
            Some(n) => Some(n as usize),
            None => return fail(400, "`maxConversations` must be a whole number from 0 to 1000, or null"),
        },
    };
    match app.hub.set_capacity(kf_id, max) {
        Ok(()) => ok("ok", json!({"kfId": kf_id, "maxConversations": max})),
        Err(e) => e.into(),
    }
}

/// `GET /queue`: the customers waiting, oldest first, with how long each has waited. The whole
/// queue for supervisors; an agent sees only the customers offered to them.
pub async fn queue(State(app): State<AppState>, Extension(caller): Extension<Caller>) -> Reply {
    let mut list = app.hub.waiting_list();
    if let Caller::Agent { kf_id, supervisor: false } = &caller {
        list.retain(|w| w.offered_to.as_deref() == Some(kf_id.as_str()));
    }
    ok("ok", json!(list))
}
