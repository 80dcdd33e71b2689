//! The sans-IO core: protocol codecs and the session state machine. No web-sys, no clock, no
//! sockets, so `cargo test` covers every timing rule with a fake clock.
//!
//! Cargo feature `json` (on for tests and native tools, off in the browser build) adds serde_json
//! as a [`JsonValue`] and the text-frame helpers; the browser shell parses with `JSON.parse`.

pub mod action;
pub mod config;
pub mod error;
pub mod frames_in;
pub mod frames_out;
pub mod input;
pub mod json;
pub mod message;
pub mod output;
pub mod presence;
pub mod protocol;
pub mod scalar;
pub mod session;
pub mod stats;
pub mod status;
pub mod tab_msg;

pub use action::{Action, ANNOUNCED_ACTIONS};
pub use config::{OfflineSend, SessionConfig};
pub use error::{ErrorCode, SessionError};
#[cfg(feature = "json")]
pub use frames_in::{decode_frame, decode_frame_seq};
pub use frames_in::{decode_common_head, decode_head, decode_value, head_data, HeadValue, FrameHead, HEAD_FIELDS, HEAD_STATUSES, HEAD_TEXT_FIELDS, HEAD_TEXT_MAX, Customer, CustomerFrame, CustomerMessage, FrameError, ServerFrame, TransferRequest, TypingSignal};
pub use frames_out::{AgentFrame, FieldValue};
pub use input::{ConnId, FrameIn, Input, Millis, Received, TabEvent, WakeReason};
pub use json::{is_whole, JsonBuild, JsonValue};
pub use presence::Presence;
pub use protocol::Extension;
pub use message::PersistedMessage;
pub use output::{LogDetail, LogLevel, LogMessage, Output, UiEvent};
pub use status::{DeliveryStatus, LinkState};
pub use scalar::Scalar;
pub use session::{Decoder, Session, Shown, CLOSE_SERVICE_RESTART, MAX_WAITING, QUICK_ATTEMPTS, RESTART_MIN_MS, RESTART_SPREAD_MS, SUPPORTED_EXTENSIONS};
pub use stats::Stats;
pub use tab_msg::{tab_channel_name, Snapshot, TabMsg, TAB_PROTOCOL_VERSION};

/// A session driven with JSON text natively (tests, tools): payloads are `serde_json::Value`s.
#[cfg(feature = "json")]
pub type JsonSession = Session<serde_json::Value>;
/// [`Output`] of a [`JsonSession`].
#[cfg(feature = "json")]
pub type JsonOutput = Output<serde_json::Value>;
/// [`UiEvent`] of a [`JsonSession`].
#[cfg(feature = "json")]
pub type JsonUiEvent = UiEvent<serde_json::Value>;
/// [`Input`] of a [`JsonSession`].
#[cfg(feature = "json")]
pub type JsonInput = Input<serde_json::Value>;
