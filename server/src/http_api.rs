//! The JSON HTTP API the console uses, in LayIM's `{"code":0,"msg":…,"data":…}` shape. Errors
//! carry a non-zero code, a message, and a 4xx status.

use crate::auth::Caller;
use crate::reply::{fail, ok, required, Reply};
use crate::app_state::AppState;
use axum::extract::{Multipart, Query, State};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Value};

fn db_err(app: &AppState, e: crate::store::StoreError) -> Reply {
    let _ = app.hub.store_failed(e); // counted and logged
    fail(500, "store error")
}

/// Query with `kfId` and/or `userId`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ids {
    kf_id: Option<String>,
    user_id: Option<String>,
    page: Option<u32>,
    page_count: Option<u32>,
    /// `/chatLog/list`: the page before this message id instead of `page`.
    before: Option<i64>,
    /// Close-out tags, comma-separated (`/overSession/overUser`).
    tags: Option<String>,
    /// Close-out comment (`/overSession/overUser`).
    comment: Option<String>,
}

/// `GET /personalConfig/getInfo?kfId=` → `{ id, name, image }`.
pub async fn get_info(State(app): State<AppState>, Extension(caller): Extension<Caller>, Query(q): Query<Ids>) -> Reply {
    let kf_id = match required(&q.kf_id, "kfId") {
        Ok(k) => k,
        Err(r) => return r,
    };
    if let Err(r) = caller.reads_profile_of(kf_id) {
        return r;
    }
    match app.hub.store().agent(kf_id) {
        Ok(Some(a)) => ok("ok", json!(a)),
        Ok(None) => fail(404, &format!("unknown agent {kf_id:?}")),
        Err(e) => db_err(&app, e),
    }
}

/// `GET /overSession/overUser?kfId=&userId=[&tags=a,b&comment=…]`: end a conversation (with
/// close-out tags from the supervisors' list and a comment); the visitor is told and asked to rate.
pub async fn over_user(State(app): State<AppState>, Extension(caller): Extension<Caller>, Query(q): Query<Ids>) -> Reply {
    let (kf_id, user_id) = match (required(&q.kf_id, "kfId"), required(&q.user_id, "userId")) {
        (Ok(k), Ok(u)) => (k, u),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    if let Err(r) = caller.acts_as(kf_id) {
        return r;
    }
    let tags: Vec<String> = q.tags.as_deref().unwrap_or("").split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect();
    match app.hub.end_conversation_with(kf_id, user_id, &tags, q.comment.as_deref()) {
        Ok(()) => ok("会话已结束", Value::Null),
        Err(e) => e.into(),
    }
}

/// Body of the phrase list.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhraseQuery {
    #[serde(default)]
    content: String,
    page: Option<u32>,
    page_count: Option<u32>,
    #[serde(default)]
    source: String,
}

/// `POST /sessionComm/sessionCommList` with `{content,page,pageCount,source}` → `{list,total}`.
pub async fn phrase_list(State(app): State<AppState>, body: Result<Json<PhraseQuery>, axum::extract::rejection::JsonRejection>) -> Reply {
    let q = match crate::reply::body(body) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let page = q.page.unwrap_or(1).max(1);
    let per = q.page_count.unwrap_or(20).clamp(1, 1000);
    match app.hub.store().phrases(q.content.trim(), q.source.trim(), page, per) {
        Ok((list, total)) => ok("ok", json!({"list": list, "total": total, "page": page, "pageCount": per})),
        Err(e) => db_err(&app, e),
    }
}

/// Body of a new phrase.
#[derive(Deserialize)]
pub struct PhraseNew {
    content: Option<String>,
    #[serde(default)]
    source: String,
    #[serde(default)]
    shortcut: String,
}

/// `POST /sessionComm/add` with `{content, source, shortcut?}` adds a canned phrase.
pub async fn phrase_add(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<PhraseNew>, axum::extract::rejection::JsonRejection>,
) -> Reply {
    if let Err(r) = caller.supervisor() {
        return r;
    }
    let b = match crate::reply::body(body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let content = match required(&b.content, "content") {
        Ok(c) => c,
        Err(r) => return r,
    };
    if content.chars().count() > app.cfg.max_message_chars {
        return fail(400, &format!("a phrase is at most {} characters", app.cfg.max_message_chars));
    }
    let shortcut = b.shortcut.trim();
    if shortcut.chars().count() > 32 || shortcut.contains(char::is_whitespace) {
        return fail(400, "a shortcut is one word of at most 32 characters");
    }
    match app.hub.store().add_phrase(content, b.source.trim(), shortcut) {
        Ok(id) => ok("ok", json!({"id": id})),
        Err(e) => db_err(&app, e),
    }
}

/// `GET /chatLog/list?userId=&page=&pageCount=` → the customer's history, newest page first,
/// each page oldest-to-newest; `before=<message id>` instead of `page` gives the page older than
/// that message (scrolling back: pages do not shift as new messages arrive). `more` says whether
/// older messages exist.
pub async fn chat_log(State(app): State<AppState>, Extension(caller): Extension<Caller>, Query(q): Query<Ids>) -> Reply {
    let user_id = match required(&q.user_id, "userId") {
        Ok(u) => u,
        Err(r) => return r,
    };
    if let Err(r) = caller.reads_log_of(app.hub.store(), user_id) {
        return r;
    }
    let page = q.page.unwrap_or(1).max(1);
    let per = q.page_count.unwrap_or(20).clamp(1, 200);
    match app.hub.store().history(user_id, page, per, q.before) {
        Ok(h) => ok("ok", json!({"list": h.list, "total": h.total, "page": page, "pageCount": per, "more": h.more})),
        Err(e) => db_err(&app, e),
    }
}

/// `GET /agents/online` → agents online now (for the transfer picker).
pub async fn online_agents(State(app): State<AppState>) -> Reply {
    ok("ok", json!(app.hub.online_agents()))
}

/// Body of a transfer.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferBody {
    kf_id: Option<String>,
    user_id: Option<String>,
    to_kf_id: Option<String>,
    /// Instead of `toKfId`: a department, whose least busy free agent is asked.
    to_department: Option<String>,
}

