//! The link sub-machine: one socket at a time through connect, open (heartbeat and hello wait),
//! lost (wait, then reconnect) and closed on purpose.

use super::super::frames_out::AgentFrame;
use super::super::input::{ConnId, Millis, WakeReason};
use super::super::json::JsonValue;
use super::super::output::{LogDetail, LogLevel, Output};
use super::super::protocol::Extension;
use super::super::status::LinkState;
use super::Session;

/// The socket's state. Every deadline is absolute, on the shell's clock.
#[derive(Clone, Debug)]
pub(super) enum Link {
    Idle,
    Connecting { conn: ConnId, deadline: Millis, attempt: u32 },
    Open { conn: ConnId, ping_at: Millis, pong_deadline: Option<Millis>, hello_deadline: Option<Millis> },
    Waiting { at: Millis, attempt: u32 },
    Closed,
    /// The server replaced this socket with a newer one of the same agent (close code 4409).
    Replaced,
}

/// The close code the reference server uses for "replaced by a newer connection".
pub const CLOSE_REPLACED: u16 = 4409;

/// Close code 1012 (Service Restart): the server asks the client to come back now (a cluster's
/// routing moved to another node). The first reconnect after it waits
/// [`RESTART_MIN_MS`] plus a share of [`RESTART_SPREAD_MS`] fixed per agent, so a whole desk does
/// not arrive in the same millisecond; later attempts wait the usual `reconnect_ms`.
pub const CLOSE_SERVICE_RESTART: u16 = 1012;
/// See [`CLOSE_SERVICE_RESTART`].
pub const RESTART_MIN_MS: u64 = 50;
/// See [`CLOSE_SERVICE_RESTART`].
pub const RESTART_SPREAD_MS: u64 = 400;
/// With a server that speaks `failover`, this many attempts after a loss come quickly (the node
/// taking routing over may need a moment); the ones after wait `reconnect_ms`.
pub const QUICK_ATTEMPTS: u32 = 3;

impl Link {
    /// The state as shown to the agent.
    pub(super) fn state(&self) -> LinkState {
        match self {
            Link::Idle => LinkState::Idle,
            Link::Connecting { attempt: 0, .. } => LinkState::Connecting,
            Link::Connecting { .. } | Link::Waiting { .. } => LinkState::Reconnecting,
            Link::Open { .. } => LinkState::Open,
            Link::Closed => LinkState::Closed,
            Link::Replaced => LinkState::Replaced,
        }
    }

    /// The open socket, if any.
    pub(super) fn open_conn(&self) -> Option<ConnId> {
        match self {
            Link::Open { conn, .. } => Some(*conn),
            _ => None,
        }
    }

    /// The open socket, once its hello wait is over (chat messages may be written to it).
    pub(super) fn writable_conn(&self) -> Option<ConnId> {
        match self {
            Link::Open { conn, hello_deadline: None, .. } => Some(*conn),
            _ => None,
        }
    }

    /// True while the open socket waits for the server's first frame to decide hello or legacy.
    pub(super) fn awaiting_hello(&self) -> bool {
        matches!(self, Link::Open { hello_deadline: Some(_), .. })
    }

    /// A frame arrived on `conn`: if it is the open socket, the heartbeat restarts (next ping at
    /// `ping_at`) and this returns true; otherwise the frame is stale.
    pub(super) fn note_life(&mut self, conn: ConnId, next_ping: Millis) -> bool {
        match self {
            Link::Open { conn: c, ping_at, pong_deadline, .. } if *c == conn => {
                *ping_at = next_ping;
                *pong_deadline = None;
                true
            }
            _ => false,
        }
    }

    /// The earliest deadline, if any.
    pub(super) fn deadline(&self) -> Option<Millis> {
        match self {
            Link::Connecting { deadline, .. } => Some(*deadline),
            Link::Open { ping_at, pong_deadline, hello_deadline, .. } => {
                let hb = pong_deadline.unwrap_or(*ping_at);
                Some(hello_deadline.map_or(hb, |h| h.min(hb)))
            }
            Link::Waiting { at, .. } => Some(*at),
            Link::Idle | Link::Closed | Link::Replaced => None,
        }
    }
}

