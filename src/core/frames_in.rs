//! Decoding of server → agent frames (`{"status": N, "data": {...}}`) into [`ServerFrame`].
//!
//! Leniency matches the original client where a real backend relies on it: `status` may be a number
//! or a numeric string (the original compared with `==`), ids may be strings or numbers, unknown
//! fields are ignored. Everything else that the original would have mishandled is a [`FrameError`].

use super::scalar::Scalar;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::fmt;

/// A customer as named by the server: `id` (or `userId`) and `userName`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Customer {
    /// The customer's id, typed as the server sent it.
    pub id: Scalar,
    /// The customer's display name (the id's text when the server sent none).
    pub user_name: String,
}

/// Status 1: a customer's chat message.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerMessage {
    /// The sending customer (`userId`, `userName`).
    pub from: Customer,
    /// The agent the server routed it to (`kfId`), if sent.
    pub kf_id: Option<Scalar>,
    /// The message text, untrusted.
    pub content: String,
    /// The server's timestamp (`createTime`), if sent.
    pub create_time: Option<Scalar>,
}

/// Status 4: another agent hands a conversation over.
#[derive(Clone, Debug, PartialEq)]
pub struct TransferRequest {
    /// The customer whose conversation is offered.
    pub customer: Customer,
    /// The whole `data` object as JSON text, for the UI ("whatever else the server sends").
    pub data_json: String,
}

/// A decoded, validated server frame.
#[derive(Clone, Debug, PartialEq)]
pub enum ServerFrame {
    /// Status 1.
    CustomerMessage(CustomerMessage),
    /// Status 2: a new customer asks to be accepted.
    CustomerWaiting(Customer),
    /// Status 4.
    TransferRequest(TransferRequest),
    /// Status 5: the agent we transferred to refused; the conversation stays here.
    TransferRejected(Customer),
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
    /// Status 3 (extension `withdraw`): an offer is no longer open (accepted elsewhere, the
    /// customer left).
    OfferWithdrawn {
        /// The customer.
        customer: Customer,
        /// Why, as the server put it.
        reason: String,
    },
}

/// Why a frame was rejected. The session logs it, counts it and carries on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// The text is not JSON.
    NotJson(String),
    /// Valid JSON, but not an object.
    NotObject,
    /// No `status` field, or one that is not an integer.
    BadStatus(String),
    /// A status this client does not know.
    UnknownStatus(i64),
    /// `data` is missing or has missing or wrong-typed fields.
    BadData {
        /// The frame's status.
        status: i64,
        /// What was wrong.
        detail: String,
    },
    /// A binary frame; the protocol is JSON text only.
    Binary {
        /// Its size in bytes.
        len: usize,
    },
    /// A text frame larger than the configured limit, dropped unparsed.
    TooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::NotJson(e) => write!(f, "not JSON: {e}"),
            FrameError::NotObject => f.write_str("not a JSON object"),
            FrameError::BadStatus(e) => write!(f, "bad status: {e}"),
            FrameError::UnknownStatus(s) => write!(f, "unknown status {s}"),
            FrameError::BadData { status, detail } => write!(f, "status {status}: bad data: {detail}"),
            FrameError::Binary { len } => write!(f, "binary frame of {len} bytes (only JSON text is spoken)"),
            FrameError::TooLarge { len, max } => write!(f, "frame of {len} chars exceeds the {max}-char limit"),
        }
    }
}

impl FrameError {
    /// A short stable name of the error class, for counters and the JS `reason` code.
    pub fn class(&self) -> &'static str {
        match self {
            FrameError::NotJson(_) => "not-json",
            FrameError::NotObject => "not-object",
            FrameError::BadStatus(_) => "bad-status",
            FrameError::UnknownStatus(_) => "unknown-status",
            FrameError::BadData { .. } => "bad-data",
            FrameError::Binary { .. } => "binary",
            FrameError::TooLarge { .. } => "too-large",
        }
    }
}

