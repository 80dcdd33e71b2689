//! kefu-server: the reference chat server for kefu-agent. It speaks the original `chatDialog.js`
//! protocol to agents, a small JSON protocol to visitors, serves the console, and stores every
//! message in SQLite.

pub mod auth;
pub mod cluster;
pub mod config;
pub mod context_api;
pub mod http_api;
pub mod http_serve;
pub mod hub;
pub mod metrics;
pub mod ops_api;
pub mod protocol;
pub mod socket;
pub mod store;
pub mod guard;
pub mod test_hooks;
pub mod ws;

use axum::http::{header, HeaderValue};
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

pub use config::Config;

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    /// Routing.
    pub hub: Arc<hub::Hub>,
    /// Settings.
    pub cfg: Arc<Config>,
    /// Agents whose conversations were restored at start-up (grace timers start with `serve`).
    pub restored: Vec<(String, u64)>,
    /// The `/test/*` controls, only with `--test-hooks`.
    pub test_hooks: Option<Arc<test_hooks::TestHooks>>,
    /// Accounts, tokens and visitor ownership.
    pub auth: Arc<auth::Auth>,
    /// Per-address limits on visitor sockets and new visitor ids.
    pub visitor_limits: Arc<auth::visitor_limits::VisitorLimits>,
}

