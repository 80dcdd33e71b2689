//! Decoding of server → agent frames (`{"status": N, "data": {...}}`) into [`ServerFrame`].
//!
//! Leniency matches the original client where a real backend relies on it: `status` may be a number
//! or a numeric string (the original compared with `==`), ids may be strings or numbers, unknown
//! fields are ignored. Everything else that the original would have mishandled is a [`FrameError`].
//!
//! The rules work on an already parsed value ([`JsonValue`]): the browser's `JSON.parse` result in
//! the wasm shell, `serde_json::Value` natively ([`decode_frame`]). Payloads that only the UI reads
//! (a chat message, a transfer's data) stay in that parsed form and are passed through untouched.

use crate::prelude::*;
use super::json::{scalar_of, JsonValue};
use super::protocol::status;
use super::scalar::Scalar;

mod error;
mod head;
mod team;

pub use error::FrameError;

pub use head::{decode_common_head, decode_head, head_data, tag, FrameHead, HeadValue, HEAD_FIELDS, HEAD_STATUSES, HEAD_TEXT_FIELDS, HEAD_TEXT_MAX};

/// A customer as named by the server: `id` (or `userId`) and `userName`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Customer {
    /// The customer's id, typed as the server sent it.
    pub id: Scalar,
    /// The customer's display name (the id's text when the server sent none).
    pub user_name: String,
}

/// Status 1: a customer's chat message: the frame's `data` object as the server sent it
/// (`userId`, `userName`, `kfId`, `content`, `createTime` and anything else), validated
/// (`userId` a non-empty string or number, `content` a string) and with `userName` filled in from
/// the id when the server sent none. Untrusted text: the UI must escape it.
pub type CustomerMessage<V> = V;

/// A frame about one customer (status 2, 4, 5, 3): who, for the core's queues, and the whole
/// `data` object (with `userName` filled in when missing), passed to the UI without copying.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerFrame<V> {
    /// The customer (`id`, `userName`).
    pub customer: Customer,
    /// The whole `data` object, for the UI ("whatever else the server sends").
    pub data: V,
}

/// Status 4: another agent hands a conversation over.
pub type TransferRequest<V> = CustomerFrame<V>;

/// A customer typing, or stopped (extension `typing`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypingSignal {
    /// The customer.
    pub user_id: Scalar,
    /// Typing now.
    pub typing: bool,
    /// Their unsent text (extension `peek`).
    pub text: Option<String>,
}

