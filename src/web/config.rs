//! The JS config object as a [`SessionConfig`] plus shell settings. `readConfig` (`frames.js`)
//! reads and checks every option in one pass (and builds the socket URL with the browser's `URL`
//! and `encodeURIComponent`); this takes its one typed answer. The core still checks the settings
//! as a whole ([`SessionConfig::validate`]).

use crate::prelude::*;
use crate::contract::OPTIONS;
use super::error::kefu_error;
use crate::core::{ErrorCode, LogLevel, OfflineSend, SessionConfig};
use js_sys::{Array, Float64Array};
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen::prelude::wasm_bindgen(module = "/src/web/frames.js")]
extern "C" {
    /// `[error]`, or `[null, kfId, kfName, socketUrl, authToken, clientToken, numbers]` (`frames.js`).
    #[wasm_bindgen(js_name = readConfig)]
    fn read_config(cfg: &JsValue, options: Array) -> Array;
}

/// The order of `readConfig`'s numbers (`frames.js`: COUNTS, FLAGS, WORDS).
mod at {
    pub const HEARTBEAT: usize = 0;
    pub const HEARTBEAT_TIMEOUT: usize = 1;
    pub const RECONNECT: usize = 2;
    pub const CONNECT_TIMEOUT: usize = 3;
    pub const HELLO_WAIT: usize = 4;
    pub const MAX_HELD: usize = 5;
    pub const MAX_FRAME_CHARS: usize = 6;
    pub const WATCH_PAGE: usize = 7;
    pub const DURABLE_OUTBOX: usize = 8;
    pub const SHARE_TABS: usize = 9;
    pub const RESUME: usize = 10;
    pub const OFFLINE_SEND: usize = 11;
    pub const LOG_LEVEL: usize = 12;
    pub const LEN: usize = 13;
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

/// Parses the config object. Every error is an `INVALID_CONFIG` KefuError naming the option.
pub fn parse(cfg: &JsValue) -> Result<ShellConfig, JsValue> {
    let invalid = |msg: String| kefu_error(ErrorCode::InvalidConfig, &msg);
    let r = read_config(cfg, OPTIONS.iter().map(|o| JsValue::from_str(o)).collect());
    if let Some(msg) = r.get(0).as_string() {
        return Err(invalid(msg));
    }
    let text = |i: u32| r.get(i).as_string();
    let mut n = [f64::NAN; at::LEN];
    let numbers = r.get(6).dyn_into::<Float64Array>().map_err(|_| invalid("readConfig answered no numbers".into()))?;
    if numbers.length() as usize != at::LEN {
        return Err(invalid("readConfig does not match the core".into()));
    }
    numbers.copy_to(&mut n);
    let kf_id = text(1).unwrap_or_default();
    let mut session = SessionConfig::new(kf_id);
    if let Some(name) = text(2) {
        session.kf_name = name;
    }
    let or = |i: usize, default: u64| if n[i].is_nan() { default } else { n[i] as u64 };
    session.heartbeat_ms = or(at::HEARTBEAT, session.heartbeat_ms);
    session.heartbeat_timeout_ms = or(at::HEARTBEAT_TIMEOUT, session.heartbeat_timeout_ms);
    session.reconnect_ms = or(at::RECONNECT, session.reconnect_ms);
    session.connect_timeout_ms = or(at::CONNECT_TIMEOUT, session.connect_timeout_ms);
    session.hello_wait_ms = or(at::HELLO_WAIT, session.hello_wait_ms);
    session.max_held_messages = or(at::MAX_HELD, session.max_held_messages as u64) as usize;
    session.max_frame_chars = or(at::MAX_FRAME_CHARS, session.max_frame_chars as u64) as usize;
    // Message ids (extension `ack`) must not repeat across page loads: a random prefix.
    session.client_token = text(5).unwrap_or_default();
    session.durable_outbox = n[at::DURABLE_OUTBOX] != 0.0;
    session.offline_send = if n[at::OFFLINE_SEND] == 1.0 { OfflineSend::Fail } else { OfflineSend::Hold };
    let log_level = [None, Some(LogLevel::Error), Some(LogLevel::Warn), Some(LogLevel::Info), Some(LogLevel::Debug)]
        .get(n[at::LOG_LEVEL] as usize)
        .copied()
        .flatten();
    session.validate().map_err(invalid)?;
    let target = SocketTarget { url: text(3).unwrap_or_default(), auth_token: text(4) };
    Ok(ShellConfig {
        session,
        target,
        log_level,
        watch_page: n[at::WATCH_PAGE] != 0.0,
        share_tabs: n[at::SHARE_TABS] != 0.0,
        resume: n[at::RESUME] != 0.0,
    })
}
