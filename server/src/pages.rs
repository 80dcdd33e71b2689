//! The static pages (console, visitor page, chat log) with their security headers, and the
//! deployment's `kefu-config.json`.

use crate::config::Config;
use axum::http::{header, HeaderValue};
use axum::routing::get;
use axum::Router;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// The chat servers a console served here may talk to (this server, and `--chat-servers`),
/// whether customers' remote images load, and the reply alarm (`--reply-alarm-secs`, the timers'
/// red on the console and the board): `GET /kefu-config.json`, read by the console and the
/// visitor page before anything else. A console hosted elsewhere serves a static file of the
/// same name.
pub fn console_config(cfg: &Config) -> serde_json::Value {
    serde_json::json!({"chatServers": cfg.chat_servers, "remoteImages": cfg.allow_remote_images, "replyAlarmSecs": cfg.reply_alarm_secs})
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

/// The pages a customer widget frames on other sites (`widget.js`): the visitor page, whose
/// `frame-ancestors` lists `--widget-origins` (any site when unset) and which has no
/// `X-Frame-Options`. Every other page is framed only by this server's own pages.
pub const EMBEDDABLE: &[&str] = &["/visitor.html"];

/// The frame headers of `path`: the CSP, and `X-Frame-Options` unless the page is [`EMBEDDABLE`].
fn frame_headers(cfg: &Config) -> impl Fn(&str) -> (HeaderValue, Option<HeaderValue>) + Clone {
    let csp = content_security_policy(cfg);
    let origins: Vec<String> = cfg.widget_origins.iter().filter_map(|o| url::Url::parse(o).ok()).map(|u| u.origin().ascii_serialization()).collect();
    let ancestors = if cfg.widget_origins.is_empty() { "*".to_owned() } else if origins.is_empty() { "'none'".to_owned() } else { origins.join(" ") };
    let embeddable = HeaderValue::from_str(&csp.replace("frame-ancestors 'self'", &format!("frame-ancestors 'self' {ancestors}"))).expect("ASCII");
    let csp = HeaderValue::from_str(&csp).expect("the CSP is ASCII");
    move |path: &str| {
        if EMBEDDABLE.contains(&path) {
            (embeddable.clone(), None)
        } else {
            (csp.clone(), Some(HeaderValue::from_static("SAMEORIGIN")))
        }
    }
}

/// The static console and visitor page, with their security headers, and `/kefu-config.json`.
pub fn www(cfg: &Config) -> Router {
    let config = console_config(cfg);
    let frames = frame_headers(cfg);
    Router::new()
        .route("/kefu-config.json", get(move || std::future::ready(axum::Json(config))))
        .fallback_service(ServeDir::new(&cfg.www_dir).append_index_html_on_directories(true))
        .layer(axum::middleware::from_fn(move |req: axum::extract::Request, next: axum::middleware::Next| {
            let (csp, xfo) = frames(req.uri().path());
            async move {
                let mut r = next.run(req).await;
                let h = r.headers_mut();
                h.entry(header::CONTENT_SECURITY_POLICY).or_insert(csp);
                if let Some(x) = xfo {
                    h.entry(header::X_FRAME_OPTIONS).or_insert(x);
                }
                r
            }
        }))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
}

