//! Errors thrown to JavaScript: a real `Error` with a stable `code` and a human `message`.

use crate::core::SessionError;
use wasm_bindgen::JsValue;

/// Stable error codes (the `code` property of every error this module throws).
pub mod codes {
    /// The config object passed to the constructor is invalid.
    pub const INVALID_CONFIG: &str = "INVALID_CONFIG";
    /// A method argument is missing or malformed.
    pub const INVALID_ARGUMENT: &str = "INVALID_ARGUMENT";
}

/// A JS `Error` named `KefuError` with `code` set.
pub fn kefu_error(code: &str, message: &str) -> JsValue {
    let err = js_sys::Error::new(message);
    err.set_name("KefuError");
    let _ = js_sys::Reflect::set(&err, &"code".into(), &code.into());
    err.into()
}

/// The JS error for a refused session action.
pub fn session_error(e: &SessionError) -> JsValue {
    kefu_error(e.code(), &e.message())
}
