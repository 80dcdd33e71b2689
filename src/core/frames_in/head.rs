//! [`FrameHead`]: the few fields of a frame the rules decide on, read by the browser glue right
//! after its `JSON.parse` and handed over in one call as numbers and UTF-16 text, so a chat
//! message, an offer, a transfer or a heartbeat crosses into wasm once (issue 28).
//!
//! The rules are not restated here: [`decode_head`] runs [`decode_value`] itself over the head
//! ([`HeadValue`]), and the glue learns which fields to read from [`HEAD_FIELDS`]. A test checks
//! that the decoder reads nothing else for the [`HEAD_STATUSES`]; any other frame, or one whose
//! head the glue could not describe (a status given as text, an id too long or not finite), takes
//! the full path with the parsed object.

use crate::prelude::*;
use super::{decode_value, seq_number, Customer, CustomerFrame, FrameError, ServerFrame};
use crate::core::scalar::Scalar;
use crate::core::json::JsonValue;
use crate::core::protocol::status;

/// The statuses decided from the head alone.
pub const HEAD_STATUSES: [i64; 5] = [status::MESSAGE, status::WAITING, status::TRANSFER, status::TRANSFER_REFUSED, status::HEARTBEAT];

/// The `data` fields the glue describes, in order. The first [`HEAD_TEXT_FIELDS`] are also copied
/// (a string as it is, a number as `String(n)` spells it); the others are described by type only.
pub const HEAD_FIELDS: [&str; 6] = ["userId", "userName", "id", "content", "kfId", "createTime"];

/// How many of [`HEAD_FIELDS`] are copied.
pub const HEAD_TEXT_FIELDS: usize = 3;

/// The longest copied text, in UTF-16 units; a longer one is described as [`tag::OTHER`].
pub const HEAD_TEXT_MAX: usize = 256;

/// A value's type, three bits per slot of [`FrameHead::tags`]: slot 0 `status`, 1 `seq`,
/// 2 `data`, then one per [`HEAD_FIELDS`].
pub mod tag {
    /// Absent (`undefined`).
    pub const ABSENT: u32 = 0;
    /// `null`.
    pub const NULL: u32 = 1;
    /// A string (copied only for the text fields, and only up to [`super::HEAD_TEXT_MAX`]).
    pub const STRING: u32 = 2;
    /// A finite number.
    pub const NUMBER: u32 = 3;
    /// `false`.
    pub const FALSE: u32 = 4;
    /// `true`.
    pub const TRUE: u32 = 5;
    /// An object that is not an array.
    pub const OBJECT: u32 = 6;
    /// Anything else: an array, a number that is not finite, a text field too long to copy.
    pub const OTHER: u32 = 7;
}

const _: () = assert!(HEAD_TEXT_FIELDS == 3, "the glue and the shell hand over three texts");

const DATA_SLOT: usize = 2;
const FIELD_SLOT: usize = 3;

/// A frame's head as the glue read it. Text borrows the glue's scratch memory, valid for one call.
#[derive(Clone, Copy, Debug)]
pub struct FrameHead<'a> {
    /// Three bits per slot ([`tag`]).
    pub tags: u32,
    /// `status`, when a number.
    pub status: f64,
    /// `seq`, when a number.
    pub seq: f64,
    /// The text fields' text (UTF-16), for strings and numbers.
    pub texts: [&'a [u16]; HEAD_TEXT_FIELDS],
    /// The text fields' values, for numbers.
    pub nums: [f64; HEAD_TEXT_FIELDS],
}

impl FrameHead<'_> {
    fn tag(&self, slot: usize) -> u32 {
        (self.tags >> (3 * slot)) & 7
    }

    /// True when the rules can be decided from this head: a numeric status of [`HEAD_STATUSES`],
    /// and every text field copied or absent, `null` or of another type.
    pub fn decidable(&self) -> bool {
        let known = self.tag(0) == tag::NUMBER && HEAD_STATUSES.iter().any(|s| *s as f64 == self.status);
        known && (0..HEAD_TEXT_FIELDS).all(|i| self.tag(FIELD_SLOT + i) != tag::OTHER)
    }
}

/// One value of a head, seen through [`JsonValue`] so [`decode_value`] runs on it unchanged.
#[derive(Clone, Debug)]
pub enum HeadValue<'h, 'a> {
    /// The frame.
    Root(&'h FrameHead<'a>),
    /// `data`; `user_name` is set when the rules filled a missing `userName` in.
    Data(&'h FrameHead<'a>, Option<String>),
    /// A slot other than `data`.
    Slot(&'h FrameHead<'a>, usize),
}

