//! The supervisor's HTTP face (supervisor role only, 403 otherwise): `GET /supervisor/board` (the
//! live board as JSON), `POST /supervisor/whisper {userId, content}` (a message only the agent in
//! the conversation sees), `POST /supervisor/reassign {userId, toKfId}` (the conversation moves,
//! no acceptance asked), `POST /supervisor/join` / `leave {userId}` (barge-in) and
//! `POST /supervisor/end {userId}`. docs/protocol.md describes them.

use crate::app_state::AppState;
use crate::auth::Caller;
use crate::reply::{body, fail, ok, Reply};
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::json;

/// The supervisor acting (403 for anyone else); "supervisor" on a server run without sign-in.
pub(crate) fn supervisor_id(caller: &Caller) -> Result<String, Reply> {
    caller.supervisor()?;
    Ok(match caller {
        Caller::Agent { kf_id, .. } => kf_id.clone(),
        Caller::Unchecked => "supervisor".to_owned(),
    })
}

/// `GET /supervisor/board`.
pub async fn board(State(app): State<AppState>, Extension(caller): Extension<Caller>) -> Reply {
    if let Err(r) = caller.supervisor() {
        return r;
    }
    ok("ok", json!(app.hub.board()))
}

/// Body of a whisper.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WhisperBody {
    user_id: Option<String>,
    content: Option<String>,
}

/// `POST /supervisor/whisper {userId, content}`: to the agent serving `userId`, never to the
/// customer. 404 without a live conversation.
pub async fn whisper(State(app): State<AppState>, Extension(caller): Extension<Caller>, b: Result<Json<WhisperBody>, JsonRejection>) -> Reply {
    let from = match supervisor_id(&caller) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let b = match body(b) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let (Some(user_id), Some(content)) = (b.user_id.as_deref(), b.content.as_deref()) else {
        return fail(400, "`userId` and `content` are required");
    };
    if content.chars().count() > app.cfg.max_message_chars {
        return fail(400, &format!("a whisper is at most {} characters", app.cfg.max_message_chars));
    }
    match app.hub.whisper(&from, user_id, content) {
        Ok(kf_id) => ok("ok", json!({"userId": user_id, "kfId": kf_id})),
        Err(e) => e.into(),
    }
}

/// Body of a reassignment.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReassignBody {
    user_id: Option<String>,
    to_kf_id: Option<String>,
}

/// `POST /supervisor/reassign {userId, toKfId}`: the live conversation with `userId` moves to
/// `toKfId` (online; a supervisor may name themselves). 404 unknown customer, 409 no live
/// conversation or the agent offline, 400 already with that agent.
pub async fn reassign(State(app): State<AppState>, Extension(caller): Extension<Caller>, b: Result<Json<ReassignBody>, JsonRejection>) -> Reply {
    let by = match supervisor_id(&caller) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let b = match body(b) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let (Some(user_id), Some(to)) = (b.user_id.as_deref(), b.to_kf_id.as_deref()) else {
        return fail(400, "`userId` and `toKfId` are required");
    };
    match app.hub.reassign(&by, user_id, to) {
        Ok(from) => ok("ok", json!({"userId": user_id, "fromKfId": from, "toKfId": to})),
        Err(e) => e.into(),
    }
}

/// Body naming a customer (join, leave, end).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserBody {
    user_id: Option<String>,
}

/// `POST /supervisor/join {userId}`: barge in; the customer sees the supervisor's messages under
/// the supervisor's name, the agent a copy of each. The supervisor's console must be connected.
pub async fn join(State(app): State<AppState>, Extension(caller): Extension<Caller>, b: Result<Json<UserBody>, JsonRejection>) -> Reply {
    join_or_leave(app, caller, b, true)
}

/// `POST /supervisor/leave {userId}`: the supervisor leaves a conversation they joined.
pub async fn leave(State(app): State<AppState>, Extension(caller): Extension<Caller>, b: Result<Json<UserBody>, JsonRejection>) -> Reply {
    join_or_leave(app, caller, b, false)
}

fn join_or_leave(app: AppState, caller: Caller, b: Result<Json<UserBody>, JsonRejection>, on: bool) -> Reply {
    let by = match supervisor_id(&caller) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let b = match body(b) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(user_id) = b.user_id.as_deref() else { return fail(400, "`userId` is required") };
    match app.hub.join(&by, user_id, on) {
        Ok(kf_id) => ok("ok", json!({"userId": user_id, "kfId": kf_id, "joined": on})),
        Err(e) => e.into(),
    }
}

/// `POST /supervisor/end {userId}`: ends the live conversation; the customer is told as when the
/// agent ends it, the agent in it hears who ended it.
pub async fn end(State(app): State<AppState>, Extension(caller): Extension<Caller>, b: Result<Json<UserBody>, JsonRejection>) -> Reply {
    let by = match supervisor_id(&caller) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let b = match body(b) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(user_id) = b.user_id.as_deref() else { return fail(400, "`userId` is required") };
    match app.hub.end_by_supervisor(&by, user_id) {
        Ok(kf_id) => ok("会话已结束", json!({"userId": user_id, "kfId": kf_id})),
        Err(e) => e.into(),
    }
}
