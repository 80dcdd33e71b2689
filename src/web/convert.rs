//! Conversions between JS values and core types: ids (string or number) and customers.

use super::js::{number_text, object};
use super::js::get;
use crate::core::{Customer, PersistedMessage, Scalar};
use js_sys::Array;
use wasm_bindgen::JsValue;

/// A scalar as a JS string or number.
pub fn scalar_to_js(s: &Scalar) -> JsValue {
    match s {
        Scalar::Text(t) => JsValue::from_str(t),
        Scalar::Number(n) => JsValue::from_f64(js_sys::Number::parse_float(n)),
    }
}

/// A JS string or finite number as a scalar (a number keeps its JS spelling, so it goes back on
/// the wire exactly as it came).
pub fn js_to_scalar(v: &JsValue) -> Option<Scalar> {
    if let Some(s) = v.as_string() {
        return Some(Scalar::Text(s));
    }
    number_text(v).map(Scalar::Number)
}

/// A kept message from its JS record `{ msgId, userId, userName, content }` (the durable outbox's
/// records, and messages another tab hands over); `None` if any field is missing or mistyped.
pub fn persisted_from_js(r: &JsValue) -> Option<PersistedMessage> {
    Some(PersistedMessage {
        msg_id: get(r, "msgId").as_string()?,
        user_id: js_to_scalar(&get(r, "userId"))?,
        user_name: get(r, "userName").as_string()?,
        content: get(r, "content").as_string()?,
    })
}

/// The `{ id, userName }` payload every customer-shaped hook argument starts from.
pub fn customer_payload(id: JsValue, user_name: JsValue) -> JsValue {
    object(&[("id", id), ("userName", user_name)])
}

/// `{ id, userName }` of a customer the core holds.
pub fn customer_to_js(c: &Customer) -> JsValue {
    customer_payload(scalar_to_js(&c.id), JsValue::from_str(&c.user_name))
}

/// An array of `{ id, userName }`.
pub fn customers_to_js(cs: &[Customer]) -> JsValue {
    cs.iter().map(customer_to_js).collect::<Array>().into()
}
