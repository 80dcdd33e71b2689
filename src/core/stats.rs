//! [`Stats`]: the session's counters, for diagnostics and tests.

/// Counters for diagnostics and tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Frames received on the live socket.
    pub frames_received: u64,
    /// Frames rejected as malformed (subset of `frames_received`).
    pub frames_rejected: u64,
    /// Events that named a superseded socket and were ignored.
    pub stale_events: u64,
    /// Sockets opened.
    pub sockets_opened: u64,
    /// Heartbeat pings sent.
    pub pings_sent: u64,
    /// Frames dropped as duplicates by sequence number (extension `seq`).
    pub duplicates_dropped: u64,
    /// Chat messages re-sent after a reconnect because no ack had come (extension `ack`).
    pub resent: u64,
    /// Frames sent (pings included).
    pub frames_sent: u64,
}