/// A decoded, validated server frame; `V` is the parsed-JSON type payloads stay in.
#[derive(Clone, Debug, PartialEq)]
pub enum ServerFrame<V> {
    /// Status 1.
    CustomerMessage(CustomerMessage<V>),
    /// Status 2: a new customer asks to be accepted.
    CustomerWaiting(CustomerFrame<V>),
    /// Status 4.
    TransferRequest(TransferRequest<V>),
    /// Status 5: the agent we transferred to refused; the conversation stays here.
    TransferRejected(CustomerFrame<V>),
    /// Status 9: heartbeat answer.
    Heartbeat,
    /// Status 100 (extension): the server's hello, listing the extensions it offers.
    Hello {
        /// Feature names.
        features: Vec<String>,
        /// Identifies the server's run; sequence numbers restart when it changes.
        epoch: Option<String>,
    },
    /// Status 101 (extension `ack`): the server stored and routed the chat message `msg_id`.
    Ack {
        /// The id the client gave the message.
        msg_id: String,
        /// Set when the server refused the message (for example, the conversation ended).
        error: Option<String>,
    },
    /// Status 102 (extension `presence`): the agent's presence and conversation cap as the server
    /// has them (after the hello, and whenever either changes).
    Presence {
        /// Online, busy or away.
        presence: crate::core::presence::Presence,
        /// The agent's conversation cap, when sent.
        max_conversations: Option<u64>,
    },
    /// Status 103 (extension `typing`): a customer is typing, or stopped; with `peek`, their
    /// unsent text.
    Typing(TypingSignal),
    /// Status 104 (extension `read`): a customer's page has shown these agent messages.
    Read {
        /// The customer.
        user_id: Scalar,
        /// The messages' ids (`msgId`).
        msg_ids: Vec<String>,
    },
    /// Status 105 (extension `notes`): an internal note or a supervisor's whisper in a
    /// conversation, the frame's `data` object (`userId`, `kind`, `fromKfId`, `content`, …) as
    /// the server sent it, checked by type.
    Note(V),
    /// Status 106 (extension `board`): the live board's `data` object (`agents`, `queue`) as the
    /// server sent it.
    Board(V),
    /// Status 107 (extension `monitor`): a watched conversation's messages (`userId`, `start`,
    /// `messages`), as the server sent them.
    Monitor(V),
    /// Status 108 (extension `monitor`): who watches a conversation of this agent (`userId`,
    /// `viewers`).
    Viewers(V),
    /// Status 109 (extension `supervise`): how a supervisor's action went (`action`, `userId`,
    /// `error`).
    Supervised(V),
    /// Status 110: a message recalled, or our recall refused (`userId`, `msgId`, `by`, `error`).
    Recalled(V),
    /// Status 111: a conversation's life (`userId`, `event`, …).
    Lifecycle(V),
    /// Status 3 (extension `withdraw`): an offer is no longer open (accepted elsewhere, the
    /// customer left).
    OfferWithdrawn {
        /// The customer and the `data` object.
        offer: CustomerFrame<V>,
        /// Why, as the server put it.
        reason: String,
    },
}

pub(super) fn bad(status: i64, detail: &str) -> FrameError {
    FrameError::BadData { status, detail: detail.into() }
}

/// A required id: a non-empty string or a finite number, copied (two calls into JS at most: this
/// runs for every offer, so it does not go through [`check_id`]'s type checks first).
fn scalar<V: JsonValue>(status: i64, v: Option<V>, what: &'static str) -> Result<Scalar, FrameError> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Err(FrameError::BadData { status, detail: ["missing `", what, "`"].concat() });
    };
    let s = scalar_of(&v)
        .ok_or_else(|| FrameError::BadData { status, detail: ["`", what, "` must be a string or a number"].concat() })?;
    if s.is_blank() {
        return Err(bad(status, "empty customer id"));
    }
    Ok(s)
}

/// An optional string: absent and `null` are `None`, anything but a string is an error.
pub(super) fn opt_string<V: JsonValue>(status: i64, v: Option<V>, what: &'static str) -> Result<Option<String>, FrameError> {
    match v.filter(|v| !v.is_null()) {
        None => Ok(None),
        Some(v) => v.as_string().map(Some).ok_or_else(|| FrameError::BadData { status, detail: ["`", what, "` must be a string"].concat() }),
    }
}

/// A required id, checked without copying it: a non-empty string or a number.
pub(super) fn check_id<V: JsonValue>(status: i64, v: Option<V>, what: &'static str) -> Result<V, FrameError> {
    match v.filter(|v| !v.is_null()) {
        None => Err(FrameError::BadData { status, detail: ["missing `", what, "`"].concat() }),
        Some(v) if v.is_empty_string() => Err(bad(status, "empty customer id")),
        Some(v) if v.is_string() || v.is_number() => Ok(v),
        Some(_) => Err(FrameError::BadData { status, detail: ["`", what, "` must be a string or a number"].concat() }),
    }
}

/// An optional id-like value: absent/`null`, a string or a number.
fn check_opt_scalar<V: JsonValue>(status: i64, v: Option<V>, what: &'static str) -> Result<(), FrameError> {
    match v.filter(|v| !v.is_null()) {
        Some(v) if !v.is_string() && !v.is_number() => {
            Err(FrameError::BadData { status, detail: ["`", what, "` must be a string or a number"].concat() })
        }
        _ => Ok(()),
    }
}

