//! Transcripts (issue 26): one customer's conversation as text or JSON (whoever may read their chat
//! log), and every message of a date range as CSV or JSON Lines for supervisors — streamed page by
//! page from the store, never built in memory. Recalled messages carry no text.

use crate::app_state::AppState;
use crate::auth::Caller;
use crate::reply::fail;
use crate::store::StoredMessage;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;

/// Rows per page of an export.
const PAGE: u32 = 1000;

/// Query of the transcripts.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptQuery {
    user_id: Option<String>,
    conversation_id: Option<i64>,
    from: Option<i64>,
    to: Option<i64>,
    format: Option<String>,
}

fn line(m: &StoredMessage) -> String {
    let who = match m.sender.as_str() {
        "agent" => format!("客服 {}", m.kf_id.as_deref().unwrap_or("")),
        "visitor" => format!("访客 {}", m.user_name),
        other => other.to_owned(),
    };
    let text = if m.recalled { "（消息已撤回）" } else { m.content.as_str() };
    format!("[{}] {who}: {text}\n", m.create_time)
}

fn json_of(m: &StoredMessage) -> serde_json::Value {
    serde_json::json!({"id": m.id, "sender": m.sender, "userId": m.user_id, "userName": m.user_name, "kfId": m.kf_id, "content": m.content, "recalled": m.recalled, "createTime": m.create_time})
}

fn csv_row(m: &StoredMessage) -> String {
    let mut w = csv::WriterBuilder::new().has_headers(false).terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let kf = m.kf_id.clone().unwrap_or_default();
    let _ = w.write_record([m.id.to_string(), m.create_time.to_string(), m.user_id.clone(), m.user_name.clone(), kf, m.sender.clone(), m.content.clone(), m.recalled.to_string()]);
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// `GET /transcripts/customer?userId=&conversationId=&format=txt|json`: the customer's history,
/// oldest first — all of it, or one conversation's (from its start to its end).
pub async fn customer(State(app): State<AppState>, Extension(caller): Extension<Caller>, Query(q): Query<TranscriptQuery>) -> Response {
    let Some(user_id) = q.user_id.filter(|u| !u.trim().is_empty()) else { return fail(400, "`userId` is required").into_response() };
    if let Err(r) = caller.reads_log_of(app.hub.store(), &user_id) {
        return r.into_response();
    }
    app.hub.store().caught_up(); // a conversation that just ended has its end
    let (from, to) = match q.conversation_id {
        None => (0, i64::MAX),
        Some(id) => match app.hub.store().conversations_of(&user_id, 1000) {
            Ok(list) => match list.into_iter().find(|c| c.id == id) {
                Some(c) => (c.started_at, c.ended_at.map_or(i64::MAX, |e| e + 1)),
                None => return fail(404, "no such conversation of this customer").into_response(),
            },
            Err(e) => return crate::reply::Reply::from(app.hub.store_failed(e)).into_response(),
        },
    };
    let json = q.format.as_deref() == Some("json");
    stream(app, from, to, Some(user_id), if json { Kind::Json } else { Kind::Text }, "transcript").await
}

/// `GET /transcripts/export?from=&to=&format=csv|jsonl` (supervisors): every message of the range.
pub async fn export(State(app): State<AppState>, Extension(caller): Extension<Caller>, Query(q): Query<TranscriptQuery>) -> Response {
    if let Err(r) = caller.supervisor() {
        return r.into_response();
    }
    let to = q.to.unwrap_or(i64::MAX);
    let from = q.from.unwrap_or(0);
    let kind = match q.format.as_deref() {
        None | Some("csv") => Kind::Csv,
        Some("jsonl") => Kind::Jsonl,
        Some(_) => return fail(400, "`format` must be csv or jsonl").into_response(),
    };
    app.hub.audit(&crate::lifecycle_api::me(&caller), "export", "transcripts", &format!("from={from} to={to}"));
    stream(app, from, to, None, kind, "messages").await
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Json,
    Csv,
    Jsonl,
}

/// The messages of [from, to) (of one customer, or all), page by page, as `kind`.
async fn stream(app: AppState, from: i64, to: i64, user: Option<String>, kind: Kind, name: &str) -> Response {
    let store = app.hub.store_arc();
    let first = match kind {
        Kind::Csv => "id,created_at,user_id,user_name,kf_id,sender,content,recalled\r\n".to_owned(),
        Kind::Json => "[".to_owned(),
        _ => String::new(),
    };
    // State: (after id, done, rows written).
    let pages = futures_util::stream::unfold((0i64, false, 0u64), move |(after, done, written)| {
        let (store, user) = (store.clone(), user.clone());
        async move {
            if done {
                return None;
            }
            let page = tokio::task::spawn_blocking(move || match &user {
                Some(u) => store.history_after(u, after, PAGE),
                None => store.messages_between(from, to, after, PAGE),
            })
            .await
            .ok()?
            .ok()?;
            let last = page.last().map(|m| m.id);
            let finished = (page.len() as u32) < PAGE;
            let page: Vec<StoredMessage> = page.into_iter().filter(|m| m.create_time >= from && m.create_time < to).collect();
            let mut out = String::new();
            for (i, m) in page.iter().enumerate() {
                match kind {
                    Kind::Text => out.push_str(&line(m)),
                    Kind::Csv => out.push_str(&csv_row(m)),
                    Kind::Jsonl => {
                        out.push_str(&json_of(m).to_string());
                        out.push('\n');
                    }
                    Kind::Json => {
                        if written + i as u64 > 0 {
                            out.push(',');
                        }
                        out.push_str(&json_of(m).to_string());
                    }
                }
            }
            if finished && kind == Kind::Json {
                out.push(']');
            }
            Some((Ok::<_, std::io::Error>(out), (last.unwrap_or(after), finished, written + page.len() as u64)))
        }
    });
    let body = Body::from_stream(futures_util::StreamExt::chain(futures_util::stream::once(async move { Ok::<_, std::io::Error>(first) }), pages));
    let (ctype, ext) = match kind {
        Kind::Text => ("text/plain; charset=utf-8", "txt"),
        Kind::Json => ("application/json", "json"),
        Kind::Csv => ("text/csv; charset=utf-8", "csv"),
        Kind::Jsonl => ("application/x-ndjson", "jsonl"),
    };
    let disposition = format!("attachment; filename=\"{name}.{ext}\"");
    ([(header::CONTENT_TYPE, ctype.to_owned()), (header::CONTENT_DISPOSITION, disposition), (header::CACHE_CONTROL, "no-store".to_owned())], body).into_response()
}
