//! [`Scalar`]: an id or timestamp exactly as the server typed it (string or number).
//!
//! Backends written for the original `chatDialog.js` send customer ids as strings or as numbers, and
//! the original echoed them back with `JSON.stringify`, so the type survives the round trip. We keep
//! it the same way: a number stays a number on the wire, a string stays a string.

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A JSON string or number, kept as received so it is echoed back with the same type.
#[derive(Clone, Debug)]
pub enum Scalar {
    /// A JSON string.
    Text(String),
    /// A JSON number, kept in serde_json's exact representation.
    Number(serde_json::Number),
}

impl Scalar {
    /// The value as text: numbers in their JSON spelling, strings as they are.
    /// Two scalars name the same customer when their keys are equal (`42` and `"42"` match,
    /// as the original's loose comparisons did).
    pub fn key(&self) -> String {
        match self {
            Scalar::Text(s) => s.clone(),
            Scalar::Number(n) => n.to_string(),
        }
    }

    /// True for an empty string, which the original treats as "no customer".
    pub fn is_blank(&self) -> bool {
        matches!(self, Scalar::Text(s) if s.is_empty())
    }
}

impl PartialEq for Scalar {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Scalar::Text(a), Scalar::Text(b)) => a == b,
            _ => self.key() == other.key(),
        }
    }
}
impl Eq for Scalar {}

impl From<&str> for Scalar {
    fn from(s: &str) -> Self {
        Scalar::Text(s.to_owned())
    }
}
impl From<String> for Scalar {
    fn from(s: String) -> Self {
        Scalar::Text(s)
    }
}
impl From<i64> for Scalar {
    fn from(n: i64) -> Self {
        Scalar::Number(n.into())
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Text(s) => f.write_str(s),
            Scalar::Number(n) => write!(f, "{n}"),
        }
    }
}

impl Serialize for Scalar {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Scalar::Text(t) => s.serialize_str(t),
            Scalar::Number(n) => n.serialize(s),
        }
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a number")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Text(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Text(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Number(v.into()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        serde_json::Number::from_f64(v)
            .map(Scalar::Number)
            .ok_or_else(|| E::custom("a finite number"))
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}
