//! Every route of one node: sockets, API, uploads and the static pages, behind the guard.

use crate::app_state::AppState;
use crate::{auth, context_api, guard, http_api, metrics, ops_api, pages, test_hooks, ws};
use axum::http::{header, HeaderValue};
use axum::routing::{get, post};
use axum::Router;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// Path prefixes of the API (a cluster's gateways send these to the routing node).
pub const API_PREFIXES: &[&str] = &[
    "/auth/", "/personalConfig/", "/overSession/", "/sessionComm/", "/chatLog/", "/agents/", "/queue", "/visitors/",
    "/transfer/", "/upload/", "/uploads/", "/test/",
];

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
        .route("/auth/login", post(auth::routes::login))
        .route("/auth/logout", post(auth::routes::logout))
        .route("/auth/me", get(auth::routes::me))
        .route("/websocket/visitor/{user_id}", get(ws::visitor_ws))
        .route("/websocket/{kf_id}", get(ws::agent_ws))
        .route("/personalConfig/getInfo", get(http_api::get_info))
        .route("/overSession/overUser", get(http_api::over_user))
        .route("/sessionComm/sessionCommList", post(http_api::phrase_list))
        .route("/sessionComm/add", post(http_api::phrase_add))
        .route("/chatLog/list", get(http_api::chat_log))
        .route("/agents/online", get(http_api::online_agents))
        .route("/agents/presence", post(ops_api::set_presence))
        .route("/agents/capacity", post(ops_api::set_capacity))
        .route("/queue", get(ops_api::queue))
        .route("/healthz", get(metrics::healthz))
        .route("/metrics", get(metrics::metrics))
        .route("/visitors/context", get(context_api::context))
        .route("/transfer/transferUser", post(http_api::transfer))
        .route("/upload/image", post(http_api::upload_image))
        .layer(axum::extract::DefaultBodyLimit::max(state.cfg.max_upload_bytes + 64 * 1024));
    if state.cfg.test_hooks {
        api = api
            .route("/test/agent-frame", post(test_hooks::agent_frame))
            .route("/test/drop-agent", post(test_hooks::drop_agent))
            .route("/test/stall", post(test_hooks::stall));
    }
    let mut api = api.layer(axum::middleware::from_fn_with_state(state.clone(), guard::check));
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
                .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]),
        );
    }
    let www = pages::www(&state.cfg);
    api.nest_service("/uploads", uploads)
        .fallback_service(www)
        .with_state(state)
}

