//! `GET /visitors/context?userId=`: what the agent's context panel shows about a customer: what
//! their page reported (URL, title, referrer, language), browser and OS from their `User-Agent`
//! (parsed by woothee), their department, when they were first seen and how many conversations they have had. For
//! supervisors and the agents who served the customer. Every string is the customer's: shown as
//! text by the console.

use crate::auth::Caller;
use crate::reply::{fail, ok, Reply};
use crate::app_state::AppState;
use axum::extract::{Query, State};
use axum::Extension;
use serde::Deserialize;
use serde_json::json;

/// Query of the endpoint.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextQuery {
    user_id: Option<String>,
}

fn described(name: &str, version: &str) -> Option<String> {
    match (name, version) {
        ("UNKNOWN", _) | ("", _) => None,
        (n, "UNKNOWN" | "") => Some(n.to_owned()),
        (n, v) => Some(format!("{n} {v}")),
    }
}

/// The endpoint.
pub async fn context(State(app): State<AppState>, Extension(caller): Extension<Caller>, Query(q): Query<ContextQuery>) -> Reply {
    let Some(user_id) = q.user_id.as_deref().map(str::trim).filter(|u| !u.is_empty()) else {
        return fail(400, "`userId` is required");
    };
    if let Err(r) = caller.reads_log_of(app.hub.store(), user_id) {
        return r;
    }
    let live = app.hub.context_of(user_id);
    app.hub.store().caught_up();
    let (first_seen, conversations) = match app.hub.store().visitor_history(user_id) {
        Ok(h) => h,
        Err(e) => return fail(500, &format!("store error: {e}")),
    };
    if live.is_none() && first_seen.is_none() {
        return fail(404, &format!("unknown customer {user_id:?}"));
    }
    let ua = live.as_ref().and_then(|l| l.user_agent.clone());
    let parser = woothee::parser::Parser::new();
    let parsed = ua.as_deref().and_then(|u| parser.parse(u));
    let browser = parsed.as_ref().and_then(|w| described(w.name, w.version));
    let os = parsed.as_ref().and_then(|w| described(w.os, &w.os_version));
    ok(
        "ok",
        json!({
            "userId": user_id,
            "userName": live.as_ref().map(|l| l.user_name.clone()),
            "connected": live.as_ref().is_some_and(|l| l.connected),
            "page": live.as_ref().map(|l| json!(l.page)),
            "userAgent": ua,
            "browser": browser,
            "os": os,
            "firstSeen": first_seen,
            "conversations": conversations,
            "department": live.as_ref().and_then(|l| l.department.as_ref()).map(|(id, name)| json!({"id": id, "name": name})),
        }),
    )
}
