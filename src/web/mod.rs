//! The wasm shell: exports `AgentSession` to JavaScript. Thin by design: every decision is the
//! core's; this layer owns browser objects RAII-style and carries out the core's outputs.

mod config;
mod convert;
mod error;
mod hooks;
mod json_value;
mod page;
mod session;
mod socket;
mod timer;

pub use config::socket_url;
pub use error::codes;
pub use session::AgentSession;

/// The JSON text the session writes for `frame` (the browser's `JSON.stringify` of its fields).
pub fn encode_frame(frame: &crate::core::AgentFrame) -> String {
    json_value::stringify_frame(frame).map(String::from).unwrap_or_default()
}
