//! miniserde's value seen through the core's [`JsonValue`] (a newtype: the trait is the product's).

use kefu_agent::core::JsonValue;

/// A value parsed by miniserde.
#[derive(Clone)]
pub struct Mini(pub miniserde::json::Value);

impl JsonValue for Mini {
    fn field(&self, key: &'static str) -> Option<Self> {
        match &self.0 {
            miniserde::json::Value::Object(o) => o.get(key).cloned().map(Mini),
            _ => None,
        }
    }
    fn is_string(&self) -> bool {
        matches!(&self.0, miniserde::json::Value::String(_))
    }
    fn is_empty_string(&self) -> bool {
        matches!(&self.0, miniserde::json::Value::String(s) if s.is_empty())
    }
    fn is_number(&self) -> bool {
        matches!(&self.0, miniserde::json::Value::Number(_))
    }
    fn is_object(&self) -> bool {
        matches!(&self.0, miniserde::json::Value::Object(_))
    }
    fn is_null(&self) -> bool {
        matches!(&self.0, miniserde::json::Value::Null)
    }
    fn as_string(&self) -> Option<String> {
        match &self.0 {
            miniserde::json::Value::String(s) => Some(s.clone()),
            _ => None,
        }
    }
    fn as_f64(&self) -> Option<f64> {
        use miniserde::json::Number;
        match &self.0 {
            miniserde::json::Value::Number(Number::U64(n)) => Some(*n as f64),
            miniserde::json::Value::Number(Number::I64(n)) => Some(*n as f64),
            miniserde::json::Value::Number(Number::F64(n)) => Some(*n),
            _ => None,
        }
    }
    fn as_bool(&self) -> Option<bool> {
        match &self.0 {
            miniserde::json::Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    fn number_text(&self) -> Option<String> {
        use miniserde::json::Number;
        match &self.0 {
            miniserde::json::Value::Number(Number::U64(n)) => Some(n.to_string()),
            miniserde::json::Value::Number(Number::I64(n)) => Some(n.to_string()),
            miniserde::json::Value::Number(Number::F64(n)) if n.is_finite() => Some(n.to_string()),
            _ => None,
        }
    }
    fn items(&self) -> Option<Vec<Self>> {
        match &self.0 {
            miniserde::json::Value::Array(a) => Some(a.iter().cloned().map(Mini).collect()),
            _ => None,
        }
    }
    fn set_string(&mut self, key: &'static str, value: &str) {
        if let miniserde::json::Value::Object(o) = &mut self.0 {
            o.insert(key.to_owned(), miniserde::json::Value::String(value.to_owned()));
        }
    }
}
