//! [`JsJson`]: the browser's `JSON.parse` result seen through the core's [`JsonValue`] trait, and
//! [`stringify_frame`] for the way back. No JSON parser or serializer ships in the wasm: frames are
//! parsed and written by the browser, and chat payloads reach the hooks without being copied.

use crate::prelude::*;
use super::convert::scalar_to_js;
use super::js::{name_ref, number_text};
use crate::core::{AgentFrame, FieldValue, JsonBuild, JsonValue};
use js_sys::{Array, JsString, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// `JSON.parse` on a JS string as it came off the socket (js-sys's binding takes `&str`,
    /// which would copy every frame into wasm and back).
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn json_parse(text: &JsString) -> Result<JsValue, JsValue>;
}

/// A parsed JSON value living in JS.
#[derive(Clone, Debug, PartialEq)]
pub struct JsJson(pub JsValue);

impl JsJson {
    /// Parses a text frame; the error is the browser's `SyntaxError` message.
    pub fn parse(text: &JsString) -> Result<JsJson, String> {
        json_parse(text).map(JsJson).map_err(|e| {
            Reflect::get(&e, name_ref("message")).ok().and_then(|m| m.as_string()).unwrap_or_else(|| "invalid JSON".into())
        })
    }
}

impl JsonValue for JsJson {
    fn field(&self, key: &'static str) -> Option<Self> {
        // `Reflect.get` throws for a non-object, which is `None` here: one call into JS, not two.
        Reflect::get(&self.0, name_ref(key)).ok().filter(|v| !v.is_undefined()).map(JsJson)
    }
    fn is_string(&self) -> bool {
        self.0.is_string()
    }
    fn is_empty_string(&self) -> bool {
        self.0.is_string() && self.0.unchecked_ref::<JsString>().length() == 0
    }
    fn is_number(&self) -> bool {
        self.0.as_f64().is_some_and(f64::is_finite)
    }
    fn is_object(&self) -> bool {
        self.0.is_object() && !Array::is_array(&self.0)
    }
    fn is_null(&self) -> bool {
        self.0.is_null()
    }
    fn as_string(&self) -> Option<String> {
        self.0.as_string()
    }
    fn as_f64(&self) -> Option<f64> {
        self.0.as_f64()
    }
    fn as_bool(&self) -> Option<bool> {
        self.0.as_bool()
    }
    fn number_text(&self) -> Option<String> {
        number_text(&self.0)
    }
    fn items(&self) -> Option<Vec<Self>> {
        Array::is_array(&self.0).then(|| self.0.unchecked_ref::<Array>().iter().map(JsJson).collect())
    }
    fn set_string(&mut self, key: &'static str, value: &str) {
        let _ = Reflect::set(&self.0, name_ref(key), &JsValue::from_str(value));
    }
}

impl JsonBuild for JsJson {
    fn null() -> Self {
        JsJson(JsValue::NULL)
    }
    fn string(s: &str) -> Self {
        JsJson(JsValue::from_str(s))
    }
    fn number(n: f64) -> Self {
        JsJson(JsValue::from_f64(n))
    }
    fn boolean(b: bool) -> Self {
        JsJson(JsValue::from_bool(b))
    }
    fn array(items: Vec<Self>) -> Self {
        JsJson(items.into_iter().map(|i| i.0).collect::<Array>().into())
    }
    fn object(fields: Vec<(&'static str, Self)>) -> Self {
        let o = Object::new();
        for (k, v) in fields {
            let _ = Reflect::set(&o, name_ref(k), &v.0);
        }
        JsJson(o.into())
    }
    fn number_spelled(text: &str) -> Self {
        JsJson(JsValue::from_f64(js_sys::Number::parse_float(text)))
    }
}

/// The frame as `JSON.stringify` writes an object literal with its fields in order, exactly what
/// the original `chatDialog.js` sent.
pub fn stringify_frame(frame: &AgentFrame) -> Option<JsString> {
    let o = Object::new();
    for (k, v) in frame.fields() {
        let v = match v {
            FieldValue::Int(n) => JsValue::from_f64(n as f64),
            FieldValue::Str(s) => JsValue::from_str(s),
            FieldValue::Scalar(s) => scalar_to_js(s),
            FieldValue::StrList(l) => l.iter().map(|x| JsValue::from_str(x)).collect::<Array>().into(),
            FieldValue::Bool(b) => JsValue::from_bool(b),
        };
        let _ = Reflect::set(&o, name_ref(k), &v);
    }
    js_sys::JSON::stringify(&o).ok()
}
