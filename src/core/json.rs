//! [`JsonValue`]: read access to an already parsed JSON value.
//!
//! The frame rules ([`crate::core::decode_value`]) are written once against this trait: in the
//! browser the shell implements it over the result of the browser's own `JSON.parse` (so no JSON
//! parser ships in the wasm and payloads reach the UI without being copied), and natively it is
//! implemented for `serde_json::Value`.

use crate::prelude::*;
use super::scalar::Scalar;

/// A parsed JSON value the frame decoder can inspect. Cloning must be cheap (a handle).
pub trait JsonValue: Clone {
    /// Property `key` of an object; `None` when absent, or when `self` is not an object.
    fn field(&self, key: &'static str) -> Option<Self>;
    /// True for a JSON object (not an array, not `null`).
    fn is_object(&self) -> bool;
    /// True for `null`.
    fn is_null(&self) -> bool;
    /// True for a JSON string (checked without copying it).
    fn is_string(&self) -> bool;
    /// True for the empty string.
    fn is_empty_string(&self) -> bool;
    /// True for a JSON number.
    fn is_number(&self) -> bool;
    /// The string, for a JSON string (a copy).
    fn as_string(&self) -> Option<String>;
    /// The number, for a JSON number.
    fn as_f64(&self) -> Option<f64>;
    /// The boolean, for `true` or `false`.
    fn as_bool(&self) -> Option<bool>;
    /// The JSON spelling of a finite number (as `JSON.stringify` would write it).
    fn number_text(&self) -> Option<String>;
    /// The items of an array, for a JSON array.
    fn items(&self) -> Option<Vec<Self>>;
    /// Sets a string property on an object (used to fill in a missing `userName`).
    fn set_string(&mut self, key: &'static str, value: &str);
}

/// Builds JSON values: how typed messages between tabs ([`crate::core::TabMsg`]) are written, once,
/// for the browser's objects and for serde_json alike.
pub trait JsonBuild: Sized {
    /// `null`.
    fn null() -> Self;
    /// A string.
    fn string(s: &str) -> Self;
    /// A number.
    fn number(n: f64) -> Self;
    /// `true` or `false`.
    fn boolean(b: bool) -> Self;
    /// An array.
    fn array(items: Vec<Self>) -> Self;
    /// An object with these properties, in order.
    fn object(fields: Vec<(&'static str, Self)>) -> Self;
    /// A number kept in its JSON spelling ([`Scalar::Number`]).
    fn number_spelled(text: &str) -> Self;
    /// An id as it came: a string stays a string, a number a number.
    fn scalar(s: &Scalar) -> Self {
        match s {
            Scalar::Text(t) => Self::string(t),
            Scalar::Number(n) => Self::number_spelled(n),
        }
    }
}

/// A string or finite number as a [`Scalar`].
pub(crate) fn scalar_of<V: JsonValue>(v: &V) -> Option<Scalar> {
    v.as_string().map(Scalar::Text).or_else(|| v.number_text().map(Scalar::Number))
}

#[cfg(feature = "json")]
impl JsonBuild for serde_json::Value {
    fn null() -> Self {
        serde_json::Value::Null
    }
    fn string(s: &str) -> Self {
        s.into()
    }
    fn number(n: f64) -> Self {
        serde_json::Number::from_f64(n).map(serde_json::Value::Number).unwrap_or_default()
    }
    fn boolean(b: bool) -> Self {
        b.into()
    }
    fn array(items: Vec<Self>) -> Self {
        serde_json::Value::Array(items)
    }
    fn object(fields: Vec<(&'static str, Self)>) -> Self {
        serde_json::Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }
    fn number_spelled(text: &str) -> Self {
        serde_json::from_str(text).unwrap_or_default()
    }
}

#[cfg(feature = "json")]
impl JsonValue for serde_json::Value {
    fn field(&self, key: &'static str) -> Option<Self> {
        self.as_object()?.get(key).cloned()
    }
    fn is_string(&self) -> bool {
        self.is_string()
    }
    fn is_empty_string(&self) -> bool {
        self.as_str() == Some("")
    }
    fn is_number(&self) -> bool {
        self.is_number()
    }
    fn is_object(&self) -> bool {
        self.is_object()
    }
    fn is_null(&self) -> bool {
        self.is_null()
    }
    fn as_string(&self) -> Option<String> {
        self.as_str().map(str::to_owned)
    }
    fn as_f64(&self) -> Option<f64> {
        self.as_f64()
    }
    fn as_bool(&self) -> Option<bool> {
        self.as_bool()
    }
    fn number_text(&self) -> Option<String> {
        match self {
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
    fn items(&self) -> Option<Vec<Self>> {
        self.as_array().cloned()
    }
    fn set_string(&mut self, key: &'static str, value: &str) {
        if let Some(o) = self.as_object_mut() {
            o.insert(key.to_owned(), value.into());
        }
    }
}

/// Whether `f` is a whole number (`f.fract() == 0.0`, which `core` lacks) within ±9.2e18, the
/// range every caller bounds its numbers to first or beyond; false for NaN and the infinities.
pub fn is_whole(f: f64) -> bool {
    f == (f as i64) as f64
}
