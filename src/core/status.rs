//! The states shown to the agent: the connection's ([`LinkState`]) and each sent message's
//! ([`DeliveryStatus`]).

/// Connection state shown to the agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    /// Created, `connect()` not called yet.
    Idle,
    /// A socket is being opened (the first one).
    Connecting,
    /// The socket is open.
    Open,
    /// Waiting to retry, or retrying, after losing the socket.
    Reconnecting,
    /// Closed on purpose by `close()`; never reconnects by itself.
    Closed,
    /// The server closed the socket because a newer connection of the same agent replaced it
    /// (close code 4409, another tab or device): the session does not fight back with a reconnect
    /// loop; `connect()` takes the connection back.
    Replaced,
}

impl LinkState {
    /// Every state.
    pub const ALL: [LinkState; 6] =
        [LinkState::Idle, LinkState::Connecting, LinkState::Open, LinkState::Reconnecting, LinkState::Closed, LinkState::Replaced];

    /// The state named `s` ([`LinkState::as_str`]), if any.
    pub fn parse(s: &str) -> Option<LinkState> {
        LinkState::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// The lower-case name used in the JS API and the console's `data-state`.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkState::Idle => "idle",
            LinkState::Connecting => "connecting",
            LinkState::Open => "open",
            LinkState::Reconnecting => "reconnecting",
            LinkState::Closed => "closed",
            LinkState::Replaced => "replaced",
        }
    }
}

/// The fate of a chat message the agent sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Held while disconnected; it goes out when the socket opens.
    Held,
    /// Written to an open socket.
    Sent,
    /// Acknowledged by the server (extension `ack`): stored and routed, will not be lost.
    Acked,
    /// Not sent; see the reason.
    Failed,
}

impl DeliveryStatus {
    /// Every status.
    pub const ALL: [DeliveryStatus; 4] = [DeliveryStatus::Held, DeliveryStatus::Sent, DeliveryStatus::Acked, DeliveryStatus::Failed];

    /// The status named `s` ([`DeliveryStatus::as_str`]), if any.
    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        DeliveryStatus::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// The lower-case name used in the JS API.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Held => "held",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Acked => "acked",
            DeliveryStatus::Failed => "failed",
        }
    }
}
