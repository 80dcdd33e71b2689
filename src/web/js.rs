//! Leaf helpers for talking to JS objects: the cached property names, reading a property,
//! building an object, and a number's JSON spelling. Used by every other shell module; imports
//! none of them.

use crate::prelude::*;
use super::local::Local;
use js_sys::{Object, Reflect};
use ::core::cell::RefCell;
use wasm_bindgen::{JsCast, JsValue};

/// JS strings of the fixed names used so far (properties, hooks): made once and kept for the
/// module's life, looked up by content. About forty short names, so a scan beats hashing.
static NAMES: Local<RefCell<Vec<(&'static str, &'static JsValue)>>> = Local::new(|| RefCell::new(Vec::new()));

/// The JS string for a fixed name (property or hook), converted once and kept: payloads are read
/// and built per frame, and re-encoding the same names dominated the cost. Borrowed, so reading a
/// property costs no reference-table slot (cloning one did, on every field of every frame).
pub fn name_ref(n: &'static str) -> &'static JsValue {
    NAMES.with(|names| {
        let mut names = names.borrow_mut();
        if let Some((_, v)) = names.iter().find(|(k, _)| *k == n) {
            return *v;
        }
        let v: &'static JsValue = Box::leak(Box::new(JsValue::from_str(n)));
        names.push((n, v));
        v
    })
}

/// [`name_ref`], owned (for a value stored in an object).
pub fn name(n: &'static str) -> JsValue {
    name_ref(n).clone()
}

/// Reads a property of a JS object (undefined when absent or not an object).
pub fn get(obj: &JsValue, key: &'static str) -> JsValue {
    if !obj.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(obj, name_ref(key)).unwrap_or(JsValue::UNDEFINED)
}

/// A JS object with the given properties.
pub fn object(props: &[(&'static str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in props {
        let _ = Reflect::set(&o, name_ref(k), v);
    }
    o.into()
}

/// The JSON spelling of a finite JS number (`String(n)`, as `JSON.stringify` writes it); `None`
/// for anything else.
pub fn number_text(v: &JsValue) -> Option<String> {
    let f = v.as_f64()?;
    if !f.is_finite() {
        return None;
    }
    v.unchecked_ref::<js_sys::Number>().to_string_with_radix(10).ok().map(String::from)
}
