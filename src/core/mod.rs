//! The sans-IO core: protocol codecs and the session state machine. No web-sys, no clock, no
//! sockets, so `cargo test` covers every timing rule with a fake clock.

pub mod config;
pub mod frames_in;
pub mod frames_out;
pub mod output;
pub mod scalar;
pub mod session;

pub use config::{OfflineSend, SessionConfig};
pub use frames_in::{decode_frame, decode_frame_seq, Customer, CustomerMessage, FrameError, ServerFrame, TransferRequest};
pub use frames_out::AgentFrame;
pub use output::{ConnId, DeliveryStatus, LinkState, LogLevel, Output, UiEvent};
pub use scalar::Scalar;
pub use session::{FrameIn, Input, Millis, Session, SessionError, Stats, WakeReason, MAX_WAITING, SUPPORTED_EXTENSIONS};
