//! The sans-IO core: protocol codecs and the session state machine. No web-sys, no clock, no
//! sockets, so `cargo test` covers every timing rule with a fake clock.

pub mod config;
pub mod frames_in;
pub mod frames_out;
pub mod json;
pub mod output;
pub mod scalar;
pub mod session;

pub use config::{OfflineSend, SessionConfig};
#[cfg(not(target_arch = "wasm32"))]
pub use frames_in::{decode_frame, decode_frame_seq};
pub use frames_in::{decode_value, Customer, CustomerFrame, CustomerMessage, FrameError, ServerFrame, TransferRequest};
pub use frames_out::{AgentFrame, FieldValue};
pub use json::JsonValue;
pub use output::{ConnId, DeliveryStatus, LinkState, LogDetail, LogLevel, LogMessage, Output, UiEvent};
pub use scalar::Scalar;
#[cfg(not(target_arch = "wasm32"))]
pub use session::Input;
pub use session::{FrameIn, Millis, Received, Session, SessionError, Stats, WakeReason, MAX_WAITING, SUPPORTED_EXTENSIONS};

/// A session driven with JSON text natively (tests, tools): payloads are `serde_json::Value`s.
#[cfg(not(target_arch = "wasm32"))]
pub type JsonSession = Session<serde_json::Value>;
/// [`Output`] of a [`JsonSession`].
#[cfg(not(target_arch = "wasm32"))]
pub type JsonOutput = Output<serde_json::Value>;
/// [`UiEvent`] of a [`JsonSession`].
#[cfg(not(target_arch = "wasm32"))]
pub type JsonUiEvent = UiEvent<serde_json::Value>;
