//! The JS properties of `AgentSession`: connection state, the waiting list and transfers, held
//! messages, the socket URL, the agent's id and name, and the counters. The state-like ones show
//! what the core's [`crate::core::Shown`] says (in a tab that follows another, the leader's).

use crate::prelude::*;
use super::AgentSession;
use crate::web::convert::customers_to_js;
use crate::web::js::object;
use crate::web::ts_types::{JsConnectionState, JsCustomerList, JsSessionStats};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
impl AgentSession {
    /// `"idle" | "connecting" | "open" | "reconnecting" | "closed" | "replaced"`.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> JsConnectionState {
        JsValue::from_str(self.shell.core.borrow().shown().state.as_str()).into()
    }

    /// Customers waiting to be accepted, oldest first: `[{ id, userName }]`.
    #[wasm_bindgen(getter)]
    pub fn waiting(&self) -> JsCustomerList {
        customers_to_js(self.shell.core.borrow().shown().waiting).into()
    }

    /// Incoming transfers not yet answered: `[{ id, userName }]`.
    #[wasm_bindgen(getter, js_name = pendingTransfers)]
    pub fn pending_transfers(&self) -> JsCustomerList {
        customers_to_js(self.shell.core.borrow().shown().transfers).into()
    }

    /// Messages held until the socket opens.
    #[wasm_bindgen(getter, js_name = heldCount)]
    pub fn held_count(&self) -> usize {
        self.shell.core.borrow().shown().held
    }

    /// The WebSocket URL this session connects to.
    #[wasm_bindgen(getter, js_name = socketUrl)]
    pub fn socket_url(&self) -> String {
        self.shell.target.url.clone()
    }

    /// The agent's display name, sent as `kfName` with every chat message.
    #[wasm_bindgen(getter, js_name = kfName)]
    pub fn kf_name(&self) -> String {
        self.shell.core.borrow().config().kf_name.clone()
    }

    /// Sets the display name sent with chat messages from now on (say, once the agent's profile
    /// has arrived, so the session need not wait for it to connect).
    #[wasm_bindgen(setter, js_name = kfName)]
    pub fn set_kf_name(&self, name: String) {
        self.shell.core.borrow_mut().set_kf_name(name);
    }

    /// The agent's id.
    #[wasm_bindgen(getter, js_name = kfId)]
    pub fn kf_id(&self) -> String {
        self.shell.core.borrow().config().kf_id.clone()
    }

    /// Counters: `{ framesReceived, framesRejected, staleEvents, socketsOpened, pingsSent, framesSent,
    /// duplicatesDropped, resent, unacked }`.
    #[wasm_bindgen(getter)]
    pub fn stats(&self) -> JsSessionStats {
        let core = self.shell.core.borrow();
        let s = core.stats();
        let n = |v: u64| JsValue::from_f64(v as f64);
        object(&[
            ("framesReceived", n(s.frames_received)),
            ("framesRejected", n(s.frames_rejected)),
            ("staleEvents", n(s.stale_events)),
            ("socketsOpened", n(s.sockets_opened)),
            ("pingsSent", n(s.pings_sent)),
            ("framesSent", n(s.frames_sent)),
            ("duplicatesDropped", n(s.duplicates_dropped)),
            ("resent", n(s.resent)),
            ("unacked", n(core.unacked_count() as u64)),
        ])
        .into()
    }
}
