//! [`SessionConfig`]: the timings and limits of one agent session, with the original's defaults.

use crate::prelude::*;

/// What to do with a chat message the agent sends while the socket is not open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfflineSend {
    /// Hold it and send it, in order, as soon as the socket is open again (the default).
    Hold,
    /// Report it as failed at once, with a reason, and send nothing.
    Fail,
}

/// Settings of a session. Every timing is in milliseconds.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// The agent's id (`kfId`), sent in every frame that names the agent.
    pub kf_id: String,
    /// The agent's display name (`kfName` in chat frames). Defaults to `kf_id`, like the original.
    pub kf_name: String,
    /// Silence after which a heartbeat ping is sent (original: 30 000).
    pub heartbeat_ms: u64,
    /// Time to wait for any frame after a ping before the socket is declared dead (original: 5 000).
    pub heartbeat_timeout_ms: u64,
    /// Delay before a reconnect attempt after a close, error or timeout (original: 5 000).
    pub reconnect_ms: u64,
    /// Time a connecting socket may take to open before it is abandoned (the original had none and
    /// waited for the browser; 10 000 by default).
    pub connect_timeout_ms: u64,
    /// What happens to messages sent while disconnected.
    pub offline_send: OfflineSend,
    /// Most messages held while disconnected; more are reported failed ("too many held messages").
    pub max_held_messages: usize,
    /// How long an opened socket waits for the server's hello before treating the server as
    /// legacy and sending held messages without extensions (default 3 000). Rarely reached: with
    /// messages held the client pings on opening, and any first frame other than a hello (such as
    /// the ping's answer) decides at once.
    pub hello_wait_ms: u64,
    /// Prefix of message ids (extension `ack`); unique per page load, chosen by the shell.
    pub client_token: String,
    /// Largest text frame accepted, in UTF-16 units as the browser reports its length; larger frames
    /// are rejected without being parsed.
    pub max_frame_chars: usize,
    /// Ask the shell to keep unconfirmed messages in durable storage ([`crate::core::Output::Persist`]
    /// and [`crate::core::Output::Forget`]), so a reload or crash loses none (default off).
    pub durable_outbox: bool,
}

impl SessionConfig {
    /// A configuration with the original `chatDialog.js` timings for the agent `kf_id`.
    pub fn new(kf_id: impl Into<String>) -> Self {
        let kf_id = kf_id.into();
        SessionConfig {
            kf_name: kf_id.clone(),
            kf_id,
            heartbeat_ms: 30_000,
            heartbeat_timeout_ms: 5_000,
            reconnect_ms: 5_000,
            connect_timeout_ms: 10_000,
            offline_send: OfflineSend::Hold,
            max_held_messages: 1_000,
            hello_wait_ms: 3_000,
            client_token: "c".into(),
            max_frame_chars: 1 << 20,
            durable_outbox: false,
        }
    }

    /// Checks the settings; the error names the first bad one.
    pub fn validate(&self) -> Result<(), String> {
        if self.kf_id.trim().is_empty() {
            return Err("kfId must be a non-empty string".into());
        }
        for (name, v) in [
            ("heartbeatMs", self.heartbeat_ms),
            ("heartbeatTimeoutMs", self.heartbeat_timeout_ms),
            ("reconnectMs", self.reconnect_ms),
            ("connectTimeoutMs", self.connect_timeout_ms),
            ("helloWaitMs", self.hello_wait_ms),
        ] {
            if v == 0 {
                return Err([name, " must be a positive number of milliseconds"].concat());
            }
        }
        if self.max_frame_chars < 16 {
            return Err("maxFrameChars must be at least 16".into());
        }
        Ok(())
    }
}
