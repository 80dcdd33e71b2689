//! The wasm shell: exports `AgentSession` to JavaScript. Thin by design: every decision is the
//! core's; this layer owns browser objects RAII-style and carries out the core's outputs.

mod config;
mod convert;
mod error;
mod hooks;
mod page;
mod session;
mod socket;
mod timer;

pub use config::socket_url;
pub use error::codes;
pub use session::AgentSession;