impl HeadValue<'_, '_> {
    fn tag(&self) -> u32 {
        match self {
            HeadValue::Root(_) => tag::OBJECT,
            HeadValue::Data(h, _) => h.tag(DATA_SLOT),
            HeadValue::Slot(h, s) => h.tag(*s),
        }
    }

    fn num(&self) -> Option<f64> {
        match self {
            HeadValue::Slot(h, 0) => Some(h.status),
            HeadValue::Slot(h, 1) => Some(h.seq),
            HeadValue::Slot(h, s) if *s >= FIELD_SLOT && *s < FIELD_SLOT + HEAD_TEXT_FIELDS => Some(h.nums[s - FIELD_SLOT]),
            _ => None,
        }
    }

    fn text(&self) -> Option<String> {
        match self {
            HeadValue::Slot(h, s) if *s >= FIELD_SLOT && *s < FIELD_SLOT + HEAD_TEXT_FIELDS => Some(utf16_text(h.texts[s - FIELD_SLOT])),
            _ => None,
        }
    }
}

impl JsonValue for HeadValue<'_, '_> {
    fn field(&self, key: &'static str) -> Option<Self> {
        let (h, slot) = match self {
            HeadValue::Root(h) => match key {
                "status" => (*h, 0),
                "seq" => (*h, 1),
                "data" => return (h.tag(DATA_SLOT) != tag::ABSENT).then_some(HeadValue::Data(h, None)),
                _ => return None,
            },
            HeadValue::Data(h, _) if h.tag(DATA_SLOT) == tag::OBJECT => (*h, FIELD_SLOT + HEAD_FIELDS.iter().position(|f| *f == key)?),
            _ => return None,
        };
        (h.tag(slot) != tag::ABSENT).then_some(HeadValue::Slot(h, slot))
    }
    fn is_object(&self) -> bool {
        self.tag() == tag::OBJECT
    }
    fn is_null(&self) -> bool {
        self.tag() == tag::NULL
    }
    fn is_string(&self) -> bool {
        self.tag() == tag::STRING
    }
    fn is_empty_string(&self) -> bool {
        self.is_string() && matches!(self, HeadValue::Slot(h, s) if *s >= FIELD_SLOT && *s < FIELD_SLOT + HEAD_TEXT_FIELDS && h.texts[s - FIELD_SLOT].is_empty())
    }
    fn is_number(&self) -> bool {
        self.tag() == tag::NUMBER
    }
    fn as_string(&self) -> Option<String> {
        self.is_string().then(|| self.text()).flatten()
    }
    fn as_f64(&self) -> Option<f64> {
        self.is_number().then(|| self.num()).flatten()
    }
    fn as_bool(&self) -> Option<bool> {
        match self.tag() {
            tag::TRUE => Some(true),
            tag::FALSE => Some(false),
            _ => None,
        }
    }
    fn number_text(&self) -> Option<String> {
        self.is_number().then(|| self.text()).flatten()
    }
    fn items(&self) -> Option<Vec<Self>> {
        None // arrays are described as OTHER; no rule of HEAD_STATUSES reads one
    }
    fn set_string(&mut self, key: &'static str, value: &str) {
        if let (HeadValue::Data(_, fill), "userName") = (self, key) {
            *fill = Some(value.to_owned());
        }
    }
}

/// A copied text field's text (a lone surrogate becomes U+FFFD, as in a JS string's UTF-8).
fn utf16_text(units: &[u16]) -> String {
    let mut text = String::with_capacity(units.len() * 3); // no UTF-16 unit takes more
    text.extend(char::decode_utf16(units.iter().copied()).map(|c| c.unwrap_or('\u{FFFD}')));
    text
}

/// The common well-formed frames of [`HEAD_STATUSES`] read straight off the tags, without walking
/// the rules through [`HeadValue`]; anything else (an error to report, a `userName` to fill in)
/// gives `data` back for [`decode_value`] to decide. Not a second set of rules: the tests compare
/// [`decode_head`] with [`decode_value`] on every kind of frame, these shapes included (the browser
/// shell calls it before its own walk of the rules).
pub fn decode_common_head<V>(head: &FrameHead<'_>, data: V) -> Result<(ServerFrame<V>, Option<u64>), V> {
    let seq = match head.tag(1) {
        tag::ABSENT | tag::NULL => None,
        tag::NUMBER => match seq_number(head.seq) {
            Some(n) => Some(n),
            None => return Err(data),
        },
        _ => return Err(data),
    };
    let status = head.status as i64;
    if status == status::HEARTBEAT {
        return Ok((ServerFrame::Heartbeat, seq));
    }
    let field = |i: usize| head.tag(FIELD_SLOT + i);
    if head.tag(DATA_SLOT) != tag::OBJECT || field(1) != tag::STRING {
        return Err(data); // no `data`, or a `userName` to fill in (or refuse)
    }
    let is_id = |i: usize| field(i) == tag::NUMBER || (field(i) == tag::STRING && !head.texts[i].is_empty());
    if status == status::MESSAGE {
        let optional = |i: usize| matches!(field(i), tag::ABSENT | tag::NULL | tag::STRING | tag::NUMBER);
        let valid = is_id(0) && field(3) == tag::STRING && optional(4) && optional(5);
        return if valid { Ok((ServerFrame::CustomerMessage(data), seq)) } else { Err(data) };
    }
    if !is_id(2) {
        return Err(data);
    }
    let text = utf16_text(head.texts[2]);
    let id = if field(2) == tag::NUMBER { Scalar::Number(text) } else { Scalar::Text(text) };
    let offer = CustomerFrame { customer: Customer { id, user_name: utf16_text(head.texts[1]) }, data };
    let frame = match status {
        status::WAITING => ServerFrame::CustomerWaiting(offer),
        status::TRANSFER => ServerFrame::TransferRequest(offer),
        status::TRANSFER_REFUSED => ServerFrame::TransferRejected(offer),
        _ => return Err(offer.data),
    };
    Ok((frame, seq))
}

