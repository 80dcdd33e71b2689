//! [`FrameValue`]: what the browser shell decodes a frame from, either the head `frames.js`
//! described ([`HeadValue`]) or the parsed object ([`JsJson`]). Both paths run the one build of the
//! rules ([`decode_value`] over this type), so the module carries them once.

use crate::prelude::*;
use super::json_value::JsJson;
use crate::core::{decode_common_head, decode_value, head_data, FrameError, FrameHead, HeadValue, JsonValue, ServerFrame};

/// A decoded frame with its sequence number.
type Decoded = Result<(ServerFrame<JsJson>, Option<u64>), FrameError>;

/// A value the shell decodes a frame from.
#[derive(Clone, Debug)]
pub enum FrameValue<'h, 'a> {
    /// Part of a frame's head.
    Head(HeadValue<'h, 'a>),
    /// Part of a parsed frame.
    Js(JsJson),
}

macro_rules! both {
    ($self:ident, $v:ident => $e:expr) => {
        match $self {
            FrameValue::Head($v) => $e,
            FrameValue::Js($v) => $e,
        }
    };
}

// Not inlined: the rules call these from many places, and each would carry both kinds' code.
impl JsonValue for FrameValue<'_, '_> {
    #[inline(never)]
    fn field(&self, key: &'static str) -> Option<Self> {
        match self {
            FrameValue::Head(v) => v.field(key).map(FrameValue::Head),
            FrameValue::Js(v) => v.field(key).map(FrameValue::Js),
        }
    }
    #[inline(never)]
    fn is_object(&self) -> bool {
        both!(self, v => v.is_object())
    }
    #[inline(never)]
    fn is_null(&self) -> bool {
        both!(self, v => v.is_null())
    }
    #[inline(never)]
    fn is_string(&self) -> bool {
        both!(self, v => v.is_string())
    }
    #[inline(never)]
    fn is_empty_string(&self) -> bool {
        both!(self, v => v.is_empty_string())
    }
    #[inline(never)]
    fn is_number(&self) -> bool {
        both!(self, v => v.is_number())
    }
    #[inline(never)]
    fn as_string(&self) -> Option<String> {
        both!(self, v => v.as_string())
    }
    #[inline(never)]
    fn as_f64(&self) -> Option<f64> {
        both!(self, v => v.as_f64())
    }
    #[inline(never)]
    fn as_bool(&self) -> Option<bool> {
        both!(self, v => v.as_bool())
    }
    #[inline(never)]
    fn number_text(&self) -> Option<String> {
        both!(self, v => v.number_text())
    }
    #[inline(never)]
    fn items(&self) -> Option<Vec<Self>> {
        match self {
            FrameValue::Head(v) => v.items().map(|i| i.into_iter().map(FrameValue::Head).collect()),
            FrameValue::Js(v) => v.items().map(|i| i.into_iter().map(FrameValue::Js).collect()),
        }
    }
    #[inline(never)]
    fn set_string(&mut self, key: &'static str, value: &str) {
        both!(self, v => v.set_string(key, value))
    }
}

/// Decodes a parsed frame (the session's decoder, see `Session::with_decoder`).
pub fn decode_parsed(v: JsJson) -> Decoded {
    let (frame, seq) = decode_value(FrameValue::Js(v))?;
    // Every payload of a frame decoded from a parsed value is a parsed value.
    let frame = frame.try_map(|v| match v {
        FrameValue::Js(j) => Some(j),
        FrameValue::Head(_) => None,
    });
    frame.map(|f| (f, seq)).ok_or(FrameError::NotObject)
}

/// Decodes a frame from its head, with its `data` object (see `crate::core::decode_head`, which
/// the native tests hold to the full path).
pub fn decode_head(head: &FrameHead<'_>, data: JsJson) -> Decoded {
    let data = match decode_common_head(head, data) {
        Ok(decoded) => return Ok(decoded),
        Err(data) => data,
    };
    let (frame, seq) = decode_value(FrameValue::Head(HeadValue::Root(head)))?;
    let mut data = Some(data);
    let frame = frame.try_map(|v| match v {
        FrameValue::Head(h) => head_data(h, &mut data),
        FrameValue::Js(_) => None,
    });
    frame.map(|f| (f, seq)).ok_or_else(|| FrameError::BadData { status: head.status as i64, detail: "frame head without its data".into() })
}
