//! The one-call frame path's side of the shell: a frame `frames.js` described by its head is
//! decided by the core, and the hook it ends in is left to JS (a code), so the payload the browser
//! already parsed goes to the hook without crossing back. Anything else the frame causes runs here
//! as usual, in order: a hook that would come before other work is called from here instead.

use super::super::frame_reader::{code, with_head, SLOW};
use super::super::json_value::JsJson;
use super::Shell;
use super::super::frame_value::decode_head;
use crate::core::{ConnId, Input, Millis, Received, UiEvent};
use wasm_bindgen::JsValue;

/// The code of the hook JS calls for `e` with the frame's `data` (`frames.js`: low three bits the
/// hook, the rest the queue length for `onCustomerWaiting`), for the events whose payload is
/// built from `data` alone.
pub(super) fn hook_code(e: &UiEvent<JsJson>) -> Option<u32> {
    Some(match e {
        UiEvent::Message(_) => code::MESSAGE,
        UiEvent::CustomerWaiting { waiting, .. } => code::WAITING | ((*waiting).min(1 << 28) as u32) << 3,
        UiEvent::TransferRequest(_) => code::TRANSFER,
        UiEvent::TransferRejected(_) => code::REFUSED,
        UiEvent::Heartbeat => code::HEARTBEAT,
        _ => return None,
    })
}

impl Shell {
    /// The one call for a frame of socket `conn` (see `frames.js`): `data` is the frame's `data`,
    /// the rest its head. Answers the hook code for JS to call, 0 for none, or [`SLOW`] when the
    /// frame must take the full path.
    #[allow(clippy::too_many_arguments)]
    pub fn on_head(&self, conn: ConnId, data: JsValue, now: f64, tags: u32, status: f64, seq: f64, lens: u32) -> u32 {
        if self.draining.get() {
            return SLOW; // fed from inside a hook: the outer drain carries it out
        }
        let decoded = with_head(tags, status, seq, lens, |h| h.decidable().then(|| decode_head(h, JsJson(data))));
        let Some(decoded) = decoded else { return SLOW };
        let _ = self.core.borrow_mut().handle_input(now as Millis, Input::Frame(conn, Received::Decoded(decoded)));
        self.drain_keeping(true)
    }
}