fn customer<V: JsonValue>(status: i64, mut data: V) -> Result<CustomerFrame<V>, FrameError> {
    let id = scalar(status, data.field("id"), "id")?;
    let user_name = match opt_string(status, data.field("userName"), "userName")? {
        Some(n) => n,
        None => {
            data.set_string("userName", id.as_key());
            id.key()
        }
    };
    Ok(CustomerFrame { customer: Customer { id, user_name }, data })
}

pub(super) fn data_of<V: JsonValue>(status: i64, root: &V) -> Result<V, FrameError> {
    match root.field("data") {
        Some(d) if d.is_object() => Ok(d),
        Some(d) if !d.is_null() => Err(bad(status, "`data` is not an object")),
        _ => Err(bad(status, "missing `data`")),
    }
}

/// `status` as a number or a numeric string (the original compared with `==`).
fn status_of<V: JsonValue>(root: &V) -> Result<i64, FrameError> {
    let v = root.field("status").ok_or_else(|| FrameError::BadStatus("missing `status`".into()))?;
    if let Some(f) = v.as_f64() {
        return if crate::core::json::is_whole(f) && f.abs() < 1e15 {
            Ok(f as i64)
        } else {
            Err(FrameError::BadStatus("status is not an integer".into()))
        };
    }
    match v.as_string() {
        Some(s) => s.trim().parse().map_err(|_| FrameError::BadStatus("status string is not an integer".into())),
        None => Err(FrameError::BadStatus("status must be a number".into())),
    }
}

/// A `seq` number, if it is one: a non-negative integer that a JS number holds exactly.
pub(super) fn seq_number(f: f64) -> Option<u64> {
    (f >= 0.0 && crate::core::json::is_whole(f) && f < 9.0e15).then_some(f as u64)
}

/// `seq` (extension): absent/`null`, or a non-negative integer.
fn seq_of<V: JsonValue>(status: i64, root: &V) -> Result<Option<u64>, FrameError> {
    match root.field("seq").filter(|v| !v.is_null()) {
        None => Ok(None),
        Some(v) => v.as_f64().and_then(seq_number).map(Some).ok_or_else(|| bad(status, "`seq` must be a non-negative integer")),
    }
}

