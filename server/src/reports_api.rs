//! `GET /reports/agents` (JSON) and `GET /reports/agents.csv` (a download with a header row): the
//! supervisors' figures for a date range (`from`/`to` in ms; the last 7 days by default), for the
//! whole desk or one department (`department`: its id, `-` for conversations of none).

use crate::app_state::AppState;
use crate::auth::Caller;
use crate::reply::{fail, ok, Reply};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;
use serde_json::json;

/// Query of the reports.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Range {
    from: Option<i64>,
    to: Option<i64>,
    /// Minutes east of UTC for the per-hour volume (480 for China); 0 by default.
    tz_offset: Option<i64>,
    /// Only the conversations of this department (its id), or with `-` of none; all by default.
    department: Option<String>,
}

type Figures = (Vec<crate::reports::AgentReport>, crate::reports::QueueReport, Vec<crate::reports::DepartmentReport>, i64, i64);

async fn figures(app: &AppState, caller: &Caller, r: Range) -> Result<Figures, Reply> {
    caller.supervisor()?;
    let to = r.to.unwrap_or_else(crate::hub::now_ms);
    let from = r.from.unwrap_or(to - 7 * 24 * 3600 * 1000);
    if from >= to {
        return Err(fail(400, "`from` must be before `to`"));
    }
    let offset = r.tz_offset.unwrap_or(0).clamp(-14 * 60, 14 * 60);
    let store = app.hub.store_arc();
    let rows = tokio::task::spawn_blocking(move || {
        store.caught_up();
        store.report_rows(from, to)
    }).await.map_err(|_| fail(500, "report failed"))?;
    let mut rows = rows.map_err(|e| Reply::from(app.hub.store_failed(e)))?;
    match r.department.as_deref().filter(|d| !d.is_empty()) {
        None => {}
        Some("-") => rows.retain(|row| row.department.is_none()),
        Some(d) => rows.retain(|row| row.department.as_deref() == Some(d)),
    }
    let (agents, queue) = crate::reports::compute(&rows, offset);
    Ok((agents, queue, crate::reports::by_department(&rows), from, to))
}

/// `GET /reports/agents?from=&to=&tzOffset=&department=` (supervisors) → `{from, to, agents:[…], queue}`.
pub async fn agents(State(app): State<AppState>, Extension(caller): Extension<Caller>, Query(r): Query<Range>) -> Reply {
    match figures(&app, &caller, r).await {
        Ok((agents, queue, departments, from, to)) => ok("ok", json!({"from": from, "to": to, "agents": agents, "queue": queue, "departments": departments})),
        Err(r) => r,
    }
}

/// `GET /reports/agents.csv?from=&to=&department=` (supervisors): the same per-agent figures as a CSV download.
pub async fn agents_csv(State(app): State<AppState>, Extension(caller): Extension<Caller>, Query(r): Query<Range>) -> Response {
    match figures(&app, &caller, r).await {
        Ok((agents, _, _, from, to)) => {
            app.hub.audit(&crate::lifecycle_api::me(&caller), "export", "reports/agents.csv", &format!("from={from} to={to}"));
            let disposition = format!("attachment; filename=\"agents-{from}-{to}.csv\"");
            ([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)], crate::reports::agents_csv(&agents)).into_response()
        }
        Err(r) => r.into_response(),
    }
}