/// `POST /transfer/transferUser` with `{kfId,userId,toKfId}`: the target agent gets status 4.
/// With `toDepartment` instead of `toKfId`, that department's least busy free agent does
/// (`data.toKfId` says who); in a partitioned cluster, a department another partition routes
/// takes the customer into its queue at once and the conversation ends here (`data.queued`).
pub async fn transfer(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<TransferBody>, axum::extract::rejection::JsonRejection>,
) -> Reply {
    let b = match crate::reply::body(body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let (None, Some(d)) = (&b.to_kf_id, &b.to_department) {
        let (k, u) = match (required(&b.kf_id, "kfId"), required(&b.user_id, "userId")) {
            (Ok(k), Ok(u)) => (k, u),
            (Err(r), _) | (_, Err(r)) => return r,
        };
        if let Err(r) = caller.acts_as(k) {
            return r;
        }
        return match app.hub.request_transfer_to_department(k, u, d) {
            Ok(Some(to)) => ok("转接请求已发送", json!({"toKfId": to})),
            // Another partition routes the department: the customer is in its queue now.
            Ok(None) => ok("已转入该部门的排队，会话已结束", json!({"toKfId": null, "toDepartment": d, "queued": true})),
            Err(e) => e.into(),
        };
    }
    let (k, u, t) = match (required(&b.kf_id, "kfId"), required(&b.user_id, "userId"), required(&b.to_kf_id, "toKfId")) {
        (Ok(k), Ok(u), Ok(t)) => (k, u, t),
        (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => return r,
    };
    if let Err(r) = caller.acts_as(k) {
        return r;
    }
    match app.hub.request_transfer(k, u, t) {
        Ok(()) => ok("转接请求已发送", Value::Null),
        Err(e) => e.into(),
    }
}

/// Image types accepted for upload, by magic bytes.
fn image_type(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("png", "image/png"))
    } else if bytes.starts_with(b"\xff\xd8\xff") {
        Some(("jpg", "image/jpeg"))
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(("gif", "image/gif"))
    } else if bytes.len() > 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(("webp", "image/webp"))
    } else {
        None
    }
}

/// `POST /upload/image` (multipart `file`) → `{"code":0,"data":{"src":"/uploads/…"}}`.
/// Only PNG, JPEG, GIF and WebP (checked by content, not by name), at most the configured size.
pub async fn upload_image(State(app): State<AppState>, mut form: Multipart) -> Reply {
    let max = app.cfg.max_upload_bytes;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => return fail(400, "no `file` field in the upload"),
            Err(e) => return fail(400, &format!("bad upload: {}", e.body_text())),
        };
        if field.name() != Some("file") {
            continue;
        }
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(e) => return fail(413, &format!("upload too large or broken: {}", e.body_text())),
        };
        if bytes.len() > max {
            return fail(413, &format!("image larger than {max} bytes"));
        }
        let Some((ext, _)) = image_type(&bytes) else {
            return fail(415, "only PNG, JPEG, GIF and WebP images are accepted");
        };
        let name = format!("{}.{ext}", hex::encode(crate::auth::keys::random_bytes::<16>())); // 128 random bits: not guessable
        let stored = match app.hub.store() {
            // In PostgreSQL every node serves it (no shared files).
            crate::store::Store::Postgres(pg) => {
                let mime = image_type(&bytes).map(|(_, m)| m).unwrap_or("application/octet-stream");
                pg.put_upload(&name, mime, bytes.to_vec(), crate::hub::now_ms()).map_err(|e| e.to_string())
            }
            crate::store::Store::Sqlite(_) => tokio::fs::write(app.cfg.data_dir.join("uploads").join(&name), &bytes).await.map_err(|e| e.to_string()),
        };
        if let Err(e) = stored {
            tracing::error!(error = %e, "upload write failed");
            return fail(500, "could not store the image");
        }
        return ok("ok", json!({"src": format!("/uploads/{name}")}));
    }
}

/// `GET /uploads/{name}` on a PostgreSQL store: the image, as the upload stored it.
pub async fn stored_upload(State(app): State<AppState>, axum::extract::Path(name): axum::extract::Path<String>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let found = match app.hub.store() {
        crate::store::Store::Postgres(pg) => pg.upload(&name),
        crate::store::Store::Sqlite(_) => Ok(None),
    };
    match found {
        Ok(Some((mime, bytes))) => ([(axum::http::header::CONTENT_TYPE, mime)], bytes).into_response(),
        Ok(None) => axum::http::StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            let _ = app.hub.store_failed(e);
            axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Fallback for unknown API paths.
pub async fn not_found() -> Reply {
    fail(404, "no such endpoint")
}
