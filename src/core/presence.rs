//! [`Presence`]: whether the agent takes new customers (extension `presence`).

/// The agent's presence, as the server routes by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    /// Offered new customers, up to the conversation cap.
    Online,
    /// Keeps its conversations; offered no new customers or transfers.
    Busy,
    /// Away from the desk: offered nothing.
    Away,
}

impl Presence {
    /// Every presence, in the order the TypeScript declarations list them.
    pub const ALL: [Presence; 3] = [Presence::Online, Presence::Busy, Presence::Away];

    /// `"online"`, `"busy"` or `"away"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Presence::Online => "online",
            Presence::Busy => "busy",
            Presence::Away => "away",
        }
    }

    /// The presence named `s`, if any.
    pub fn parse(s: &str) -> Option<Presence> {
        Presence::ALL.into_iter().find(|p| p.as_str() == s)
    }
}