/// `status` as a number or a numeric string.
struct Status(i64);

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Status, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Status;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer status")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Status, E> {
                i64::try_from(v).map(Status).map_err(|_| E::custom("status out of range"))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Status, E> {
                Ok(Status(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Status, E> {
                if v.fract() == 0.0 && v.abs() < 1e15 {
                    Ok(Status(v as i64))
                } else {
                    Err(E::custom("status is not an integer"))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Status, E> {
                v.trim().parse().map(Status).map_err(|_| E::custom("status string is not an integer"))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    status: Option<Status>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
    seq: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageData {
    user_id: Scalar,
    user_name: Option<String>,
    kf_id: Option<Scalar>,
    content: String,
    create_time: Option<Scalar>,
}

#[derive(Deserialize)]
struct HelloData {
    #[serde(default)]
    features: Vec<String>,
    epoch: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AckData {
    msg_id: String,
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WithdrawData {
    id: Scalar,
    user_name: Option<String>,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CustomerData {
    id: Scalar,
    user_name: Option<String>,
}

fn customer(id: Scalar, user_name: Option<String>) -> Customer {
    let user_name = user_name.unwrap_or_else(|| id.key());
    Customer { id, user_name }
}

fn data_of<'a, T: Deserialize<'a>>(status: i64, data: Option<&'a RawValue>) -> Result<T, FrameError> {
    let raw = data.ok_or_else(|| FrameError::BadData { status, detail: "missing `data`".into() })?;
    serde_json::from_str(raw.get()).map_err(|e| FrameError::BadData { status, detail: e.to_string() })
}

fn check_id(status: i64, id: &Scalar) -> Result<(), FrameError> {
    if id.is_blank() {
        return Err(FrameError::BadData { status, detail: "empty customer id".into() });
    }
    Ok(())
}

/// Decodes one text frame. Never panics, whatever the input.
pub fn decode_frame(text: &str) -> Result<ServerFrame, FrameError> {
    decode_frame_seq(text).map(|(f, _)| f)
}

/// Decodes one text frame and its sequence number (extension `seq`: a top-level `"seq"` that
/// legacy clients ignore).
pub fn decode_frame_seq(text: &str) -> Result<(ServerFrame, Option<u64>), FrameError> {
    if !text.trim_start().starts_with('{') {
        // serde would read a JSON array as a struct; only objects are frames.
        return Err(match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Ok(_) => FrameError::NotObject,
            Err(e) => FrameError::NotJson(e.to_string()),
        });
    }
    let env: Envelope<'_> = serde_json::from_str(text).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => FrameError::BadStatus(e.to_string()),
            _ => FrameError::NotJson(e.to_string()),
        }
    })?;
    let status = env.status.ok_or_else(|| FrameError::BadStatus("missing `status`".into()))?.0;
    decode_status(status, env.data).map(|f| (f, env.seq))
}

fn decode_status(status: i64, data: Option<&RawValue>) -> Result<ServerFrame, FrameError> {
    let env_data = data;
    match status {
        1 => {
            let d: MessageData = data_of(status, env_data)?;
            check_id(status, &d.user_id)?;
            Ok(ServerFrame::CustomerMessage(CustomerMessage {
                from: customer(d.user_id, d.user_name),
                kf_id: d.kf_id,
                content: d.content,
                create_time: d.create_time,
            }))
        }
        2 | 5 => {
            let d: CustomerData = data_of(status, env_data)?;
            check_id(status, &d.id)?;
            let c = customer(d.id, d.user_name);
            Ok(if status == 2 { ServerFrame::CustomerWaiting(c) } else { ServerFrame::TransferRejected(c) })
        }
        4 => {
            let d: CustomerData = data_of(status, env_data)?;
            check_id(status, &d.id)?;
            let data_json = env_data.map(|r| r.get().to_owned()).unwrap_or_default();
            Ok(ServerFrame::TransferRequest(TransferRequest { customer: customer(d.id, d.user_name), data_json }))
        }
        9 => Ok(ServerFrame::Heartbeat),
        3 => {
            let d: WithdrawData = data_of(status, env_data)?;
            check_id(status, &d.id)?;
            Ok(ServerFrame::OfferWithdrawn { customer: customer(d.id, d.user_name), reason: d.reason })
        }
        100 => {
            let d: HelloData = data_of(status, env_data)?;
            Ok(ServerFrame::Hello { features: d.features, epoch: d.epoch })
        }
        101 => {
            let d: AckData = data_of(status, env_data)?;
            Ok(ServerFrame::Ack { msg_id: d.msg_id, error: d.error })
        }
        other => Err(FrameError::UnknownStatus(other)),
    }
}