impl<V: JsonValue> Session<V> {
    /// The socket generation currently open or opening, if any.
    pub fn live_conn(&self) -> Option<ConnId> {
        match self.link {
            Link::Connecting { conn, .. } | Link::Open { conn, .. } => Some(conn),
            _ => None,
        }
    }

    /// The earliest time at which [`Session::handle_timeout`] has work to do, if any.
    pub fn poll_timeout(&self) -> Option<Millis> {
        self.link.deadline()
    }

    /// Starts connecting (from idle, closed or replaced), or retries at once while waiting to
    /// reconnect. Does nothing while connecting or open.
    pub fn connect(&mut self, now: Millis) {
        match self.link {
            Link::Idle | Link::Closed | Link::Replaced => self.open_socket(now, 0),
            Link::Waiting { attempt, .. } => self.open_socket(now, attempt),
            Link::Connecting { .. } | Link::Open { .. } => {}
        }
    }

    /// Closes on purpose: the socket is closed with code 1000 and the session never reconnects by
    /// itself until [`Session::connect`] is called again. Held messages stay held.
    pub fn close(&mut self, _now: Millis) {
        if let Some(conn) = self.live_conn() {
            self.out.push_back(Output::CloseSocket { conn, code: 1000, reason: "agent closed the session" });
        }
        if !matches!(self.link, Link::Closed) {
            self.log(LogLevel::Info, "session closed by the agent", LogDetail::None);
            self.set_link(Link::Closed);
        }
    }

    /// The socket of generation `conn` opened.
    pub fn handle_socket_opened(&mut self, now: Millis, conn: ConnId) {
        match self.link {
            Link::Connecting { conn: c, .. } if c == conn => {
                self.log(LogLevel::Info, "opened socket", LogDetail::Num(conn));
                self.extensions.clear();
                // Held messages wait (briefly) for the server's hello, so that an extension
                // server gets them with message ids; a legacy server gets them when it expires.
                self.set_link(Link::Open {
                    conn,
                    ping_at: now + self.cfg.heartbeat_ms,
                    pong_deadline: None,
                    hello_deadline: Some(now + self.cfg.hello_wait_ms),
                });
                // With messages waiting, ask for a frame at once: an extension server's hello comes
                // first anyway, and a legacy server's ping answer decides "legacy" after one round
                // trip instead of after the hello timeout.
                if self.delivery.has_pending() {
                    self.ping(now, conn);
                }
            }
            _ => self.stale("open"),
        }
    }

    /// The socket of generation `conn` closed (`code` from the close event). Code 4409 (a newer
    /// connection of the same agent replaced it) stops the session instead of reconnecting.
    pub fn handle_socket_closed(&mut self, now: Millis, conn: ConnId, code: u16) {
        if self.live_conn() == Some(conn) && code == CLOSE_REPLACED {
            self.log(LogLevel::Warn, "replaced by a newer connection of this agent (another tab?); not reconnecting", LogDetail::None);
            self.out.push_back(Output::CloseSocket { conn, code: 1000, reason: "replaced" });
            self.set_link(Link::Replaced);
        } else if self.live_conn() == Some(conn) && code == CLOSE_SERVICE_RESTART {
            self.lose_link(now, conn, "server restarting (1012); reconnecting soon", LogDetail::Num(code.into()));
            self.reconnect_soon(now);
        } else if self.live_conn() == Some(conn) {
            self.lose_link(now, conn, "socket closed with code", LogDetail::Num(code.into()));
        } else {
            self.stale("close");
        }
    }

    /// The socket of generation `conn` reported an error (a close usually follows and is ignored).
    pub fn handle_socket_error(&mut self, now: Millis, conn: ConnId) {
        if self.live_conn() == Some(conn) {
            self.lose_link(now, conn, "socket error", LogDetail::None);
        } else {
            self.stale("error");
        }
    }

