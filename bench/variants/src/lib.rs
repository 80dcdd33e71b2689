//! Issue 16's experiment, built only by the benchmark (`scripts/bench.sh`, feature `json` or
//! `miniserde`), outside the product crate: a frame crosses into wasm once, as text copied into wasm memory; it is parsed
//! there (serde_json or miniserde) and decided by the same core; the hooks to call come back as a
//! bit set, and the glue builds a hook's payload from the same text (`JSON.parse`) only when a
//! hook is there. The product's design (the browser parses, the core reads the parsed object
//! field by field) is `kefu_agent::web::AgentSession`; docs/performance.md compares them. The
//! product's exports are linked in too, so one module serves the benchmark page.

#![cfg(target_arch = "wasm32")]

#[cfg(feature = "miniserde")]
mod mini;

use kefu_agent::contract::HOOKS;
use kefu_agent::core::{JsonValue, Output, Received, Session, SessionConfig};
use wasm_bindgen::prelude::*;

pub use kefu_agent::web::AgentSession;

fn hook_bit(name: &str) -> u32 {
    HOOKS.iter().position(|h| *h == name).map_or(0, |i| 1 << i)
}

/// A session for agent `kf_id`, its socket open.
fn open_session<V: JsonValue>(kf_id: String) -> Session<V> {
    let mut core: Session<V> = Session::new(SessionConfig::new(kf_id));
    core.connect(0);
    let mut conn = None;
    while let Some(o) = core.poll_output() {
        if let Output::OpenSocket { conn: c } = o {
            conn = Some(c);
        }
    }
    if let Some(c) = conn {
        core.handle_socket_opened(0, c);
    }
    while core.poll_output().is_some() {}
    core
}

/// Feeds one parsed frame; the bits of the hooks to call.
fn feed<V: JsonValue>(core: &mut Session<V>, frame: Received<V>) -> u32 {
    let Some(conn) = core.live_conn() else { return 0 };
    core.handle_received(1, conn, frame);
    let mut bits = 0;
    while let Some(o) = core.poll_output() {
        if let Output::Ui(e) = o {
            bits |= hook_bit(e.hook());
        }
    }
    bits
}

/// The variant with serde_json.
#[cfg(feature = "json")]
#[wasm_bindgen]
pub struct TextFrameBench {
    core: Session<serde_json::Value>,
}

#[cfg(feature = "json")]
#[wasm_bindgen]
impl TextFrameBench {
    /// A session for agent `kf_id`, its socket open.
    #[wasm_bindgen(constructor)]
    pub fn new(kf_id: String) -> TextFrameBench {
        TextFrameBench { core: open_session(kf_id) }
    }

    /// One frame (wasm-bindgen copies the text into wasm memory); returns the bits (by
    /// `hookNames()` index) of the hooks to call.
    pub fn inject(&mut self, text: &str) -> u32 {
        let frame = match serde_json::from_str(text) {
            Ok(v) => Received::Json(v),
            Err(e) => Received::NotJson(e.to_string()),
        };
        feed(&mut self.core, frame)
    }
}

/// The variant with miniserde.
#[cfg(feature = "miniserde")]
#[wasm_bindgen]
pub struct MiniFrameBench {
    core: Session<mini::Mini>,
}

#[cfg(feature = "miniserde")]
#[wasm_bindgen]
impl MiniFrameBench {
    /// A session for agent `kf_id`, its socket open.
    #[wasm_bindgen(constructor)]
    pub fn new(kf_id: String) -> MiniFrameBench {
        MiniFrameBench { core: open_session(kf_id) }
    }

    /// One frame, as [`TextFrameBench::inject`].
    pub fn inject(&mut self, text: &str) -> u32 {
        let frame = match miniserde::json::from_str(text) {
            Ok(v) => Received::Json(mini::Mini(v)),
            Err(_) => Received::NotJson("invalid JSON".into()),
        };
        feed(&mut self.core, frame)
    }
}