/// Opens the store (creating the data directory) and builds the state.
pub fn state(cfg: Config) -> anyhow_like::Result<AppState> {
    std::fs::create_dir_all(cfg.data_dir.join("uploads")).map_err(|e| format!("cannot create {:?}: {e}", cfg.data_dir))?;
    config::private(&cfg.data_dir, 0o700)?;
    let store = cfg.open_store()?;
    let open = store.open_conversations().map_err(|e| format!("cannot read the store: {e}"))?;
    // The token key: a file beside SQLite; in PostgreSQL, shared by every node.
    let key = match &store {
        store::Store::Sqlite(_) => auth::keys::load_or_create(&cfg.data_dir.join("auth.key"))?,
        store::Store::Postgres(_) => {
            let hex_key = store.meta_or_insert("token_key", || hex::encode(auth::keys::random_bytes::<32>())).map_err(|e| format!("cannot read the store: {e}"))?;
            hex::decode(hex_key).map_err(|e| format!("the stored token key is not hex: {e}"))?
        }
    };
    // Ids claimed a day ago or more by pages that never said anything are nobody's.
    match store.forget_silent_visitors(hub::now_ms() - 24 * 3600 * 1000) {
        Ok(n) if n > 0 => tracing::info!(n, "silent visitor ids forgotten"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cannot forget silent visitor ids"),
    }
    let hub = hub::Hub::new(Arc::new(store), cfg.grace(), cfg.max_conversations, cfg.sneak_peek);
    hub.offer_silent_visitors(cfg.offer_silent_visitors);
    let restored = hub.restore(open);
    let test_hooks = cfg.test_hooks.then(Default::default);
    let auth = Arc::new(auth::Auth::new(&key, &cfg));
    if cfg.demo {
        for kf_id in hub.store().agents_without_password().map_err(|e| format!("cannot read the store: {e}"))? {
            let seeded = store::DEFAULT_AGENTS.iter().any(|(id, _, _)| *id == kf_id);
            if seeded {
                let name = hub.store().agent(&kf_id).ok().flatten().map(|a| a.name).unwrap_or_else(|| kf_id.clone());
                hub.store().set_password(&kf_id, &name, &auth::hash_password(&kf_id), None).map_err(|e| format!("cannot write the store: {e}"))?;
            }
        }
    }
    let visitor_limits = auth::visitor_limits::VisitorLimits::new(cfg.max_visitor_sockets_per_address, cfg.max_new_visitors_per_address);
    Ok(AppState { hub, cfg: Arc::new(cfg), restored, test_hooks, auth, visitor_limits })
}

/// `kefu-server passwd`: sets agent `kf_id`'s password (from `KEFU_PASSWORD` or the first line
/// of standard input), creating the agent if needed; the store keeps only the argon2 hash.
pub fn set_password(cfg: &Config, kf_id: &str, name: Option<&str>, role: Option<&str>) -> anyhow_like::Result<()> {
    let password = match std::env::var("KEFU_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map_err(|e| format!("cannot read the password: {e}"))?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    set_password_to(cfg, kf_id, name, role, &password)
}

/// Sets agent `kf_id`'s password to `password` (and its role, when given), creating the agent if
/// needed, and voids every token issued before: a running server refuses them on the next call
/// and closes their sockets (4401) within one heartbeat.
pub fn set_password_to(cfg: &Config, kf_id: &str, name: Option<&str>, role: Option<&str>, password: &str) -> anyhow_like::Result<()> {
    if password.chars().count() < 8 && !cfg.demo {
        return Err("a password needs at least 8 characters".into());
    }
    let store = cfg.open_store()?;
    let name = match (name, store.agent(kf_id).ok().flatten()) {
        (Some(n), _) => n.to_owned(),
        (None, Some(a)) => a.name,
        (None, None) => kf_id.to_owned(),
    };
    store.set_password(kf_id, &name, &auth::hash_password(password), role).map_err(|e| format!("cannot write the store: {e}"))?;
    store.void_tokens(kf_id, hub::now_ms() + 1).map_err(|e| format!("cannot write the store: {e}"))
}

/// Minimal error alias: a message.
pub mod anyhow_like {
    /// A result whose error is a human message.
    pub type Result<T> = std::result::Result<T, String>;
}

/// Path prefixes of the API (a cluster's gateways send these to the routing node).
pub const API_PREFIXES: &[&str] = &[
    "/auth/", "/personalConfig/", "/overSession/", "/sessionComm/", "/chatLog/", "/agents/", "/queue", "/visitors/",
    "/transfer/", "/upload/", "/uploads/", "/test/",
];

/// The chat servers a console served here may talk to (this server, and `--chat-servers`) and
/// whether customers' remote images load: `GET /kefu-config.json`, read by the console and the
/// visitor page before anything else. A console hosted elsewhere serves a static file of the
/// same name.
pub fn console_config(cfg: &Config) -> serde_json::Value {
    serde_json::json!({"chatServers": cfg.chat_servers, "remoteImages": cfg.allow_remote_images})
}

/// The origins (`scheme://host:port`) of `--chat-servers`, each also as its WebSocket origin.
fn chat_server_sources(cfg: &Config) -> String {
    let mut out = String::new();
    for s in &cfg.chat_servers {
        let Ok(u) = url::Url::parse(s) else { continue };
        let origin = u.origin().ascii_serialization();
        let ws = origin.replacen("http", "ws", 1);
        out.push_str(&format!(" {origin} {ws}"));
    }
    out
}

/// The pages' Content-Security-Policy: as strict as LayIM allows. laytpl compiles templates with
/// `new Function` ('unsafe-eval'), layer positions with inline styles ('unsafe-inline' for styles
/// only), the wasm needs 'wasm-unsafe-eval'; connections only to this server and the configured
/// chat servers; images from elsewhere only with `--allow-remote-images`; framed only by its own
/// pages (the console shows the chat log in an iframe of LayIM's).
pub fn content_security_policy(cfg: &Config) -> String {
    let remote = if cfg.allow_remote_images { " http: https:" } else { "" };
    let servers = chat_server_sources(cfg);
    format!(
        "default-src 'self'; script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:{remote}{servers}; media-src 'self'{remote}{servers}; connect-src 'self'{servers}; \
         frame-src 'self'; frame-ancestors 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
    )
}

/// The static console and visitor page, with their security headers, and `/kefu-config.json`.
pub fn www(cfg: &Config) -> Router {
    let csp = HeaderValue::from_str(&content_security_policy(cfg)).expect("the CSP is ASCII");
    let config = console_config(cfg);
    Router::new()
        .route("/kefu-config.json", get(move || std::future::ready(axum::Json(config))))
        .fallback_service(ServeDir::new(&cfg.www_dir).append_index_html_on_directories(true))
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, csp))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
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
    let www = www(&state.cfg);
    api.nest_service("/uploads", uploads)
        .fallback_service(www)
        .with_state(state)
}

/// Starts the grace timers of the agents whose conversations were restored from the store, so
/// those who never come back hand their customers on.
pub fn start_restored_timers(state: &AppState) {
    for (kf_id, epoch) in state.restored.clone() {
        let hub = state.hub.clone();
        tokio::spawn(async move {
            tokio::time::sleep(hub.grace()).await;
            hub.agent_grace_expired(&kf_id, epoch);
        });
    }
}

/// Serves on an already bound listener until `shutdown` resolves; then closes every socket with
/// 1001 and checkpoints the store.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let hub = state.hub.clone();
    let header_timeout = std::time::Duration::from_millis(state.cfg.header_read_timeout_ms);
    start_restored_timers(&state);
    let router = app(state);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let hub2 = hub.clone();
    tokio::spawn(async move {
        shutdown.await;
        hub2.shutdown();
        // Let the close frames go out before connections are cut.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let _ = tx.send(());
    });
    let r = http_serve::serve(listener, router, header_timeout, async { let _ = rx.await; }).await;
    hub.store().checkpoint();
    r
}
