//! [`Session`]: the sans-IO agent session. It owns no socket, no timer and no clock.
//!
//! # The drain loop
//!
//! The shell (the wasm wrapper, or a test) drives it like this:
//!
//! 1. Feed one input with the current time: `handle_*` for socket and browser events,
//!    [`Session::handle_timeout`] when the timer fires, the action methods for the agent.
//! 2. Drain [`Session::poll_output`] until it returns `None`, carrying out each [`Output`] in order
//!    (open/send/close a socket, call a UI hook, log). Outputs never need the session borrowed, so a
//!    hook that calls back into the session only queues more work; drain again until empty.
//! 3. Ask [`Session::poll_timeout`] for the one deadline to arm a timer at (or none), replacing any
//!    timer armed before. When it fires, call `handle_timeout(now)`.
//!
//! Deadlines are judged against the `now` passed in, never by trusting that a timer fired on time:
//! a throttled background tab that wakes late sends its ping late, it does not miss it.

use super::config::{OfflineSend, SessionConfig};
use super::frames_in::{decode_value, Customer, FrameError, ServerFrame};
use super::json::JsonValue;
use super::frames_out::AgentFrame;
use super::output::{ConnId, DeliveryStatus, LinkState, LogDetail, LogLevel, LogMessage, Output, UiEvent};
use super::scalar::Scalar;
use std::collections::VecDeque;
use std::fmt;

/// Extensions this client implements; used only when a server's hello offers them.
pub const SUPPORTED_EXTENSIONS: &[&str] = &["withdraw", "ack", "seq"];

/// Legacy-mode messages remembered after writing, only so a failed write can be held again.
const LEGACY_WINDOW: usize = 256;
/// Most waiting customers and pending transfers kept: a hostile or broken server cannot grow
/// them without bound (further offers are rejected frames).
pub const MAX_WAITING: usize = 10_000;
/// Rejected frames reported individually per second; beyond it they are only counted, so a flood
/// of bad frames cannot flood the log or the UI.
const REJECTIONS_REPORTED_PER_SEC: u64 = 20;

/// Milliseconds on a monotonic clock chosen by the shell.
pub type Millis = u64;

/// A frame as a native shell received it (see [`Session::handle_frame`]).
#[derive(Clone, Copy, Debug)]
pub enum FrameIn<'a> {
    /// A text frame.
    Text(&'a str),
    /// A binary frame of this many bytes (not spoken by the protocol).
    Binary(usize),
    /// A text frame the shell did not copy because it is longer (in UTF-16 units) than
    /// [`SessionConfig::max_frame_chars`].
    TooLong(usize),
}

/// Why the browser asked us to check the connection now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WakeReason {
    /// `window` fired `online`.
    Online,
    /// `document.visibilityState` became `visible`.
    Visible,
    /// `window` fired `pageshow` (including restores from the back/forward cache).
    PageShow,
}

impl WakeReason {
    /// The event's name.
    pub fn as_str(self) -> &'static str {
        match self {
            WakeReason::Online => "online",
            WakeReason::Visible => "visible",
            WakeReason::PageShow => "pageshow",
        }
    }
}

/// A frame as the shell received and parsed it (see [`Session::handle_received`]).
#[derive(Clone, Debug)]
pub enum Received<V> {
    /// A text frame the shell parsed as JSON.
    Json(V),
    /// A text frame that is not JSON; the parser's message.
    NotJson(String),
    /// A binary frame of this many bytes (not spoken by the protocol).
    Binary(usize),
    /// A text frame longer (in UTF-16 units) than [`SessionConfig::max_frame_chars`], left unparsed.
    TooLong(usize),
}

