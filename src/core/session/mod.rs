//! [`Session`]: the sans-IO agent session. It owns no socket, no timer and no clock.
//!
//! # The drain loop
//!
//! The shell (the wasm wrapper, or a test) drives it like this:
//!
//! 1. Feed one [`Input`] with the current time ([`Session::handle_input`]; the `handle_*` and
//!    action methods it calls are public too).
//! 2. Drain [`Session::poll_output`] until it returns `None`, carrying out each [`Output`] in order
//!    (open/send/close a socket, call a UI hook, log). Outputs never need the session borrowed, so a
//!    hook that calls back into the session only queues more work; drain again until empty.
//! 3. Ask [`Session::poll_timeout`] for the one deadline to arm a timer at (or none), replacing any
//!    timer armed before. When it fires, feed [`Input::Timeout`].
//!
//! Deadlines are judged against the `now` passed in, never by trusting that a timer fired on time:
//! a throttled background tab that wakes late sends its ping late, it does not miss it.
//!
//! The state is split by sub-machine: [`link`] (the socket's life: connect, heartbeat, reconnect,
//! the hello wait), [`delivery`] (held, unacknowledged and numbered chat messages) and [`queue`]
//! (waiting customers and incoming transfers). This file holds what they share and the dispatch
//! of decoded frames.

mod delivery;
mod ledger;
mod presence;
mod recall;
mod signals;
mod supervise;
#[cfg(feature = "json")]
mod json_driver;
mod link;
mod queue;
mod tabs;

use crate::prelude::*;
use super::config::SessionConfig;
use crate::core::protocol::Extension;
use super::error::SessionError;
use super::frames_in::{decode_value, FrameError, ServerFrame};
use super::frames_out::AgentFrame;
use super::action::Action;
use super::input::{ConnId, Input, Millis, Received, WakeReason};
use super::json::JsonValue;
use super::output::{LogDetail, LogLevel, LogMessage, Output, UiEvent};
use super::status::LinkState;
use super::stats::Stats;
use delivery::Delivery;
use link::Link;
use queue::Queue;
use alloc::collections::VecDeque;

pub use link::{CLOSE_SERVICE_RESTART, QUICK_ATTEMPTS, RESTART_MIN_MS, RESTART_SPREAD_MS};
pub use queue::MAX_WAITING;
pub use tabs::Shown;

/// The names of the extensions this client implements ([`Extension::ALL`]); used only when a
/// server's hello offers them.
pub const SUPPORTED_EXTENSIONS: &[&str] = &{
    let mut names = [""; Extension::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = Extension::ALL[i].as_str();
        i += 1;
    }
    names
};

/// Rejected frames reported individually per second; beyond it they are only counted, so a flood
/// of bad frames cannot flood the log or the UI.
const REJECTIONS_REPORTED_PER_SEC: u64 = 20;

/// The agent session state machine. See the module docs for the drain loop. `V` is the parsed-JSON
/// type frames arrive in ([`JsonValue`]); chat payloads stay in it on their way to the UI.
#[derive(Debug)]
pub struct Session<V> {
    cfg: SessionConfig,
    link: Link,
    next_conn: ConnId,
    queue: Queue,
    delivery: Delivery,
    out: VecDeque<Output<V>>,
    stats: Stats,
    extensions: Vec<Extension>,
    presence: presence::PresenceState,
    signals: signals::Signals,
    /// (second, rejections reported in it)
    reject_window: (u64, u64),
    /// Sharing the socket with the agent's other tabs, when it does.
    tabs: Option<tabs::Tabs>,
    /// Outputs of a leader's UI event, mapped for its tabs ([`Session::poll_output`]).
    routed: VecDeque<Output<V>>,
    /// Decodes parsed frames.
    decoder: Decoder<V>,
    /// Log lines above this level are not output (0: none is).
    log_max: u8,
}

