//! Errors thrown to JavaScript: a real `Error` named `KefuError` with a stable `code` (one of
//! [`ErrorCode`]) and a human `message`.

use super::js::name_ref;
use crate::core::{ErrorCode, SessionError};
use wasm_bindgen::JsValue;

/// A JS `Error` named `KefuError` with `code` set.
pub fn kefu_error(code: ErrorCode, message: &str) -> JsValue {
    let err = js_sys::Error::new(message);
    err.set_name("KefuError");
    let _ = js_sys::Reflect::set(&err, name_ref("code"), name_ref(code.as_str()));
    err.into()
}

/// The JS error for a refused session action.
pub fn session_error(e: &SessionError) -> JsValue {
    kefu_error(e.code(), &e.message())
}