/// Everything that can happen to a session, for drivers that prefer one entry point
/// (fuzzers, replay tools). See [`Session::handle_input`] (native builds).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Debug)]
pub enum Input<'a> {
    /// [`Session::connect`].
    Connect,
    /// [`Session::close`].
    Close,
    /// [`Session::handle_socket_opened`].
    SocketOpened(ConnId),
    /// [`Session::handle_socket_closed`].
    SocketClosed(ConnId, u16),
    /// [`Session::handle_socket_error`].
    SocketError(ConnId),
    /// [`Session::handle_frame`].
    Frame(ConnId, FrameIn<'a>),
    /// [`Session::handle_timeout`].
    Timeout,
    /// [`Session::handle_wake`].
    Wake(WakeReason),
    /// [`Session::accept_customer`].
    AcceptCustomer(Scalar),
    /// [`Session::decline_customer`].
    DeclineCustomer(Scalar),
    /// [`Session::accept_transfer`].
    AcceptTransfer(Scalar),
    /// [`Session::reject_transfer`].
    RejectTransfer(Scalar),
    /// [`Session::send_message`].
    Send {
        /// The customer.
        user_id: Scalar,
        /// The customer's name.
        user_name: String,
        /// The text.
        content: String,
    },
}

/// Why an agent action was refused. Nothing is lost: the customer or transfer stays pending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionError {
    /// The socket is not open; try again once connected.
    NotConnected,
    /// No waiting customer has that id.
    UnknownCustomer(String),
    /// No pending transfer has that id.
    UnknownTransfer(String),
    /// An argument is empty or malformed.
    InvalidArgument(String),
}

impl SessionError {
    /// The stable error code seen by JS (`err.code`).
    pub fn code(&self) -> &'static str {
        match self {
            SessionError::NotConnected => "NOT_CONNECTED",
            SessionError::UnknownCustomer(_) => "UNKNOWN_CUSTOMER",
            SessionError::UnknownTransfer(_) => "UNKNOWN_TRANSFER",
            SessionError::InvalidArgument(_) => "INVALID_ARGUMENT",
        }
    }
}