/// Decodes one parsed frame and its sequence number (extension `seq`: a top-level `"seq"` that
/// legacy clients ignore). Never panics, whatever the input.
pub fn decode_value<V: JsonValue>(root: V) -> Result<(ServerFrame<V>, Option<u64>), FrameError> {
    if !root.is_object() {
        return Err(FrameError::NotObject);
    }
    let status = status_of(&root)?;
    let seq = seq_of(status, &root)?;
    let frame = match status {
        status::MESSAGE => {
            // Checked by type only: the payload goes to the UI as it is, nothing is copied.
            let mut d = data_of(status, &root)?;
            let id = check_id(status, d.field("userId"), "userId")?;
            if !d.field("content").is_some_and(|c| c.is_string()) {
                return Err(bad(status, "`content` must be a string"));
            }
            check_opt_scalar(status, d.field("kfId"), "kfId")?;
            check_opt_scalar(status, d.field("createTime"), "createTime")?;
            match d.field("userName").filter(|v| !v.is_null()) {
                Some(n) if n.is_string() => {}
                Some(_) => return Err(bad(status, "`userName` must be a string")),
                None => d.set_string("userName", scalar_of(&id).as_ref().map_or("", Scalar::as_key)),
            }
            ServerFrame::CustomerMessage(d)
        }
        status::WAITING => ServerFrame::CustomerWaiting(customer(status, data_of(status, &root)?)?),
        status::TRANSFER_REFUSED => ServerFrame::TransferRejected(customer(status, data_of(status, &root)?)?),
        status::TRANSFER => ServerFrame::TransferRequest(customer(status, data_of(status, &root)?)?),
        status::HEARTBEAT => ServerFrame::Heartbeat,
        status::WITHDRAWN => {
            let offer = customer(status, data_of(status, &root)?)?;
            let reason = opt_string(status, offer.data.field("reason"), "reason")?.unwrap_or_default();
            ServerFrame::OfferWithdrawn { offer, reason }
        }
        status::HELLO => {
            let d = data_of(status, &root)?;
            let features = match d.field("features").filter(|v| !v.is_null()) {
                None => Vec::new(),
                Some(f) => f
                    .items()
                    .and_then(|items| items.iter().map(|i| i.as_string()).collect::<Option<Vec<_>>>())
                    .ok_or_else(|| bad(status, "`features` must be an array of strings"))?,
            };
            ServerFrame::Hello { features, epoch: opt_string(status, d.field("epoch"), "epoch")? }
        }
        status::ACK => {
            let d = data_of(status, &root)?;
            let msg_id = opt_string(status, d.field("msgId"), "msgId")?.ok_or_else(|| bad(status, "missing `msgId`"))?;
            ServerFrame::Ack { msg_id, error: opt_string(status, d.field("error"), "error")? }
        }
        status::PRESENCE => {
            let d = data_of(status, &root)?;
            let name = opt_string(status, d.field("presence"), "presence")?.unwrap_or_default();
            let presence = crate::core::presence::Presence::parse(&name).ok_or_else(|| bad(status, "`presence` must be online, busy or away"))?;
            let max = d.field("maxConversations").filter(|v| !v.is_null());
            let max_conversations = match max.map(|m| m.as_f64()) {
                None => None,
                Some(Some(n)) if n >= 0.0 && crate::core::json::is_whole(n) && n <= 1e9 => Some(n as u64),
                Some(_) => return Err(bad(status, "`maxConversations` must be a whole number")),
            };
            ServerFrame::Presence { presence, max_conversations }
        }
        status::TYPING => {
            let d = data_of(status, &root)?;
            let user_id = scalar_of(&check_id(status, d.field("userId"), "userId")?).ok_or_else(|| bad(status, "bad `userId`"))?;
            let typing = d.field("typing").and_then(|t| t.as_bool()).ok_or_else(|| bad(status, "`typing` must be true or false"))?;
            ServerFrame::Typing(TypingSignal { user_id, typing, text: opt_string(status, d.field("text"), "text")? })
        }
        status::READ => {
            let d = data_of(status, &root)?;
            let user_id = scalar_of(&check_id(status, d.field("userId"), "userId")?).ok_or_else(|| bad(status, "bad `userId`"))?;
            let msg_ids = d
                .field("msgIds")
                .and_then(|f| f.items())
                .and_then(|items| items.iter().map(|i| i.as_string()).collect::<Option<Vec<_>>>())
                .ok_or_else(|| bad(status, "`msgIds` must be an array of strings"))?;
            ServerFrame::Read { user_id, msg_ids }
        }
        status::NOTE | status::BOARD | status::SUPERVISED | status::MONITOR | status::VIEWERS | status::RECALLED | status::LIFECYCLE => {
            team::decode(status, &root)?
        }
        other => return Err(FrameError::UnknownStatus(other)),
    };
    Ok((frame, seq))
}

/// Parses and decodes one text frame with serde_json (native builds; the browser shell parses
/// with `JSON.parse` and calls [`decode_value`]).
#[cfg(feature = "json")]
pub fn decode_frame_seq(text: &str) -> Result<(ServerFrame<serde_json::Value>, Option<u64>), FrameError> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| FrameError::NotJson(e.to_string()))?;
    decode_value(v)
}

/// [`decode_frame_seq`] without the sequence number.
#[cfg(feature = "json")]
pub fn decode_frame(text: &str) -> Result<ServerFrame<serde_json::Value>, FrameError> {
    decode_frame_seq(text).map(|(f, _)| f)
}