    /// The timer fired (or any time the shell wants deadlines checked): acts on every deadline
    /// that `now` has reached.
    pub fn handle_timeout(&mut self, now: Millis) {
        match self.link.clone() {
            Link::Connecting { conn, deadline, attempt } if now >= deadline => {
                self.log(LogLevel::Warn, "socket did not open in time (ms):", LogDetail::Num(self.cfg.connect_timeout_ms));
                self.out.push_back(Output::CloseSocket { conn, code: 4001, reason: "connect timeout" });
                self.set_link(Link::Waiting { at: now + self.cfg.reconnect_ms, attempt: attempt + 1 });
            }
            Link::Open { hello_deadline: Some(h), .. } if now >= h => {
                self.log(LogLevel::Info, "no hello from the server: legacy protocol", LogDetail::None);
                self.end_hello_wait();
                self.handle_timeout(now); // a heartbeat deadline may be due too
            }
            Link::Open { conn, pong_deadline: Some(d), .. } if now >= d => {
                self.log(LogLevel::Warn, "no answer to the heartbeat in time, reconnecting (ms):", LogDetail::Num(self.cfg.heartbeat_timeout_ms));
                self.out.push_back(Output::CloseSocket { conn, code: 4000, reason: "heartbeat timeout" });
                self.set_link(Link::Waiting { at: now + self.cfg.reconnect_ms, attempt: 1 });
            }
            Link::Open { conn, ping_at, pong_deadline: None, .. } if now >= ping_at => self.ping(now, conn),
            Link::Waiting { at, attempt } if now >= at => self.open_socket(now, attempt),
            _ => {}
        }
    }

    /// The browser came back online, became visible, or showed the page: ping at once if open
    /// (unless a ping is already out), reconnect at once if waiting to reconnect.
    pub fn handle_wake(&mut self, now: Millis, reason: WakeReason) {
        self.log(LogLevel::Debug, "wake:", LogDetail::Word(reason.as_str()));
        self.handle_timeout(now);
        match self.link {
            Link::Open { conn, pong_deadline: None, .. } => self.ping(now, conn),
            Link::Waiting { attempt, .. } => self.open_socket(now, attempt),
            _ => {}
        }
    }

    /// The server's first frame decided (or the wait expired): held chat messages go out now.
    pub(super) fn end_hello_wait(&mut self) {
        if let Link::Open { hello_deadline, .. } = &mut self.link {
            *hello_deadline = None;
        }
        self.flush_held();
    }

    pub(super) fn lose_link(&mut self, now: Millis, conn: ConnId, why: &'static str, detail: LogDetail) {
        self.log(LogLevel::Warn, why, detail);
        self.log(LogLevel::Info, "reconnecting in (ms)", LogDetail::Num(self.cfg.reconnect_ms));
        self.out.push_back(Output::CloseSocket { conn, code: 1000, reason: "lost" });
        let attempt = match self.link {
            Link::Connecting { attempt, .. } => attempt + 1,
            _ => 1,
        };
        self.set_link(Link::Waiting { at: now + self.cfg.reconnect_ms, attempt });
        if attempt <= QUICK_ATTEMPTS && self.speaks(Extension::Failover) {
            self.reconnect_soon(now); // a cluster: another node takes over at once
        }
    }

    /// After losing an open socket of a server that speaks `failover` (or a 1012 close): the first
    /// attempt comes after [`Self::restart_delay`], not `reconnect_ms`.
    fn reconnect_soon(&mut self, now: Millis) {
        let soon = now + self.restart_delay();
        if let Link::Waiting { at, .. } = &mut self.link {
            *at = (*at).min(soon);
        }
    }

    /// How long after a 1012 close this agent reconnects: its fixed share of the spread window
    /// (FNV-1a of its kfId), so the agents of a desk spread over it.
    fn restart_delay(&self) -> Millis {
        let hash = self.cfg.kf_id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
        RESTART_MIN_MS + hash % RESTART_SPREAD_MS
    }

    fn open_socket(&mut self, now: Millis, attempt: u32) {
        self.next_conn += 1;
        let conn = self.next_conn;
        self.stats.sockets_opened += 1;
        self.out.push_back(Output::OpenSocket { conn });
        self.set_link(Link::Connecting { conn, deadline: now + self.cfg.connect_timeout_ms, attempt });
    }

    fn ping(&mut self, now: Millis, conn: ConnId) {
        self.stats.pings_sent += 1;
        self.send_frame(conn, AgentFrame::Ping { kf_id: self.cfg.kf_id.clone() });
        self.log(LogLevel::Debug, "heartbeat ping", LogDetail::None);
        if let Link::Open { pong_deadline, .. } = &mut self.link {
            *pong_deadline = Some(now + self.cfg.heartbeat_timeout_ms);
        }
    }
}
