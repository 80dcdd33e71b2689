//! `POST /auth/login`, `POST /auth/logout`, `GET /auth/me`, in LayIM's `{code, msg, data}` shape.

use crate::auth::{hash_password, verify_dummy, verify_password, Caller};
use crate::reply::{fail, ok, Reply};
use crate::hub::Out;
use crate::app_state::AppState;
use axum::extract::{ConnectInfo, State};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Value};
use std::net::SocketAddr;

/// Body of a login.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Login {
    kf_id: Option<String>,
    password: Option<String>,
}

/// What a password check found.
enum Check {
    /// A new account (`--open-registration`) with this hash.
    New(String),
    /// The right password; the account's role.
    Good(String),
    /// A wrong password, an unknown account or one without a password.
    Wrong,
}

/// How long a login waits for a free password check before 503.
const HASHING_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// One answer for every wrong account or password, so accounts cannot be enumerated.
const WRONG: &str = "账号或密码错误 (wrong account or password)";

/// `POST /auth/login` with `{kfId, password}` → `{"code":0,"data":{"token","kfId","role","expiresAt"}}`.
pub async fn login(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    body: Result<Json<Login>, axum::extract::rejection::JsonRejection>,
) -> Reply {
    let Ok(Json(b)) = body else { return fail(400, "send JSON {\"kfId\": …, \"password\": …}") };
    let (Some(kf_id), Some(password)) = (b.kf_id.filter(|k| !k.trim().is_empty()), b.password.filter(|p| !p.is_empty())) else {
        return fail(400, "kfId and password are required");
    };
    if kf_id.chars().count() > 64 || password.len() > 1024 {
        return fail(400, "kfId or password too long");
    }
    let auth = app.auth.clone();
    let address = crate::auth::throttle::client_address(peer, &headers, &app.cfg.trusted_proxies).ip().to_string();
    // Counted before anything is checked: a burst gets only as many checks as the limits allow.
    let attempt = match auth.throttle.reserve(&kf_id, &address) {
        Ok(a) => a,
        Err(secs) => {
            tracing::warn!(kf_id, address, "login refused: too many failures");
            return fail(429, &format!("登录失败次数过多，请 {secs} 秒后再试 (too many failed logins; try again in {secs} s)"));
        }
    };
    let store = app.hub.store_arc();
    let creds = match store.credentials(&kf_id) {
        Ok(c) => c,
        Err(e) => return fail(500, &format!("store error: {e}")),
    };
    let pw = password.clone();
    // At most a few password checks at once (memory); beyond them a short wait, then 503.
    let checked = match creds {
        None if auth.open_registration => auth.hashing.run(HASHING_WAIT, move || Check::New(hash_password(&pw))).await,
        Some(c) if c.password_hash.is_some() => {
            let hash = c.password_hash.expect("checked");
            auth.hashing.run(HASHING_WAIT, move || if verify_password(&pw, &hash) { Check::Good(c.role) } else { Check::Wrong }).await
        }
        // As long as a real check, so the answer's timing does not say the account is unknown.
        _ => auth.hashing.run(HASHING_WAIT, move || { verify_dummy(&pw); Check::Wrong }).await,
    };
    let role = match checked {
        Err(_) => {
            tracing::warn!(kf_id, address, "login refused: password checks busy");
            return fail(503, "登录繁忙，请稍后再试 (too many sign-ins at once; try again shortly)");
        }
        Ok(Check::New(hash)) => {
            if let Err(e) = store.set_password(&kf_id, &kf_id, &hash, None) {
                return fail(500, &format!("store error: {e}"));
            }
            tracing::info!(kf_id, "agent registered on first login (--open-registration)");
            "agent".to_owned()
        }
        Ok(Check::Good(role)) => role,
        Ok(Check::Wrong) => {
            tracing::warn!(kf_id, address, "failed login (wrong password, unknown agent or no password set)");
            app.hub.audit(&kf_id, "sign_in_failed", &kf_id, &format!("address={address}"));
            return fail(401, WRONG);
        }
    };
    auth.throttle.succeeded(attempt);
    let (token, exp) = auth.issue(&kf_id, &role);
    tracing::info!(kf_id, role, "agent signed in");
    app.hub.audit(&kf_id, "sign_in", &kf_id, &format!("address={address} role={role}"));
    ok("ok", json!({"token": token, "kfId": kf_id, "role": role, "expiresAt": exp}))
}

/// `POST /auth/logout`: voids every token of the caller and closes their sockets.
pub async fn logout(State(app): State<AppState>, Extension(caller): Extension<Caller>) -> Reply {
    let Caller::Agent { kf_id, .. } = caller else { return ok("ok", Value::Null) };
    if let Err(e) = app.hub.store().void_tokens(&kf_id, crate::hub::now_ms() + 1) {
        return fail(500, &format!("store error: {e}"));
    }
    if let Some(tx) = app.hub.agent_socket(&kf_id) {
        let _ = tx.send(Out::Close(4401, "signed out".into()));
    }
    tracing::info!(kf_id, "agent signed out");
    ok("已退出登录", Value::Null)
}

/// `GET /auth/me` → `{kfId, role}` of the token's agent.
pub async fn me(Extension(caller): Extension<Caller>) -> Reply {
    match caller {
        Caller::Agent { kf_id, supervisor } => ok("ok", json!({"kfId": kf_id, "role": if supervisor { "supervisor" } else { "agent" }})),
        Caller::Unchecked => ok("ok", json!({"kfId": null, "role": "unchecked"})),
    }
}
