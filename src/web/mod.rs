//! The wasm shell: exports `AgentSession` to JavaScript. Thin by design: every decision is the
//! core's (the tabs' sharing included); this layer owns browser objects RAII-style ([`shell`]),
//! carries out the core's outputs and checks the arguments of the JS calls ([`session`]).

use crate::prelude::*;

mod config;
mod convert;
mod error;
mod frame_reader;
mod frame_value;
mod hooks;
mod js;
mod json_value;
mod local;
mod outbox;
mod page;
mod payloads;
mod raii;
mod resume;
mod session;
mod shell;
mod socket;
mod tab_link;
mod timer;
mod ts_types;

pub use session::AgentSession;


/// The JSON text the session writes for `frame` (the browser's `JSON.stringify` of its fields).
pub fn encode_frame(frame: &crate::core::AgentFrame) -> String {
    json_value::stringify_frame(frame).map(String::from).unwrap_or_default()
}

/// The names of every hook the session calls (`AgentSessionHooks`), for UIs that build forwarders.
#[wasm_bindgen::prelude::wasm_bindgen(js_name = hookNames, unchecked_return_type = "(keyof AgentSessionHooks)[]")]
pub fn hook_names() -> js_sys::Array {
    crate::contract::HOOKS.iter().map(|n| wasm_bindgen::JsValue::from_str(n)).collect()
}

/// The names of every option the constructor accepts (`AgentSessionConfig`).
#[wasm_bindgen::prelude::wasm_bindgen(js_name = optionNames, unchecked_return_type = "(keyof AgentSessionConfig)[]")]
pub fn option_names() -> js_sys::Array {
    crate::contract::OPTIONS.iter().map(|n| wasm_bindgen::JsValue::from_str(n)).collect()
}
