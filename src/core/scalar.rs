//! [`Scalar`]: an id or timestamp exactly as the server typed it (string or number).
//!
//! Backends written for the original `chatDialog.js` send customer ids as strings or as numbers, and
//! the original echoed them back with `JSON.stringify`, so the type survives the round trip. We keep
//! it the same way: a number stays a number on the wire, a string stays a string.

use crate::prelude::*;
use ::core::fmt;

/// A JSON string or number, kept as received so it is echoed back with the same type.
#[derive(Clone, Debug)]
pub enum Scalar {
    /// A JSON string.
    Text(String),
    /// A finite JSON number, kept as its JSON spelling (the browser's `String(n)`, or serde_json's
    /// natively), so no float formatting or parsing is needed in the core.
    Number(String),
}

impl Scalar {
    /// The value as text: numbers in their JSON spelling, strings as they are.
    /// Two scalars name the same customer when their keys are equal (`42` and `"42"` match,
    /// as the original's loose comparisons did).
    pub fn key(&self) -> String {
        self.as_key().to_owned()
    }

    /// [`Scalar::key`] without a copy.
    pub fn as_key(&self) -> &str {
        match self {
            Scalar::Text(s) | Scalar::Number(s) => s,
        }
    }

    /// True for an empty string, which the original treats as "no customer".
    pub fn is_blank(&self) -> bool {
        matches!(self, Scalar::Text(s) if s.is_empty())
    }
}

impl PartialEq for Scalar {
    fn eq(&self, other: &Self) -> bool {
        self.as_key() == other.as_key()
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
        Scalar::Number(itoa::Buffer::new().format(n).to_owned())
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_key())
    }
}