/// How a session decodes a parsed frame ([`decode_value`] unless the shell gives its own).
pub type Decoder<V> = fn(V) -> Result<(ServerFrame<V>, Option<u64>), FrameError>;

impl<V: JsonValue> Session<V> {
    /// A new, idle session. Feed [`Input::Connect`] to start. The config should be
    /// [validated](SessionConfig::validate) first; zero timings are raised to 1 ms.
    pub fn new(cfg: SessionConfig) -> Self {
        Self::with_decoder(cfg, decode_value)
    }

    /// [`Session::new`] with the shell's own decoder of parsed frames, which must apply the same
    /// rules (the browser shell's runs [`decode_value`] over its own value type, so the rules are
    /// built into the module once).
    pub fn with_decoder(mut cfg: SessionConfig, decoder: Decoder<V>) -> Self {
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
            queue: Queue::default(),
            delivery: Delivery::default(),
            out: VecDeque::new(),
            stats: Stats::default(),
            extensions: Vec::new(),
            presence: Default::default(),
            signals: Default::default(),
            reject_window: (0, 0),
            tabs: None,
            routed: VecDeque::new(),
            decoder,
            log_max: LogLevel::Debug as u8,
        }
    }

    /// Outputs log lines only up to `max` (`None`: none), for a shell that would drop the rest;
    /// every line is output until this is called.
    pub fn log_only_to(&mut self, max: Option<LogLevel>) {
        self.log_max = max.map_or(0, |l| l as u8);
    }

    /// The configuration in force.
    pub fn config(&self) -> &SessionConfig {
        &self.cfg
    }

    /// Sets the agent's display name, sent as `kfName` with every chat message from now on (a
    /// profile that arrives after the session started, or a rename).
    pub fn set_kf_name(&mut self, name: String) {
        self.cfg.kf_name = name;
    }

    /// Extensions in use on the current socket (empty with a legacy server).
    pub fn extensions(&self) -> &[Extension] {
        &self.extensions
    }

    /// True when the current socket uses extension `e`.
    fn speaks(&self, e: Extension) -> bool {
        self.extensions.contains(&e)
    }

    /// Counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The next instruction for the shell, in order; `None` when drained. A tab that owns a shared
    /// socket has its UI events mapped for the other tabs first (`tabs.rs`).
    pub fn poll_output(&mut self) -> Option<Output<V>> {
        loop {
            if let Some(o) = self.routed.pop_front() {
                return Some(o);
            }
            match self.out.pop_front()? {
                Output::Ui(e) if self.leading() => self.route(e),
                o => return Some(o),
            }
        }
    }

    /// Feeds one input at time `now`. Returns the local id for a sent message ([`Action::Send`],
    /// [`Input::Relay`]; `None` for the rest), or why an agent action was refused; a refusal is
    /// also logged (debug).
    pub fn handle_input(&mut self, now: Millis, input: Input<V>) -> Result<Option<u64>, SessionError> {
        let result = match input {
            Input::Act(action) if self.tabs.is_some() => self.act_shared(now, action),
            Input::Act(action) => self.do_action(now, action),
            Input::Relay(m) => return self.relay_message(m),
            Input::Tabs(event) => {
                self.handle_tab_event(now, event);
                return Ok(None);
            }
            Input::Connect | Input::Wake(_) if self.following() => {
                if matches!(input, Input::Wake(WakeReason::Asked)) {
                    self.out.push_back(Output::Post(super::tab_msg::TabMsg::Check));
                }
                return Ok(None); // the tab that owns the socket connects and checks it
            }
            event => {
                self.handle_event(now, event);
                return Ok(None);
            }
        };
        if let Err(e) = &result {
            self.log(LogLevel::Debug, "action refused:", LogDetail::Text(e.message()));
        }
        result
    }

    /// Does an agent action here (this tab shares no socket, or owns the shared one).
    fn do_action(&mut self, now: Millis, action: Action) -> Result<Option<u64>, SessionError> {
        match action {
            Action::AcceptCustomer(id) => self.accept_customer(&id)?,
            Action::DeclineCustomer(id) => self.decline_customer(&id)?,
            Action::AcceptTransfer(id) => self.accept_transfer(&id)?,
            Action::RejectTransfer(id) => self.reject_transfer(&id)?,
            Action::Send { user_id, user_name, content } => return self.send_message(user_id, user_name, content).map(Some),
            Action::Typing(user_id, typing) => self.set_typing(now, user_id, typing),
            Action::Seen(user_id) => self.seen(user_id),
            Action::SetPresence(p) => self.set_presence(p),
            Action::AddNote { user_id, content } => self.add_note(user_id, content)?,
            Action::Watch { user_id, on } => self.watch(user_id, on)?,
            Action::Recall { user_id, msg_id } => self.recall(user_id, msg_id)?,
            a @ (Action::Whisper { .. } | Action::Join(_) | Action::Leave(_) | Action::Reassign { .. } | Action::EndConversation(_)) => self.supervise(a)?,
        }
        Ok(None)
    }

    /// The inputs that are events, not agent actions: they cannot be refused.
    fn handle_event(&mut self, now: Millis, event: Input<V>) {
        match event {
            Input::Connect => self.connect(now),
            Input::Close => self.close(now),
            Input::SocketOpened(c) => self.handle_socket_opened(now, c),
            Input::SocketClosed(c, code) => self.handle_socket_closed(now, c, code),
            Input::SocketError(c) => self.handle_socket_error(now, c),
            Input::Frame(c, f) => self.handle_received(now, c, f),
            Input::SendFailed(c, local_id) => self.handle_send_failed(now, c, local_id),
            Input::Timeout => self.handle_timeout(now),
            Input::Wake(r) => self.handle_wake(now, r),
            Input::Restore(messages) => self.restore_outbox(messages),
            Input::Act(_) | Input::Relay(_) | Input::Tabs(_) => unreachable!("handled by handle_input"),
        }
    }

    /// A frame arrived on socket `conn`, already parsed by the shell. Any frame on the live socket
    /// counts as life and resets the heartbeat; a malformed one is then logged, counted and skipped.
    pub fn handle_received(&mut self, now: Millis, conn: ConnId, frame: Received<V>) {
        if !self.link.note_life(conn, now + self.cfg.heartbeat_ms) {
            return self.stale("frame");
        }
        self.stats.frames_received += 1;
        let max = self.cfg.max_frame_chars;
        let decoded = match frame {
            Received::Json(v) => (self.decoder)(v),
            Received::Decoded(d) => d,
            Received::NotJson(e) => Err(FrameError::NotJson(e)),
            Received::Binary(len) => Err(FrameError::Binary { len }),
            Received::TooLong(len) => Err(FrameError::TooLarge { len, max }),
        };
        match decoded {
            Ok((f, Some(seq))) if self.speaks(Extension::Seq) => {
                if self.delivery.is_new_seq(seq) {
                    self.dispatch(now, f);
                } else {
                    self.stats.duplicates_dropped += 1;
                    self.log(LogLevel::Debug, "dropped duplicate frame, seq", LogDetail::Num(seq));
                }
            }
            Ok((f, _)) => self.dispatch(now, f),
            Err(error) => self.reject(now, error),
        }
    }

    fn dispatch(&mut self, now: Millis, frame: ServerFrame<V>) {
        // An extension server always says hello first: any other first frame means a legacy
        // server, so held messages need not wait for the hello timeout.
        if !matches!(frame, ServerFrame::Hello { .. }) && self.link.awaiting_hello() {
            self.log(LogLevel::Info, "first frame is not a hello: legacy protocol", LogDetail::None);
            self.end_hello_wait();
        }
        match frame {
            ServerFrame::CustomerMessage(m) => self.ui(UiEvent::Message(m)),
            ServerFrame::CustomerWaiting(offer) => {
                if let Err(error) = self.on_offer(offer) {
                    self.reject(now, error);
                }
            }
            ServerFrame::TransferRequest(t) => {
                if let Err(error) = self.on_transfer_request(t) {
                    self.reject(now, error);
                }
            }
            ServerFrame::TransferRejected(offer) => self.ui(UiEvent::TransferRejected(offer)),
            ServerFrame::Heartbeat => {
                self.log(LogLevel::Debug, "heartbeat answered", LogDetail::None);
                self.ui(UiEvent::Heartbeat);
            }
            ServerFrame::Hello { features, epoch } => self.on_hello(features, epoch),
            ServerFrame::Ack { msg_id, error } => self.on_ack(msg_id, error),
            ServerFrame::OfferWithdrawn { offer, reason } => self.on_withdrawn(offer, reason),
            ServerFrame::Presence { presence, max_conversations } => self.on_presence(presence, max_conversations),
            ServerFrame::Typing(t) => self.ui(UiEvent::Typing(t)),
            ServerFrame::Read { user_id, msg_ids } => self.on_read(user_id, msg_ids),
            ServerFrame::Note(data) => self.ui(UiEvent::Note(data)),
            ServerFrame::Board(data) => self.ui(UiEvent::Board(data)),
            ServerFrame::Monitor(data) => self.ui(UiEvent::Monitor(data)),
            ServerFrame::Viewers(data) => self.ui(UiEvent::Viewers(data)),
            ServerFrame::Supervised(data) => self.ui(UiEvent::Supervised(data)),
            ServerFrame::Recalled(data) => {
                let local_id = self.recalled_local_id(&data);
                self.ui(UiEvent::Recalled { data, local_id })
            }
            ServerFrame::Lifecycle(data) => self.ui(UiEvent::Lifecycle(data)),
        }
    }

    fn on_hello(&mut self, features: Vec<String>, epoch: Option<String>) {
        let chosen: Vec<Extension> = Extension::ALL.into_iter().filter(|e| features.iter().any(|f| f == e.as_str())).collect();
        let names: Vec<&'static str> = chosen.iter().map(|e| e.as_str()).collect();
        self.delivery.note_epoch(epoch);
        self.log(LogLevel::Info, "server hello; extensions in use:", LogDetail::Text(names.join(",")));
        self.extensions = chosen;
        let Some(conn) = self.link.open_conn() else { return };
        let last_seq = self.speaks(Extension::Seq).then_some(self.delivery.last_seq());
        self.send_frame(conn, AgentFrame::Hello { features: names.clone(), last_seq });
        self.ui(UiEvent::ExtensionsNegotiated(names));
        self.resend_unacked(conn);
        self.send_presence();
        self.end_hello_wait();
    }

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

    fn send_frame(&mut self, conn: ConnId, frame: AgentFrame) {
        self.stats.frames_sent += 1;
        self.out.push_back(Output::Send { conn, frame, local_id: None });
    }

    fn set_link(&mut self, link: Link) {
        let before = self.link.state();
        self.link = link;
        let after = self.link.state();
        if before != after {
            self.log(LogLevel::Info, "state:", LogDetail::Text([before.as_str(), after.as_str()].join(" -> ")));
            self.ui(UiEvent::StateChanged(after));
        }
    }

    /// The connection state as shown to the agent.
    pub fn state(&self) -> LinkState {
        self.link.state()
    }

    fn stale(&mut self, what: &'static str) {
        self.stats.stale_events += 1;
        self.log(LogLevel::Debug, "ignored an event of a superseded socket:", LogDetail::Word(what));
    }

    fn ui(&mut self, e: UiEvent<V>) {
        self.out.push_back(Output::Ui(e));
    }

    fn log(&mut self, level: LogLevel, text: &'static str, detail: LogDetail) {
        if level as u8 > self.log_max {
            return;
        }
        self.out.push_back(Output::Log { level, message: LogMessage { text, detail } });
    }
}