impl SessionError {
    /// The human-readable message (`err.message` in JS).
    pub fn message(&self) -> String {
        match self {
            SessionError::NotConnected => "not connected: the socket is not open".into(),
            SessionError::UnknownCustomer(id) => ["no waiting customer with id \"", id, "\""].concat(),
            SessionError::UnknownTransfer(id) => ["no pending transfer for customer \"", id, "\""].concat(),
            SessionError::InvalidArgument(m) => m.clone(),
        }
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

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

#[derive(Clone, Debug)]
enum Link {
    Idle,
    Connecting { conn: ConnId, deadline: Millis, attempt: u32 },
    Open { conn: ConnId, ping_at: Millis, pong_deadline: Option<Millis>, hello_deadline: Option<Millis> },
    Waiting { at: Millis, attempt: u32 },
    Closed,
}

#[derive(Clone, Debug)]
struct Held {
    local_id: u64,
    user_id: Scalar,
    user_name: String,
    content: String,
}

/// A chat message written to a socket and not confirmed yet.
#[derive(Clone, Debug)]
struct Unconfirmed {
    held: Held,
    /// Written on a socket with `ack`: it stays until acked and is re-sent after a reconnect.
    awaiting_ack: bool,
}

/// The agent session state machine. See the module docs for the drain loop. `V` is the parsed-JSON
/// type frames arrive in ([`JsonValue`]); chat payloads stay in it on their way to the UI.
#[derive(Debug)]
pub struct Session<V> {
    cfg: SessionConfig,
    link: Link,
    next_conn: ConnId,
    waiting: Vec<Customer>,
    transfers: Vec<Customer>,
    outbox: VecDeque<Held>,
    next_local_id: u64,
    out: VecDeque<Output<V>>,
    stats: Stats,
    extensions: Vec<&'static str>,
    unconfirmed: VecDeque<Unconfirmed>,
    last_seq: u64,
    epoch: Option<String>,
    /// (second, rejections reported in it)
    reject_window: (u64, u64),
}

impl<V: JsonValue> Session<V> {
    /// A new, idle session. Call [`Session::connect`] to start. The config should be
    /// [validated](SessionConfig::validate) first; zero timings are raised to 1 ms.
    pub fn new(mut cfg: SessionConfig) -> Self {
        for t in [
            &mut cfg.heartbeat_ms,
            &mut cfg.heartbeat_timeout_ms,
            &mut cfg.reconnect_ms,
            &mut cfg.connect_timeout_ms,
            &mut cfg.hello_wait_ms,
        ] {
            *t = (*t).max(1);
        }
        Session {
            cfg,
            link: Link::Idle,
            next_conn: 0,
            waiting: Vec::new(),
            transfers: Vec::new(),
            outbox: VecDeque::new(),
            next_local_id: 1,
            out: VecDeque::new(),
            stats: Stats::default(),
            extensions: Vec::new(),
            unconfirmed: VecDeque::new(),
            last_seq: 0,
            epoch: None,
            reject_window: (0, 0),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &SessionConfig {
        &self.cfg
    }

    /// The connection state as shown to the agent.
    pub fn state(&self) -> LinkState {
        match self.link {
            Link::Idle => LinkState::Idle,
            Link::Connecting { attempt: 0, .. } => LinkState::Connecting,
            Link::Connecting { .. } | Link::Waiting { .. } => LinkState::Reconnecting,
            Link::Open { .. } => LinkState::Open,
            Link::Closed => LinkState::Closed,
        }
    }

    /// The socket generation currently open or opening, if any.
    pub fn live_conn(&self) -> Option<ConnId> {
        match self.link {
            Link::Connecting { conn, .. } | Link::Open { conn, .. } => Some(conn),
            _ => None,
        }
    }

    /// Customers waiting to be accepted, oldest first.
    pub fn waiting(&self) -> &[Customer] {
        &self.waiting
    }

    /// Incoming transfers not yet answered, oldest first.
    pub fn pending_transfers(&self) -> &[Customer] {
        &self.transfers
    }

    /// Number of chat messages held until the socket opens.
    pub fn held_count(&self) -> usize {
        self.outbox.len()
    }

    /// Chat messages written but not yet acknowledged by the server (extension `ack`).
    pub fn unacked_count(&self) -> usize {
        self.unconfirmed.iter().filter(|u| u.awaiting_ack).count()
    }

    /// The last sequence number seen from the server (extension `seq`).
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Extensions in use on the current socket (empty with a legacy server).
    pub fn extensions(&self) -> &[&'static str] {
        &self.extensions
    }

    /// Counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The next instruction for the shell, in order; `None` when drained.
    pub fn poll_output(&mut self) -> Option<Output<V>> {
        self.out.pop_front()
    }

    /// The earliest time at which [`Session::handle_timeout`] has work to do, if any.
    pub fn poll_timeout(&self) -> Option<Millis> {
        match self.link {
            Link::Connecting { deadline, .. } => Some(deadline),
            Link::Open { ping_at, pong_deadline, hello_deadline, .. } => {
                let hb = pong_deadline.unwrap_or(ping_at);
                Some(hello_deadline.map_or(hb, |h| h.min(hb)))
            }
            Link::Waiting { at, .. } => Some(at),
            Link::Idle | Link::Closed => None,
        }
    }

    // ----- connection lifecycle -------------------------------------------------------------

    /// Starts connecting (from idle or closed), or retries at once while waiting to reconnect.
    /// Does nothing while connecting or open.
    pub fn connect(&mut self, now: Millis) {
        match self.link {
            Link::Idle | Link::Closed => self.open_socket(now, 0),
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
                if !self.outbox.is_empty() || self.unconfirmed.iter().any(|u| u.awaiting_ack) {
                    self.ping(now, conn);
                }
            }
            _ => self.stale("open"),
        }
    }

    /// The socket of generation `conn` closed (`code` from the close event).
    pub fn handle_socket_closed(&mut self, now: Millis, conn: ConnId, code: u16) {
        if self.live_conn() == Some(conn) {
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

    /// The shell could not write an [`Output::Send`] (the socket was already closing). The socket
    /// is treated as lost; a chat message is held again, in its original order, and re-sent on
    /// reconnect.
    pub fn handle_send_failed(&mut self, now: Millis, conn: ConnId, local_id: Option<u64>) {
        self.stats.frames_sent = self.stats.frames_sent.saturating_sub(1);
        if self.live_conn() == Some(conn) {
            self.lose_link(now, conn, "send failed", LogDetail::None);
        }
        let Some(local_id) = local_id else { return };
        if let Some(i) = self.unconfirmed.iter().position(|u| u.held.local_id == local_id) {
            let held = self.unconfirmed.remove(i).map(|u| u.held).expect("index checked");
            self.hold(held);
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
            Link::Open { conn, hello_deadline: Some(h), .. } if now >= h => {
                self.log(LogLevel::Info, "no hello from the server: legacy protocol", LogDetail::None);
                if let Link::Open { hello_deadline, .. } = &mut self.link {
                    *hello_deadline = None;
                }
                self.flush_outbox(conn);
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

    /// A frame arrived on socket `conn`, already parsed by the shell. Any frame on the live socket
    /// counts as life and resets the heartbeat; a malformed one is then logged, counted and skipped.
    pub fn handle_received(&mut self, now: Millis, conn: ConnId, frame: Received<V>) {
        match &mut self.link {
            Link::Open { conn: c, ping_at, pong_deadline, .. } if *c == conn => {
                *ping_at = now + self.cfg.heartbeat_ms;
                *pong_deadline = None;
            }
            _ => return self.stale("frame"),
        }
        self.stats.frames_received += 1;
        let max = self.cfg.max_frame_chars;
        let decoded = match frame {
            Received::Json(v) => decode_value(v),
            Received::NotJson(e) => Err(FrameError::NotJson(e)),
            Received::Binary(len) => Err(FrameError::Binary { len }),
            Received::TooLong(len) => Err(FrameError::TooLarge { len, max }),
        };
        match decoded {
            Ok((f, Some(seq))) if self.extensions.contains(&"seq") => {
                if seq <= self.last_seq {
                    self.stats.duplicates_dropped += 1;
                    self.log(LogLevel::Debug, "dropped duplicate frame, seq", LogDetail::Num(seq));
                } else {
                    self.last_seq = seq;
                    self.dispatch(f);
                }
            }
            Ok((f, _)) => self.dispatch(f),
            Err(error) => self.reject(now, error),
        }
    }

    // ----- agent actions --------------------------------------------------------------------

    /// Accepts the waiting customer `id` (sends `respStatus 2`) and removes them from the queue.
    pub fn accept_customer(&mut self, id: &Scalar) -> Result<(), SessionError> {
        self.answer_waiting(id, true)
    }

    /// Declines the waiting customer `id` (sends `respStatus 3`, so the server offers them to
    /// someone else) and removes them from the queue.
    pub fn decline_customer(&mut self, id: &Scalar) -> Result<(), SessionError> {
        self.answer_waiting(id, false)
    }

    /// Accepts the incoming transfer of customer `id` (sends `respStatus 4`).
    pub fn accept_transfer(&mut self, id: &Scalar) -> Result<(), SessionError> {
        self.answer_transfer(id, true)
    }

    /// Refuses the incoming transfer of customer `id` (sends `respStatus 5`).
    pub fn reject_transfer(&mut self, id: &Scalar) -> Result<(), SessionError> {
        self.answer_transfer(id, false)
    }

    /// Sends a chat message to customer `user_id`; returns its local id, whose fate is reported by
    /// [`UiEvent::MessageStatus`]. While not open the message is held and sent on reconnect, or
    /// failed at once if the config says [`OfflineSend::Fail`]. Never drops it silently.
    pub fn send_message(&mut self, user_id: Scalar, user_name: String, content: String) -> Result<u64, SessionError> {
        if user_id.is_blank() {
            return Err(SessionError::InvalidArgument("userId must not be empty".into()));
        }
        let local_id = self.next_local_id;
        self.next_local_id += 1;
        let held = Held { local_id, user_id, user_name, content };
        match self.link {
            Link::Open { conn, hello_deadline: None, .. } if self.outbox.is_empty() => self.send_chat(conn, held),
            _ if self.cfg.offline_send == OfflineSend::Fail => {
                self.message_status(local_id, DeliveryStatus::Failed, Some("not connected".into()))
            }
            _ if self.outbox.len() >= self.cfg.max_held_messages => {
                self.message_status(local_id, DeliveryStatus::Failed, Some("outbox full".into()))
            }
            _ => {
                self.outbox.push_back(held);
                self.message_status(local_id, DeliveryStatus::Held, None);
            }
        }
        Ok(local_id)
    }

    // ----- internals ------------------------------------------------------------------------

    fn reject(&mut self, now: Millis, error: FrameError) {
        self.stats.frames_rejected += 1;
        let second = now / 1000;
        if self.reject_window.0 != second {
            self.reject_window = (second, 0);
        }
        self.reject_window.1 += 1;
        if self.reject_window.1 <= REJECTIONS_REPORTED_PER_SEC {
            self.log(LogLevel::Warn, "frame rejected:", LogDetail::Text(error.message()));
            self.ui(UiEvent::FrameRejected { error, total: self.stats.frames_rejected });
        } else if self.reject_window.1 == REJECTIONS_REPORTED_PER_SEC + 1 {
            self.log(LogLevel::Warn, "bad-frame flood: further rejections this second are only counted", LogDetail::None);
        }
    }

    fn answer_waiting(&mut self, id: &Scalar, accept: bool) -> Result<(), SessionError> {
        let idx = self.waiting.iter().position(|c| &c.id == id).ok_or_else(|| SessionError::UnknownCustomer(id.key()))?;
        let Link::Open { conn, .. } = self.link else { return Err(SessionError::NotConnected) };
        let c = self.waiting.remove(idx);
        let kf_id = self.cfg.kf_id.clone();
        let frame = if accept {
            AgentFrame::Accept { kf_id, user_id: c.id, user_name: c.user_name }
        } else {
            AgentFrame::Decline { kf_id, user_id: c.id, user_name: c.user_name }
        };
        self.send_frame(conn, frame);
        self.ui(UiEvent::QueueChanged(self.waiting.clone()));
        Ok(())
    }

    fn answer_transfer(&mut self, id: &Scalar, accept: bool) -> Result<(), SessionError> {
        let idx = self.transfers.iter().position(|c| &c.id == id).ok_or_else(|| SessionError::UnknownTransfer(id.key()))?;
        let Link::Open { conn, .. } = self.link else { return Err(SessionError::NotConnected) };
        let c = self.transfers.remove(idx);
        let frame = if accept {
            AgentFrame::AcceptTransfer { user_id: c.id, kf_id: self.cfg.kf_id.clone() }
        } else {
            AgentFrame::RejectTransfer { user_id: c.id }
        };
        self.send_frame(conn, frame);
        Ok(())
    }

    fn dispatch(&mut self, frame: ServerFrame<V>) {
        // An extension server always says hello first: any other first frame means a legacy
        // server, so held messages need not wait for the hello timeout.
        if let (Link::Open { conn, hello_deadline: Some(_), .. }, false) = (&self.link, matches!(frame, ServerFrame::Hello { .. })) {
            let conn = *conn;
            if let Link::Open { hello_deadline, .. } = &mut self.link {
                *hello_deadline = None;
            }
            self.log(LogLevel::Info, "first frame is not a hello: legacy protocol", LogDetail::None);
            self.flush_outbox(conn);
        }
        match frame {
            ServerFrame::CustomerMessage(m) => self.ui(UiEvent::Message(m)),
            ServerFrame::CustomerWaiting(offer) => {
                let c = &offer.customer;
                let full = self.waiting.len() >= MAX_WAITING;
                let changed = match self.waiting.iter_mut().find(|w| w.id == c.id) {
                    Some(existing) if existing.user_name == c.user_name => false,
                    Some(existing) => {
                        existing.user_name = c.user_name.clone();
                        true
                    }
                    None if full => {
                        let detail = "waiting queue full".into();
                        return self.reject(self.reject_window.0 * 1000, FrameError::BadData { status: 2, detail });
                    }
                    None => {
                        self.waiting.push(c.clone());
                        true
                    }
                };
                let waiting = self.waiting.len();
                self.ui(UiEvent::CustomerWaiting { offer, waiting });
                if changed {
                    self.ui(UiEvent::QueueChanged(self.waiting.clone()));
                }
            }
            ServerFrame::TransferRequest(t) => {
                if !self.transfers.iter().any(|p| p.id == t.customer.id) {
                    if self.transfers.len() >= MAX_WAITING {
                        let detail = "pending transfers full".into();
                        return self.reject(self.reject_window.0 * 1000, FrameError::BadData { status: 4, detail });
                    }
                    self.transfers.push(t.customer.clone());
                }
                self.ui(UiEvent::TransferRequest(t));
            }
            ServerFrame::TransferRejected(offer) => self.ui(UiEvent::TransferRejected(offer)),
            ServerFrame::Heartbeat => {
                self.log(LogLevel::Debug, "heartbeat answered", LogDetail::None);
                self.ui(UiEvent::Heartbeat);
            }
            ServerFrame::Hello { features, epoch } => {
                let chosen: Vec<&'static str> =
                    SUPPORTED_EXTENSIONS.iter().copied().filter(|f| features.iter().any(|g| g == f)).collect();
                if epoch.is_none() || epoch != self.epoch {
                    self.last_seq = 0; // a new server run numbers from scratch
                }
                self.epoch = epoch;
                self.log(LogLevel::Info, "server hello; extensions in use:", LogDetail::Text(chosen.join(",")));
                self.extensions = chosen.clone();
                let Link::Open { conn, .. } = self.link else { return };
                let last_seq = chosen.contains(&"seq").then_some(self.last_seq);
                self.send_frame(conn, AgentFrame::Hello { features: chosen.clone(), last_seq });
                self.ui(UiEvent::ExtensionsNegotiated(chosen));
                self.resend_unacked(conn);
                if let Link::Open { hello_deadline, .. } = &mut self.link {
                    *hello_deadline = None;
                }
                self.flush_outbox(conn);
            }
            ServerFrame::Ack { msg_id, error } => {
                let found = self.unconfirmed.iter().position(|u| u.awaiting_ack && self.msg_id(u.held.local_id) == msg_id);
                match found {
                    Some(i) => {
                        let u = self.unconfirmed.remove(i).expect("index checked");
                        match error {
                            None => self.message_status(u.held.local_id, DeliveryStatus::Acked, None),
                            Some(e) => {
                                self.log(LogLevel::Warn, "server refused message", LogDetail::Text([msg_id.as_str(), e.as_str()].join(": ")));
                                self.message_status(u.held.local_id, DeliveryStatus::Failed, Some(e));
                            }
                        }
                    }
                    None => self.log(LogLevel::Debug, "ack for unknown message", LogDetail::Text(msg_id)),
                }
            }
            ServerFrame::OfferWithdrawn { offer, reason } => {
                let before = self.waiting.len();
                self.waiting.retain(|w| w.id != offer.customer.id);
                self.ui(UiEvent::OfferWithdrawn { offer, reason });
                if self.waiting.len() != before {
                    self.ui(UiEvent::QueueChanged(self.waiting.clone()));
                }
            }
        }
    }

    fn open_socket(&mut self, now: Millis, attempt: u32) {
        self.next_conn += 1;
        let conn = self.next_conn;
        self.stats.sockets_opened += 1;
        self.out.push_back(Output::OpenSocket { conn });
        self.set_link(Link::Connecting { conn, deadline: now + self.cfg.connect_timeout_ms, attempt });
    }

    fn lose_link(&mut self, now: Millis, conn: ConnId, why: &'static str, detail: LogDetail) {
        self.log(LogLevel::Warn, why, detail);
        self.log(LogLevel::Info, "reconnecting in (ms)", LogDetail::Num(self.cfg.reconnect_ms));
        self.out.push_back(Output::CloseSocket { conn, code: 1000, reason: "lost" });
        let attempt = match self.link {
            Link::Connecting { attempt, .. } => attempt + 1,
            _ => 1,
        };
        self.set_link(Link::Waiting { at: now + self.cfg.reconnect_ms, attempt });
    }

    fn ping(&mut self, now: Millis, conn: ConnId) {
        self.stats.pings_sent += 1;
        self.send_frame(conn, AgentFrame::Ping { kf_id: self.cfg.kf_id.clone() });
        self.log(LogLevel::Debug, "heartbeat ping", LogDetail::None);
        if let Link::Open { pong_deadline, .. } = &mut self.link {
            *pong_deadline = Some(now + self.cfg.heartbeat_timeout_ms);
        }
    }

    fn flush_outbox(&mut self, conn: ConnId) {
        while let Some(h) = self.outbox.pop_front() {
            self.send_chat(conn, h);
        }
    }

    fn msg_id(&self, local_id: u64) -> String {
        let mut id = self.cfg.client_token.clone();
        id.push('-');
        id.push_str(itoa::Buffer::new().format(local_id));
        id
    }

    fn hold(&mut self, held: Held) {
        let local_id = held.local_id;
        let at = self.outbox.iter().position(|h| h.local_id > local_id).unwrap_or(self.outbox.len());
        self.outbox.insert(at, held);
        self.message_status(local_id, DeliveryStatus::Held, None);
    }

    fn chat_frame(&self, h: &Held, with_id: bool) -> AgentFrame {
        AgentFrame::Chat {
            kf_id: self.cfg.kf_id.clone(),
            kf_name: self.cfg.kf_name.clone(),
            user_id: h.user_id.clone(),
            user_name: h.user_name.clone(),
            content: h.content.clone(),
            msg_id: with_id.then(|| self.msg_id(h.local_id)),
        }
    }

    fn send_chat(&mut self, conn: ConnId, h: Held) {
        let ack = self.extensions.contains(&"ack");
        let frame = self.chat_frame(&h, ack);
        self.stats.frames_sent += 1;
        self.out.push_back(Output::Send { conn, frame, local_id: Some(h.local_id) });
        self.message_status(h.local_id, DeliveryStatus::Sent, None);
        self.unconfirmed.push_back(Unconfirmed { held: h, awaiting_ack: ack });
        if !ack {
            while self.unconfirmed.iter().filter(|u| !u.awaiting_ack).count() > LEGACY_WINDOW {
                if let Some(i) = self.unconfirmed.iter().position(|u| !u.awaiting_ack) {
                    self.unconfirmed.remove(i);
                }
            }
        }
    }

    /// After a hello: messages written on an earlier `ack` socket and never acked go out again,
    /// first and in order (the server drops any it already has); legacy-written ones are forgotten.
    fn resend_unacked(&mut self, conn: ConnId) {
        let pending: Vec<Held> = self.unconfirmed.drain(..).filter(|u| u.awaiting_ack).map(|u| u.held).collect();
        if pending.is_empty() {
            return;
        }
        if !self.extensions.contains(&"ack") {
            // The server no longer acks: hold them, so they are at least sent again.
            for h in pending {
                self.hold(h);
            }
            return;
        }
        for h in pending {
            self.stats.resent += 1;
            let frame = self.chat_frame(&h, true);
            self.stats.frames_sent += 1;
            self.out.push_back(Output::Send { conn, frame, local_id: Some(h.local_id) });
            self.unconfirmed.push_back(Unconfirmed { held: h, awaiting_ack: true });
        }
    }

    fn send_frame(&mut self, conn: ConnId, frame: AgentFrame) {
        self.stats.frames_sent += 1;
        self.out.push_back(Output::Send { conn, frame, local_id: None });
    }

    fn message_status(&mut self, local_id: u64, status: DeliveryStatus, reason: Option<String>) {
        self.ui(UiEvent::MessageStatus { local_id, status, reason });
    }

    fn set_link(&mut self, link: Link) {
        let before = self.state();
        self.link = link;
        let after = self.state();
        if before != after {
            self.log(LogLevel::Info, "state:", LogDetail::Text([before.as_str(), after.as_str()].join(" -> ")));
            self.ui(UiEvent::StateChanged(after));
        }
    }

    fn stale(&mut self, what: &'static str) {
        self.stats.stale_events += 1;
        self.log(LogLevel::Debug, "ignored an event of a superseded socket:", LogDetail::Word(what));
    }

    fn ui(&mut self, e: UiEvent<V>) {
        self.out.push_back(Output::Ui(e));
    }

    fn log(&mut self, level: LogLevel, text: &'static str, detail: LogDetail) {
        self.out.push_back(Output::Log { level, message: LogMessage { text, detail } });
    }
}

/// Native drivers (tests, tools, the reference server's tests) feed JSON text.
#[cfg(not(target_arch = "wasm32"))]
impl Session<serde_json::Value> {
    /// A text or binary frame arrived on socket `conn`: parsed with serde_json, then as
    /// [`Session::handle_received`].
    pub fn handle_frame(&mut self, now: Millis, conn: ConnId, frame: FrameIn<'_>) {
        let max = self.cfg.max_frame_chars;
        let received = match frame {
            FrameIn::Binary(len) => Received::Binary(len),
            FrameIn::TooLong(len) => Received::TooLong(len),
            FrameIn::Text(t) if t.len() > max && t.encode_utf16().count() > max => Received::TooLong(t.encode_utf16().count()),
            FrameIn::Text(t) => match serde_json::from_str(t) {
                Ok(v) => Received::Json(v),
                Err(e) => Received::NotJson(e.to_string()),
            },
        };
        self.handle_received(now, conn, received);
    }

    /// Feeds any [`Input`]; action errors are logged rather than returned.
    pub fn handle_input(&mut self, now: Millis, input: Input<'_>) {
        let result = match input {
            Input::Connect => {
                self.connect(now);
                Ok(())
            }
            Input::Close => {
                self.close(now);
                Ok(())
            }
            Input::SocketOpened(c) => {
                self.handle_socket_opened(now, c);
                Ok(())
            }
            Input::SocketClosed(c, code) => {
                self.handle_socket_closed(now, c, code);
                Ok(())
            }
            Input::SocketError(c) => {
                self.handle_socket_error(now, c);
                Ok(())
            }
            Input::Frame(c, f) => {
                self.handle_frame(now, c, f);
                Ok(())
            }
            Input::Timeout => {
                self.handle_timeout(now);
                Ok(())
            }
            Input::Wake(r) => {
                self.handle_wake(now, r);
                Ok(())
            }
            Input::AcceptCustomer(id) => self.accept_customer(&id),
            Input::DeclineCustomer(id) => self.decline_customer(&id),
            Input::AcceptTransfer(id) => self.accept_transfer(&id),
            Input::RejectTransfer(id) => self.reject_transfer(&id),
            Input::Send { user_id, user_name, content } => self.send_message(user_id, user_name, content).map(|_| ()),
        };
        if let Err(e) = result {
            self.log(LogLevel::Warn, "action refused:", LogDetail::Text(e.message()));
        }
    }

}
