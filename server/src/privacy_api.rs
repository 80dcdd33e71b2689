//! The HTTP face of what the desk forgets and what it records: `DELETE /visitors/{userId}` (erase a
//! customer), `GET /audit` (the audit log), both for supervisors; and the retention pass
//! (`--retention-days`), run at start and every hour.

use crate::app_state::AppState;
use crate::auth::Caller;
use crate::reply::{fail, ok, Reply};
use crate::supervisor_api::supervisor_id;
use axum::extract::{Path, Query, State};
use axum::Extension;
use serde::Deserialize;
use serde_json::json;

/// Removes upload files named in removed messages (SQLite keeps them as files; PostgreSQL removed
/// them in the store's transaction).
fn remove_files(cfg: &crate::config::Config, names: &[String]) {
    if cfg.postgres() {
        return;
    }
    for n in names {
        let _ = std::fs::remove_file(cfg.data_dir.join("uploads").join(n));
    }
}

/// `DELETE /visitors/{userId}` (supervisors): the customer's messages, conversations, messages
/// left, recall originals, resume secret and uploads are removed; the audit log keeps who did it
/// and the counts, no content. → `{messages, conversations, offlineMessages, uploads}`.
pub async fn erase(State(app): State<AppState>, Extension(caller): Extension<Caller>, Path(user_id): Path<String>) -> Reply {
    let by = match supervisor_id(&caller) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let hub = app.hub.clone();
    let id = user_id.clone();
    match tokio::task::spawn_blocking(move || hub.erase_visitor(&by, &id)).await {
        Ok(Ok(removed)) => {
            remove_files(&app.cfg, &removed.uploads);
            ok("已删除", json!({"userId": user_id, "messages": removed.messages, "conversations": removed.conversations, "offlineMessages": removed.offline_messages, "uploads": removed.uploads.len()}))
        }
        Ok(Err(e)) => e.into(),
        Err(_) => fail(500, "erase failed"),
    }
}

/// Query of `GET /audit`.
#[derive(Deserialize)]
pub struct AuditQuery {
    from: Option<i64>,
    to: Option<i64>,
    limit: Option<u32>,
}

/// `GET /audit?from=&to=&limit=` (supervisors) → `{list:[{id, at, actor, action, target, detail}]}`,
/// newest first.
pub async fn audit(State(app): State<AppState>, Extension(caller): Extension<Caller>, Query(q): Query<AuditQuery>) -> Reply {
    if let Err(r) = supervisor_id(&caller) {
        return r;
    }
    let limit = q.limit.unwrap_or(200).clamp(1, 1000);
    match app.hub.store().audit_log(q.from.unwrap_or(0), q.to.unwrap_or(i64::MAX), limit) {
        Ok(list) => ok("ok", json!({"list": list})),
        Err(e) => app.hub.store_failed(e).into(),
    }
}

/// One retention pass: everything older than `--retention-days` goes (messages, ended
/// conversations, messages left, uploads); counted in the audit log. Returns what went.
pub fn retention_pass(hub: &crate::hub::Hub, cfg: &crate::config::Config) -> Option<crate::store::privacy::Removed> {
    let days = cfg.retention_days;
    if days == 0 {
        return None;
    }
    let cutoff = crate::hub::now_ms() - (days as i64) * 24 * 3600 * 1000;
    let removed = match hub.store().purge_before(cutoff) {
        Ok(r) => r,
        Err(e) => {
            let _ = hub.store_failed(e);
            return None;
        }
    };
    remove_files(cfg, &removed.uploads);
    if !cfg.postgres() {
        // Files older than the cutoff whatever refers to them (an upload precedes its message).
        if let Ok(dir) = std::fs::read_dir(cfg.data_dir.join("uploads")) {
            let cutoff_time = std::time::UNIX_EPOCH + std::time::Duration::from_millis(cutoff.max(0) as u64);
            for f in dir.flatten() {
                if f.metadata().and_then(|m| m.modified()).is_ok_and(|t| t < cutoff_time) {
                    let _ = std::fs::remove_file(f.path());
                }
            }
        }
    }
    let detail = format!("days={days} messages={} conversations={} offlineMessages={}", removed.messages, removed.conversations, removed.offline_messages);
    hub.audit("system", "retention", "store", &detail);
    tracing::info!(detail, "retention pass");
    Some(removed)
}
