//! Conversions between JS values and core types, and building plain JS payload objects.

use crate::core::{Customer, JsonValue, Scalar};
use js_sys::{Array, Object, Reflect};
use std::cell::RefCell;
use wasm_bindgen::JsValue;

thread_local! {
    /// JS strings of the fixed names used so far (properties, hooks): made once, looked up by
    /// content. About forty short names, so a scan beats hashing.
    static NAMES: RefCell<Vec<(&'static str, JsValue)>> = const { RefCell::new(Vec::new()) };
}

/// The JS string for a fixed name (property or hook), converted once and cached: payloads are
/// read and built per frame, and re-encoding the same names dominated the cost.
pub fn name(n: &'static str) -> JsValue {
    NAMES.with(|names| {
        let mut names = names.borrow_mut();
        if let Some((_, v)) = names.iter().find(|(k, _)| *k == n) {
            return v.clone();
        }
        let v = JsValue::from_str(n);
        names.push((n, v.clone()));
        v
    })
}

/// A JS object with the given properties.
pub fn object(props: &[(&'static str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in props {
        let _ = Reflect::set(&o, &name(k), v);
    }
    o.into()
}

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
    super::json_value::JsJson(v.clone()).number_text().map(Scalar::Number)
}

/// `{ id, userName }`.
pub fn customer_to_js(c: &Customer) -> JsValue {
    object(&[("id", scalar_to_js(&c.id)), ("userName", JsValue::from_str(&c.user_name))])
}

/// An array of `{ id, userName }`.
pub fn customers_to_js(cs: &[Customer]) -> JsValue {
    cs.iter().map(customer_to_js).collect::<Array>().into()
}

/// Reads a property of a JS object (undefined when absent or not an object).
pub fn get(obj: &JsValue, key: &'static str) -> JsValue {
    if !obj.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(obj, &name(key)).unwrap_or(JsValue::UNDEFINED)
}
