//! `GET /search`: full-text search across conversations for the console's search box. Agents
//! search the customers they served; supervisors everything.

use crate::app_state::AppState;
use crate::auth::Caller;
use crate::reply::{fail, ok, Reply};
use crate::store::search::{snippet, SearchQuery};
use axum::extract::{Query, State};
use axum::Extension;
use serde::Deserialize;
use serde_json::json;

/// Query of `GET /search`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchParams {
    q: Option<String>,
    kf_id: Option<String>,
    from: Option<i64>,
    to: Option<i64>,
    tag: Option<String>,
    rating: Option<i64>,
    limit: Option<u32>,
}

/// The LayIM id of a customer (as the console makes it): `h` + the id's UTF-8 in hex.
fn layim_id(user_id: &str) -> String {
    format!("h{}", hex::encode(user_id.as_bytes()))
}

/// `GET /search?q=退款 refund&kfId=&from=&to=&tag=&rating=&limit=` → `{list:[{id, userId,
/// userName, kfId, sender, createTime, snippet, chatLog}], took}`: every term a substring of the
/// message, newest first (`from`/`to` in ms).
pub async fn search(State(app): State<AppState>, Extension(caller): Extension<Caller>, Query(p): Query<SearchParams>) -> Reply {
    let q = p.q.as_deref().map(str::trim).unwrap_or_default();
    if q.is_empty() || q.chars().count() > 200 {
        return fail(400, "`q` must be 1 to 200 characters");
    }
    let terms: Vec<String> = q.split_whitespace().map(str::to_owned).collect();
    if terms.len() > 8 || terms.iter().any(|t| t.chars().count() > 64) {
        return fail(400, "at most 8 terms of at most 64 characters");
    }
    if p.rating.is_some_and(|r| !(1..=5).contains(&r)) {
        return fail(400, "`rating` must be 1 to 5");
    }
    let served_by = match &caller {
        Caller::Agent { kf_id, supervisor: false } => Some(kf_id.clone()),
        _ => None,
    };
    let query = SearchQuery { terms: terms.clone(), kf_id: p.kf_id, from: p.from, to: p.to, tag: p.tag, rating: p.rating, served_by, limit: p.limit.unwrap_or(50) };
    let store = app.hub.store_arc();
    let started = std::time::Instant::now();
    let found = tokio::task::spawn_blocking(move || store.search(&query)).await;
    let took_ms = started.elapsed().as_millis() as u64;
    match found {
        Ok(Ok(list)) => {
            let list: Vec<serde_json::Value> = list
                .into_iter()
                .map(|m| {
                    json!({
                        "id": m.id, "userId": m.user_id, "userName": m.user_name, "kfId": m.kf_id, "sender": m.sender,
                        "createTime": m.create_time, "snippet": snippet(&m.content, &terms, 40),
                        "chatLog": format!("chatlog.html?id={}&type=kefu&at={}", layim_id(&m.user_id), m.id),
                    })
                })
                .collect();
            ok("ok", json!({"list": list, "tookMs": took_ms}))
        }
        Ok(Err(e)) => app.hub.store_failed(e).into(),
        Err(_) => fail(500, "search failed"),
    }
}
