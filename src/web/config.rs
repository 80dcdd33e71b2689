//! Reading the JS config object into a [`SessionConfig`] plus shell settings, and building the
//! socket URL with the browser's own `URL` and `encodeURIComponent`.

use crate::contract::OPTIONS;
use super::convert::js_to_scalar;
use super::error::kefu_error;
use super::js::get;
use crate::core::{ErrorCode, LogLevel, OfflineSend, SessionConfig};
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// JS `String(v)`, to quote a bad option value in an error.
    #[wasm_bindgen(js_name = String)]
    fn string_of(v: &JsValue) -> js_sys::JsString;
}

/// The shell's settings on top of the core config.
pub struct ShellConfig {
    /// The core session config.
    pub session: SessionConfig,
    /// Where the socket goes and how it authenticates.
    pub target: SocketTarget,
    /// Most verbose level logged; `None` is silent.
    pub log_level: Option<LogLevel>,
    /// Listen to `online`, `visibilitychange` and `pageshow`.
    pub watch_page: bool,
    /// One socket for all the tabs of this server and agent (`shareAcrossTabs`).
    pub share_tabs: bool,
    /// Keep the `seq` resume point in localStorage across page loads (`resumeAcrossReloads`).
    pub resume: bool,
}

/// The socket's URL and the token it offers as a subprotocol, if any.
pub struct SocketTarget {
    /// `ws://…/websocket/{kfId}` or `wss://…`.
    pub url: String,
    /// `authToken`: sent as the subprotocol `kefu.bearer.<token>` beside `kefu`, so it never
    /// appears in a URL (proxy logs); the reference server reads it there.
    pub auth_token: Option<String>,
}

