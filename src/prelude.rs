//! The names std's prelude gives every module, from `alloc`, so the same code builds with and
//! without std (the browser build is `no_std`; see `lib.rs`). Each module imports it whole.

pub use alloc::borrow::ToOwned;
pub use alloc::boxed::Box;
pub use alloc::string::{String, ToString};
pub use alloc::vec::Vec;
pub use alloc::vec;
