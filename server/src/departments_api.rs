//! The HTTP face of departments: `GET /settings/departments` (any signed-in agent: the transfer
//! picker lists them) and `POST /settings/departments` (supervisors: the whole list at once).

use crate::app_state::AppState;
use crate::auth::Caller;
use crate::hub::DepartmentSettings;
use crate::lifecycle_api::me;
use crate::reply::{fail, ok, Reply};
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::{Extension, Json};
use serde_json::json;

/// `GET /settings/departments` → `{departments: [{id, name, agents}], urlRules, ask, walkIn?}`.
pub async fn departments(State(app): State<AppState>) -> Reply {
    ok("ok", json!(app.hub.department_settings()))
}

/// `POST /settings/departments` with `{departments, urlRules, ask, walkIn?}` (supervisors):
/// replaces them.
pub async fn set_departments(State(app): State<AppState>, Extension(caller): Extension<Caller>, b: Result<Json<DepartmentSettings>, JsonRejection>) -> Reply {
    if let Err(r) = caller.supervisor() {
        return r;
    }
    let settings = match crate::reply::body(b) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let hub = app.hub.clone();
    // Checking the agents reads the store: off the async threads.
    let saved = tokio::task::spawn_blocking(move || hub.set_department_settings(settings)).await;
    match saved {
        Ok(Ok(())) => {
            app.hub.audit(&me(&caller), "settings", "departments", "");
            ok("已保存", json!(app.hub.department_settings()))
        }
        Ok(Err(e)) => e.into(),
        Err(e) => fail(500, &e.to_string()),
    }
}
