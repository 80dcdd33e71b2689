//! Issue 16's experiment, built only for the benchmark (`KEFU_WASM_FEATURES=json`): a frame
//! crosses into wasm once, as text copied into wasm memory; it is parsed there (serde_json) and
//! decided by the same core; the hooks to call come back as a bit set, and the glue builds a
//! hook's payload from the same text (`JSON.parse`) only when a hook is there. The product's
//! design (the browser parses, the core reads the parsed object field by field) is
//! [`super::AgentSession`]; docs/performance.md compares the two.

use crate::contract::HOOKS;
use crate::core::{FrameIn, JsonSession, Output, Session, SessionConfig, UiEvent};
use wasm_bindgen::prelude::*;

/// A core session fed text frames, for the decode benchmark only.
#[wasm_bindgen]
pub struct TextFrameBench {
    core: JsonSession,
}

fn hook_bit(name: &str) -> u32 {
    HOOKS.iter().position(|h| *h == name).map_or(0, |i| 1 << i)
}

fn hook_of(e: &UiEvent<serde_json::Value>) -> &'static str {
    match e {
        UiEvent::StateChanged(_) => "onStateChange",
        UiEvent::Message(_) => "onMessage",
        UiEvent::CustomerWaiting { .. } => "onCustomerWaiting",
        UiEvent::QueueChanged(_) => "onQueueChange",
        UiEvent::TransferRequest(_) => "onTransferRequest",
        UiEvent::TransferRejected(_) => "onTransferRejected",
        UiEvent::Heartbeat => "onHeartbeat",
        UiEvent::OfferWithdrawn { .. } => "onOfferWithdrawn",
        _ => "",
    }
}

#[wasm_bindgen]
impl TextFrameBench {
    /// A session for agent `kf_id`, its socket open.
    #[wasm_bindgen(constructor)]
    pub fn new(kf_id: String) -> TextFrameBench {
        let mut core: JsonSession = Session::new(SessionConfig::new(kf_id));
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
        TextFrameBench { core }
    }

    /// One frame (wasm-bindgen copies the text into wasm memory); returns the bits (by
    /// `hookNames()` index) of the hooks to call.
    pub fn inject(&mut self, text: &str) -> u32 {
        let Some(conn) = self.core.live_conn() else { return 0 };
        self.core.handle_frame(1, conn, FrameIn::Text(text));
        let mut bits = 0;
        while let Some(o) = self.core.poll_output() {
            if let Output::Ui(e) = o {
                bits |= hook_bit(hook_of(&e));
            }
        }
        bits
    }
}
