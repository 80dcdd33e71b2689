//! The supervisor's HTTP face (supervisor role only, 403 otherwise): `GET /supervisor/board` (the
//! live board as JSON) and `POST /supervisor/whisper {userId, content}` (a message only the agent
//! in the conversation sees). docs/protocol.md describes both.

use crate::app_state::AppState;
use crate::auth::Caller;
use crate::reply::{fail, ok, Reply};
use axum::extract::State;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::json;

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
pub async fn whisper(State(app): State<AppState>, Extension(caller): Extension<Caller>, Json(b): Json<WhisperBody>) -> Reply {
    if let Err(r) = caller.supervisor() {
        return r;
    }
    let from = match &caller {
        Caller::Agent { kf_id, .. } => kf_id.clone(),
        Caller::Unchecked => "supervisor".to_owned(), // a server run without sign-in
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