/// Whether `t` can travel as a WebSocket subprotocol (an RFC 7230 token).
fn is_token(t: &str) -> bool {
    !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn invalid(msg: String) -> JsValue {
    kefu_error(ErrorCode::InvalidConfig, &msg)
}

fn millis(cfg: &JsValue, key: &'static str, default: u64) -> Result<u64, JsValue> {
    count(cfg, key, default, 1, 86_400_000)
}

fn count(cfg: &JsValue, key: &'static str, default: u64, min: u64, max: u64) -> Result<u64, JsValue> {
    let v = get(cfg, key);
    if v.is_undefined() {
        return Ok(default);
    }
    match v.as_f64() {
        Some(f) if f.is_finite() && f.fract() == 0.0 && f >= min as f64 && f <= max as f64 => Ok(f as u64),
        _ => {
            let (mut a, mut b) = (itoa::Buffer::new(), itoa::Buffer::new());
            Err(invalid([key, " must be an integer from ", a.format(min), " to ", b.format(max), ", got ", &String::from(string_of(&v))].concat()))
        }
    }
}

fn flag(cfg: &JsValue, key: &'static str, default: bool) -> Result<bool, JsValue> {
    match get(cfg, key) {
        v if v.is_undefined() => Ok(default),
        v => v.as_bool().ok_or_else(|| invalid([key, " must be a boolean"].concat())),
    }
}

fn string(cfg: &JsValue, key: &'static str) -> Result<Option<String>, JsValue> {
    let v = get(cfg, key);
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.as_string().map(Some).ok_or_else(|| invalid([key, " must be a string"].concat()))
}

/// Parses the config object. Every error is an `INVALID_CONFIG` KefuError naming the option.
pub fn parse(cfg: &JsValue) -> Result<ShellConfig, JsValue> {
    if !cfg.is_object() {
        return Err(invalid("the config must be an object like { kfId: 'xiaoming' }".into()));
    }
    let keys = js_sys::Object::keys(cfg.unchecked_ref::<js_sys::Object>());
    for k in keys.iter() {
        let k = k.as_string().unwrap_or_default();
        if !OPTIONS.contains(&k.as_str()) {
            return Err(invalid(["unknown option \"", &k, "\"; known options: ", &OPTIONS.join(", ")].concat()));
        }
    }
    let kf_id = match js_to_scalar(&get(cfg, "kfId")) {
        Some(s) if !s.key().trim().is_empty() => s.key(),
        _ => return Err(invalid("kfId is required: a non-empty string (the agent's id)".into())),
    };
    let mut session = SessionConfig::new(kf_id.clone());
    if let Some(name) = string(cfg, "kfName")? {
        session.kf_name = name;
    }
    session.heartbeat_ms = millis(cfg, "heartbeatMs", session.heartbeat_ms)?;
    session.heartbeat_timeout_ms = millis(cfg, "heartbeatTimeoutMs", session.heartbeat_timeout_ms)?;
    session.reconnect_ms = millis(cfg, "reconnectMs", session.reconnect_ms)?;
    session.connect_timeout_ms = millis(cfg, "connectTimeoutMs", session.connect_timeout_ms)?;
    session.hello_wait_ms = millis(cfg, "helloWaitMs", session.hello_wait_ms)?;
    // Message ids (extension `ack`) must not repeat across page loads: a random prefix.
    session.client_token = client_token();
    session.max_held_messages = count(cfg, "maxHeldMessages", session.max_held_messages as u64, 0, 1_000_000)? as usize;
    session.max_frame_chars = count(cfg, "maxFrameChars", session.max_frame_chars as u64, 16, 1 << 30)? as usize;
    session.offline_send = match string(cfg, "offlineSend")?.as_deref() {
        None | Some("hold") => OfflineSend::Hold,
        Some("fail") => OfflineSend::Fail,
        Some(o) => return Err(invalid(["offlineSend must be \"hold\" or \"fail\", got \"", o, "\""].concat())),
    };
    let log_level = match string(cfg, "logLevel")?.as_deref() {
        Some("silent") => None,
        Some("error") => Some(LogLevel::Error),
        None | Some("warn") => Some(LogLevel::Warn),
        Some("info") => Some(LogLevel::Info),
        Some("debug") => Some(LogLevel::Debug),
        Some(o) => return Err(invalid(["logLevel must be silent, error, warn, info or debug, got \"", o, "\""].concat())),
    };
    let watch_page = flag(cfg, "watchPage", true)?;
    session.durable_outbox = flag(cfg, "durableOutbox", false)?;
    let share_tabs = flag(cfg, "shareAcrossTabs", false)?;
    let resume = flag(cfg, "resumeAcrossReloads", false)?;
    session.validate().map_err(invalid)?;
    let server = match string(cfg, "serverUrl")? {
        Some(s) => s,
        None => page_origin().ok_or_else(|| invalid("serverUrl is required outside a web page".into()))?,
    };
    let auth_token = string(cfg, "authToken")?.filter(|t| !t.is_empty());
    if auth_token.as_deref().is_some_and(|t| !is_token(t)) {
        return Err(invalid("authToken may hold only letters, digits and !#$%&'*+-.^_`|~".into()));
    }
    let target = SocketTarget { url: socket_url(&server, &kf_id)?, auth_token };
    Ok(ShellConfig { session, target, log_level, watch_page, share_tabs, resume })
}

/// A message-id prefix that does not repeat across page loads (extension `ack`): a random number
/// and the time, in base 36, from the browser.
fn client_token() -> String {
    let b36 = |f: f64| String::from(js_sys::Number::from(f.floor()).to_string_with_radix(36).unwrap_or_default());
    [b36(js_sys::Math::random() * 2_821_109_907_456.0), b36(js_sys::Date::now())].concat()
}

fn page_origin() -> Option<String> {
    web_sys::window()?.location().origin().ok()
}

/// `http(s)://host/base/` + `websocket/{kfId}` → `ws(s)://host/base/websocket/{kfId}`, with the id
/// percent-encoded and the base's query kept (for an auth token), its fragment dropped.
pub fn socket_url(server: &str, kf_id: &str) -> Result<String, JsValue> {
    let base = web_sys::window().and_then(|w| w.location().href().ok());
    let url = match &base {
        Some(b) => web_sys::Url::new_with_base(server, b),
        None => web_sys::Url::new(server),
    }
    .map_err(|_| invalid(["serverUrl \"", server, "\" is not a valid URL"].concat()))?;
    let scheme = match url.protocol().as_str() {
        "http:" | "ws:" => "ws:",
        "https:" | "wss:" => "wss:",
        other => return Err(invalid(["serverUrl must be http(s) or ws(s), got \"", other, "\""].concat())),
    };
    url.set_protocol(scheme);
    let mut path = url.pathname();
    if !path.ends_with('/') {
        path.push('/');
    }
    path.push_str("websocket/");
    path.push_str(&String::from(js_sys::encode_uri_component(kf_id)));
    url.set_pathname(&path);
    url.set_hash("");
    Ok(url.href())
}
