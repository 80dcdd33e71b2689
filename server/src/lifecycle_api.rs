//! The HTTP face of a conversation's life: the close-out tags and business hours supervisors set
//! (`/settings/*`), the messages customers left (`/offlineMessages/*`), and a customer's
//! conversations with how each ended and was rated (`/chatLog/conversations`, with the recall
//! audit trail for supervisors).

use crate::app_state::AppState;
use crate::auth::Caller;
use crate::hub::CloseOutSettings;
use crate::reply::{body, fail, ok, required, Reply};
use crate::schedule::Schedule;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Query, State};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Value};

/// The acting agent: the signed-in one ("agent" on a server run without sign-in).
pub(crate) fn me(caller: &Caller) -> String {
    match caller {
        Caller::Agent { kf_id, .. } => kf_id.clone(),
        Caller::Unchecked => "agent".to_owned(),
    }
}

/// `GET /settings/closeout` → `{tags, required}`.
pub async fn closeout(State(app): State<AppState>) -> Reply {
    ok("ok", json!(app.hub.closeout_settings()))
}

/// `POST /settings/closeout` with `{tags, required}` (supervisors).
pub async fn set_closeout(State(app): State<AppState>, Extension(caller): Extension<Caller>, b: Result<Json<CloseOutSettings>, JsonRejection>) -> Reply {
    if let Err(r) = caller.supervisor() {
        return r;
    }
    let settings = match body(b) {
        Ok(s) => s,
        Err(r) => return r,
    };
    match app.hub.set_closeout_settings(settings) {
        Ok(()) => {
            app.hub.audit(&me(&caller), "settings", "closeout", "");
            ok("已保存", json!(app.hub.closeout_settings()))
        }
        Err(e) => e.into(),
    }
}

/// `GET /settings/hours` → `{schedule, open, nextOpen}` (`schedule` null: always open).
pub async fn hours(State(app): State<AppState>) -> Reply {
    let (open, next) = app.hub.desk_open();
    ok("ok", json!({"schedule": app.hub.business_hours(), "open": open, "nextOpen": next}))
}

/// Body of `POST /settings/hours`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoursBody {
    schedule: Option<Schedule>,
}

/// `POST /settings/hours` with `{"schedule": {...}}` or `{"schedule": null}` (supervisors).
pub async fn set_hours(State(app): State<AppState>, Extension(caller): Extension<Caller>, b: Result<Json<HoursBody>, JsonRejection>) -> Reply {
    if let Err(r) = caller.supervisor() {
        return r;
    }
    let b = match body(b) {
        Ok(b) => b,
        Err(r) => return r,
    };
    match app.hub.set_business_hours(b.schedule) {
        Ok(()) => {
            app.hub.audit(&me(&caller), "settings", "hours", "");
            ok("已保存", json!({"schedule": app.hub.business_hours()}))
        }
        Err(e) => e.into(),
    }
}

/// Query of the list of messages left.
#[derive(Deserialize)]
pub struct ListQuery {
    open: Option<String>,
}

/// `GET /offlineMessages/list?open=1` → the latest 200 messages left (only unhandled with `open`).
pub async fn offline_list(State(app): State<AppState>, Query(q): Query<ListQuery>) -> Reply {
    let open_only = q.open.as_deref().is_some_and(|o| o == "1" || o == "true");
    match app.hub.store().offline_messages(open_only, 200) {
        Ok(list) => ok("ok", json!({"list": list})),
        Err(e) => app.hub.store_failed(e).into(),
    }
}

/// Body of a claim or a handling.
#[derive(Deserialize)]
pub struct OfflineBody {
    id: Option<i64>,
    answer: Option<String>,
}

/// `POST /offlineMessages/claim` with `{id}`: the caller takes it on (409 when someone has).
pub async fn offline_claim(State(app): State<AppState>, Extension(caller): Extension<Caller>, b: Result<Json<OfflineBody>, JsonRejection>) -> Reply {
    let Some(id) = body(b).ok().and_then(|b| b.id) else { return fail(400, "`id` is required") };
    match app.hub.store().claim_offline_message(id, &me(&caller), crate::hub::now_ms()) {
        Ok(true) => ok("已认领", Value::Null),
        Ok(false) => fail(409, "这条留言已被认领或已处理"),
        Err(e) => app.hub.store_failed(e).into(),
    }
}

/// `POST /offlineMessages/handle` with `{id, answer}`: marked handled with the answer the customer
/// sees when they come back (409 when another agent claimed it, or it is handled).
pub async fn offline_handle(State(app): State<AppState>, Extension(caller): Extension<Caller>, b: Result<Json<OfflineBody>, JsonRejection>) -> Reply {
    let b = match body(b) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(id) = b.id else { return fail(400, "`id` is required") };
    let answer = match required(&b.answer, "answer") {
        Ok(a) if a.chars().count() <= app.cfg.max_message_chars => a.to_owned(),
        Ok(_) => return fail(400, "the answer is too long"),
        Err(r) => return r,
    };
    match app.hub.store().handle_offline_message(id, &me(&caller), &answer, crate::hub::now_ms()) {
        Ok(true) => {
            app.hub.offline_handled(id);
            ok("已处理", Value::Null)
        }
        Ok(false) => fail(409, "这条留言已由其他客服认领或已处理"),
        Err(e) => app.hub.store_failed(e).into(),
    }
}

/// Query with `userId`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserQuery {
    user_id: Option<String>,
}

/// `GET /chatLog/conversations?userId=` → the customer's latest 50 conversations (outcome, tags,
/// comment, rating, transfer chain); for supervisors also `recalls`, the recalled originals.
pub async fn conversations(State(app): State<AppState>, Extension(caller): Extension<Caller>, Query(q): Query<UserQuery>) -> Reply {
    let user_id = match required(&q.user_id, "userId") {
        Ok(u) => u,
        Err(r) => return r,
    };
    if let Err(r) = caller.reads_log_of(app.hub.store(), user_id) {
        return r;
    }
    let store = app.hub.store();
    let list = match store.conversations_of(user_id, 50) {
        Ok(l) => l,
        Err(e) => return app.hub.store_failed(e).into(),
    };
    let recalls = match caller.supervisor() {
        Ok(()) => match store.recalled_originals(user_id) {
            Ok(r) => Some(r.into_iter().map(|(id, content, by, at)| json!({"messageId": id, "content": content, "recalledBy": by, "recalledAt": at})).collect::<Vec<_>>()),
            Err(e) => return app.hub.store_failed(e).into(),
        },
        Err(_) => None,
    };
    ok("ok", json!({"list": list, "recalls": recalls}))
}