/// Decodes a frame from its head: the same rules as [`decode_value`], with the frame's own `data`
/// object (`data`) in every place the full path would put it, and a `userName` the rules fill in
/// set on it. Only for a head that is [`FrameHead::decidable`].
pub fn decode_head<V: JsonValue>(head: &FrameHead<'_>, data: V) -> Result<(ServerFrame<V>, Option<u64>), FrameError> {
    let data = match decode_common_head(head, data) {
        Ok(decoded) => return Ok(decoded),
        Err(data) => data,
    };
    let status = head.status as i64;
    let (frame, seq) = decode_value(HeadValue::Root(head))?;
    let mut data = Some(data);
    // The rules put `data` (and only it, once) in every frame of HEAD_STATUSES; a test checks it.
    let frame = frame.try_map(|v| head_data(v, &mut data));
    frame.map(|f| (f, seq)).ok_or_else(|| super::bad(status, "frame head without its data"))
}

/// What stands for `v` in a frame decoded from its head: the frame's `data` (taken from `data`,
/// so only once), with the `userName` the rules filled in set on it; `None` for anything else.
pub fn head_data<V: JsonValue>(v: HeadValue<'_, '_>, data: &mut Option<V>) -> Option<V> {
    let HeadValue::Data(_, fill) = v else { return None };
    let mut d = data.take()?;
    if let Some(name) = fill {
        d.set_string("userName", &name);
    }
    Some(d)
}

impl<V> ServerFrame<V> {
    /// The same frame with each payload `V` replaced by `f`'s answer; `None` when `f` has none.
    pub fn try_map<W>(self, mut f: impl FnMut(V) -> Option<W>) -> Option<ServerFrame<W>> {
        let mut cf = |c: CustomerFrame<V>| Some(CustomerFrame { customer: c.customer, data: f(c.data)? });
        Some(match self {
            ServerFrame::CustomerMessage(v) => ServerFrame::CustomerMessage(f(v)?),
            ServerFrame::CustomerWaiting(c) => ServerFrame::CustomerWaiting(cf(c)?),
            ServerFrame::TransferRequest(c) => ServerFrame::TransferRequest(cf(c)?),
            ServerFrame::TransferRejected(c) => ServerFrame::TransferRejected(cf(c)?),
            ServerFrame::OfferWithdrawn { offer, reason } => ServerFrame::OfferWithdrawn { offer: cf(offer)?, reason },
            ServerFrame::Heartbeat => ServerFrame::Heartbeat,
            ServerFrame::Hello { features, epoch } => ServerFrame::Hello { features, epoch },
            ServerFrame::Ack { msg_id, error } => ServerFrame::Ack { msg_id, error },
            ServerFrame::Presence { presence, max_conversations } => ServerFrame::Presence { presence, max_conversations },
            ServerFrame::Typing(t) => ServerFrame::Typing(t),
            ServerFrame::Read { user_id, msg_ids } => ServerFrame::Read { user_id, msg_ids },
            ServerFrame::Note(v) => ServerFrame::Note(f(v)?),
            ServerFrame::Board(v) => ServerFrame::Board(f(v)?),
            ServerFrame::Monitor(v) => ServerFrame::Monitor(f(v)?),
            ServerFrame::Viewers(v) => ServerFrame::Viewers(f(v)?),
            ServerFrame::Supervised(v) => ServerFrame::Supervised(f(v)?),
            ServerFrame::Recalled(v) => ServerFrame::Recalled(f(v)?),
            ServerFrame::Lifecycle(v) => ServerFrame::Lifecycle(f(v)?),
        })
    }
}
