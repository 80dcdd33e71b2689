//! The static pages (console, visitor page, chat log) with their security headers, and the
//! deployment's `kefu-config.json`.

use crate::config::Config;
use axum::http::{header, HeaderValue};
use axum::routing::get;
use axum::Router;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

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

