//! Conversions between JS values and core types, and building plain JS payload objects.

use crate::core::{Customer, Scalar};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsValue;

/// A JS string for a fixed name (property or hook), converted once and cached: payloads are built
/// per frame, and re-encoding the same names each time dominated the dispatch cost.
pub fn name(n: &str) -> JsValue {
    JsValue::from_str(wasm_bindgen::intern(n))
}

/// A JS object with the given properties.
pub fn object(props: &[(&str, JsValue)]) -> JsValue {
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
        Scalar::Number(n) => n.as_f64().map(JsValue::from_f64).unwrap_or_else(|| JsValue::from_str(&n.to_string())),
    }
}

/// An optional scalar, `null` when absent.
pub fn opt_scalar_to_js(s: &Option<Scalar>) -> JsValue {
    s.as_ref().map(scalar_to_js).unwrap_or(JsValue::NULL)
}

/// A JS string or finite number as a scalar; integral numbers stay integers on the wire.
pub fn js_to_scalar(v: &JsValue) -> Option<Scalar> {
    if let Some(s) = v.as_string() {
        return Some(Scalar::Text(s));
    }
    let f = v.as_f64()?;
    if !f.is_finite() {
        return None;
    }
    if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_991.0 {
        return Some(Scalar::from(f as i64));
    }
    serde_json::Number::from_f64(f).map(Scalar::Number)
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
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    if !obj.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(obj, &name(key)).unwrap_or(JsValue::UNDEFINED)
}
