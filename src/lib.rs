//! kefu-agent: the customer-service agent session for the browser.
//!
//! - [`core`]: the pure, deterministic session state machine and the wire protocol of the original
//!   `chatDialog.js` (status 1/2/4/5/9 in, `respStatus` frames out). Runs and tests natively.
//! - [`contract`]: the hook and option names of the JS API, checked against its TypeScript declarations.
//! - `web` (wasm32 only): the thin shell exporting `AgentSession` to JavaScript; it owns the browser
//!   WebSocket, one timer and the page listeners, and drains the core's outputs.
#![warn(missing_docs)]
// The browser build leaves std out (see the `std` feature): its panic and formatting code (~3 KB
// gzip) is code no session logic needs. Native builds and the tests keep std.
#![cfg_attr(all(target_arch = "wasm32", not(feature = "std")), no_std)]

extern crate alloc;

mod prelude;

pub mod contract;
pub mod core;

#[cfg(target_arch = "wasm32")]
pub mod web;

/// The heap allocator of the browser build: talc, smaller than Rust's default dlmalloc.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// The browser build's panic handler: a panic stops the module at once (`unreachable`, a trap
/// the JS caller sees as a `RuntimeError`), without formatting a message nobody would read.
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[panic_handler]
fn panic(_: &::core::panic::PanicInfo<'_>) -> ! {
    ::core::arch::wasm32::unreachable()
}
