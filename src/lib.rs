//! kefu-agent: the customer-service agent session for the browser.
//!
//! - [`core`]: the pure, deterministic session state machine and the wire protocol of the original
//!   `chatDialog.js` (status 1/2/4/5/9 in, `respStatus` frames out). Runs and tests natively.
//! - [`contract`]: the hook and option names of the JS API, checked against its TypeScript declarations.
//! - `web` (wasm32 only): the thin shell exporting `AgentSession` to JavaScript; it owns the browser
//!   WebSocket, one timer and the page listeners, and drains the core's outputs.
#![warn(missing_docs)]

pub mod contract;
pub mod core;

#[cfg(target_arch = "wasm32")]
pub mod web;

/// The heap allocator of the browser build: talc, smaller than Rust's default dlmalloc.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
