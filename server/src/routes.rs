//! Every route of one node: sockets, API, uploads and the static pages, behind the guard.

use crate::app_state::AppState;
use crate::{auth_api, context_api, departments_api, guard, health_api, http_api, lifecycle_api, ops_api, pages, privacy_api, reports_api, search_api, supervisor_api, test_api, transcripts_api, webhooks_api, ws};
use axum::http::{header, HeaderValue};
use axum::routing::{delete, get, post, MethodRouter};
use axum::Router;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// Path prefixes of the API (a cluster's gateways send these to the routing node).
pub const API_PREFIXES: &[&str] = &[
    "/auth/", "/personalConfig/", "/overSession/", "/sessionComm/", "/chatLog/", "/agents/", "/queue", "/supervisor/", "/visitors/",
    "/transfer/", "/upload/", "/uploads/", "/test/", "/settings/", "/offlineMessages/", "/search", "/webhooks/", "/audit", "/reports/", "/transcripts/",
];

/// Every HTTP API route: path and handler. In a cluster each is sent to the routing node by its
/// prefix in [`API_PREFIXES`] (a test checks that the prefixes cover every path); sockets,
/// `/healthz` and `/metrics` are the node's own.
pub fn api_routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/auth/login", post(auth_api::login)),
        ("/auth/logout", post(auth_api::logout)),
        ("/auth/me", get(auth_api::me)),
        ("/personalConfig/getInfo", get(http_api::get_info)),
        ("/overSession/overUser", get(http_api::over_user)),
        ("/sessionComm/sessionCommList", post(http_api::phrase_list)),
        ("/sessionComm/add", post(http_api::phrase_add)),
        ("/chatLog/list", get(http_api::chat_log)),
        ("/chatLog/conversations", get(lifecycle_api::conversations)),
        ("/search", get(search_api::search)),
        ("/webhooks/deliveries", get(webhooks_api::deliveries)),
        ("/settings/closeout", get(lifecycle_api::closeout).post(lifecycle_api::set_closeout)),
        ("/settings/hours", get(lifecycle_api::hours).post(lifecycle_api::set_hours)),
        ("/settings/departments", get(departments_api::departments).post(departments_api::set_departments)),
        ("/offlineMessages/list", get(lifecycle_api::offline_list)),
        ("/offlineMessages/claim", post(lifecycle_api::offline_claim)),
        ("/offlineMessages/handle", post(lifecycle_api::offline_handle)),
        ("/agents/online", get(http_api::online_agents)),
        ("/agents/presence", post(ops_api::set_presence)),
        ("/agents/capacity", post(ops_api::set_capacity)),
        ("/queue", get(ops_api::queue)),
        ("/supervisor/board", get(supervisor_api::board)),
        ("/supervisor/whisper", post(supervisor_api::whisper)),
        ("/supervisor/reassign", post(supervisor_api::reassign)),
        ("/supervisor/join", post(supervisor_api::join)),
        ("/supervisor/leave", post(supervisor_api::leave)),
        ("/supervisor/end", post(supervisor_api::end)),
        ("/visitors/context", get(context_api::context)),
        ("/visitors/{user_id}", delete(privacy_api::erase)),
        ("/audit", get(privacy_api::audit)),
        ("/reports/agents", get(reports_api::agents)),
        ("/reports/agents.csv", get(reports_api::agents_csv)),
        ("/transcripts/customer", get(transcripts_api::customer)),
        ("/transcripts/export", get(transcripts_api::export)),
        ("/transfer/transferUser", post(http_api::transfer)),
        ("/upload/image", post(http_api::upload_image)),
    ]
}

/// The `/test/*` controls, only with `--test-hooks`.
pub fn test_routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/test/agent-frame", post(test_api::agent_frame)),
        ("/test/drop-agent", post(test_api::drop_agent)),
        ("/test/stall", post(test_api::stall)),
        ("/test/clock", post(test_api::clock)),
        ("/test/history", post(test_api::history)),
    ]
}

/// The router: sockets, API, uploads and the static console.
pub fn app(state: AppState) -> Router {
    let uploads = if state.cfg.postgres() {
        Router::new().route("/{name}", get(http_api::stored_upload)).with_state(state.clone())
    } else {
        Router::new().fallback_service(ServeDir::new(state.cfg.data_dir.join("uploads")))
    };
    let uploads = uploads
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; img-src 'self'; sandbox"),
        ));
    let mut api = Router::new()
        .route("/websocket/visitor/{user_id}", get(ws::visitor_ws))
        .route("/websocket/{kf_id}", get(ws::agent_ws))
        .route("/healthz", get(health_api::healthz))
        .route("/metrics", get(health_api::metrics));
    let hooks = if state.cfg.test_hooks { test_routes() } else { Vec::new() };
    for (path, handler) in api_routes().into_iter().chain(hooks) {
        api = api.route(path, handler);
    }
    let api = api.layer(axum::extract::DefaultBodyLimit::max(state.cfg.max_upload_bytes + 64 * 1024));
    let api = api.layer(axum::middleware::from_fn(crate::nul::clean));
    let api = api.layer(axum::middleware::from_fn_with_state(state.clone(), guard::check));
    // Outside the guard and the handlers: every refusal leaves in the API's JSON shape.
    let mut api = api.layer(axum::middleware::from_fn(crate::reply::refusals_in_shape));
    // CORS outside the guard, so a console on another origin gets its preflights answered: any
    // origin for test pages (wasm-bindgen-test-runner serves from its own port), else the origins
    // of the allow-list.
    if state.cfg.test_hooks {
        api = api.layer(tower_http::cors::CorsLayer::permissive());
    } else if !state.cfg.allowed_origins.is_empty() {
        let origins: Vec<HeaderValue> = state.cfg.allowed_origins.iter().filter_map(|o| o.parse().ok()).collect();
        api = api.layer(
            tower_http::cors::CorsLayer::new()
                .allow_origin(origins)
                .allow_methods([axum::http::Method::GET, axum::http::Method::POST, axum::http::Method::DELETE])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]),
        );
    }
    let www = pages::www(&state.cfg);
    api.nest_service("/uploads", uploads)
        .fallback_service(www)
        .with_state(state)
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cluster_prefixes_cover_every_api_route_and_nothing_else() {
        let paths: Vec<&str> = api_routes().into_iter().chain(test_routes()).map(|(p, _)| p).chain(["/uploads/x.png"]).collect();
        for p in &paths {
            assert!(API_PREFIXES.iter().any(|pre| p.starts_with(pre)), "{p} would not reach the routing node");
        }
        for pre in API_PREFIXES {
            assert!(paths.iter().any(|p| p.starts_with(pre)), "prefix {pre} serves no route");
        }
    }
}
