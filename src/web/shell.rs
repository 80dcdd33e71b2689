//! [`Shell`]: the browser side of one session. It owns the browser objects (socket, timer, page
//! listeners, durable outbox, the tabs' link) RAII-style, feeds their events to the core and
//! carries out the core's outputs; it decides nothing.
//!
//! Re-entrancy: no `RefCell` borrow is held while calling into JS. Each entry point borrows the
//! core only to hand it one input, then drains outputs one at a time. A hook that calls back into
//! the session (say `acceptCustomer` from `onCustomerWaiting`) feeds the core directly; the outputs
//! that produces are queued behind the current ones and run by the outer drain, in FIFO order.
//! A frame's own hook, when it is the last thing the frame causes, is called by `frames.js` after
//! the drain (the one-call path, [`fast`]): a call back into the session from it drains at once.

mod fast;

use crate::prelude::*;
use super::config::SocketTarget;
use super::error::session_error;
use super::hooks::Hooks;
use super::json_value::{stringify_frame, JsJson};
use super::outbox::Outbox;
use super::page::PageWatch;
use super::resume::{self, OnPageHide};
use super::socket::{Socket, SocketEvent};
use super::tab_link::{self, TabLink};
use super::timer::Timer;
use crate::core::{tab_channel_name, ConnId, Input, UiEvent, LogDetail, LogLevel, LogMessage, Millis, Output, TabEvent, TabMsg};
use ::core::cell::{Cell, RefCell};
use alloc::rc::{Rc, Weak};
use wasm_bindgen::JsValue;

/// The core session as the browser drives it: frames parsed by `JSON.parse`.
pub type Session = crate::core::Session<JsJson>;
/// An input for it.
pub type SessionInput = Input<JsJson>;

/// The time on the session's clock (the one `frames.js` stamps frames with).
fn now() -> Millis {
    super::frame_reader::clock() as Millis
}

/// One session's core and the browser objects it drives.
pub struct Shell {
    me: Weak<Shell>,
    /// The sans-IO session.
    pub core: RefCell<Session>,
    socket: RefCell<Option<Socket>>,
    retired: RefCell<Vec<Socket>>,
    timer: RefCell<Option<Timer>>,
    page: RefCell<Option<PageWatch>>,
    outbox: RefCell<Option<Outbox>>,
    tabs: RefCell<Option<TabLink>>,
    on_hide: RefCell<Option<OnPageHide>>,
    /// The UI's callbacks.
    pub hooks: Hooks,
    /// Where the socket goes.
    pub target: SocketTarget,
    draining: Cell<bool>,
    /// The shell itself while connected (`connect()` to `close()`): a session the page no longer
    /// references keeps its socket and calls its hooks, as an open WebSocket does.
    alive: RefCell<Option<Rc<Shell>>>,
}

impl Shell {
    /// A shell for `core`, with its timer; nothing is opened yet. The core outputs only the log
    /// lines up to `log_level` (`None`: none).
    pub fn new(mut core: Session, hooks: Hooks, target: SocketTarget, log_level: Option<LogLevel>) -> Rc<Shell> {
        core.log_only_to(log_level);
        let shell = Rc::new_cyclic(|me: &Weak<Shell>| Shell {
            me: me.clone(),
            core: RefCell::new(core),
            socket: RefCell::new(None),
            retired: RefCell::new(Vec::new()),
            timer: RefCell::new(None),
            page: RefCell::new(None),
            outbox: RefCell::new(None),
            tabs: RefCell::new(None),
            on_hide: RefCell::new(None),
            hooks,
            target,
            draining: Cell::new(false),
            alive: RefCell::new(None),
        });
        let me = shell.me.clone();
        *shell.timer.borrow_mut() = Some(Timer::new(move || {
            if let Some(shell) = me.upgrade() {
                if let Some(t) = shell.timer.borrow().as_ref() {
                    t.fired();
                }
                shell.event(Input::Timeout);
            }
        }));
        shell
    }

    /// Hands one input to the core, then drains; an action's refusal becomes a `KefuError`.
    pub fn feed(&self, input: SessionInput) -> Result<Option<u64>, JsValue> {
        let r = self.core.borrow_mut().handle_input(now(), input);
        self.drain();
        r.map_err(|e| session_error(&e))
    }

    /// [`Shell::feed`] for an event that cannot be refused.
    pub fn event(&self, input: SessionInput) {
        let _ = self.feed(input);
    }

    fn drain(&self) {
        if !self.draining.get() {
            self.drain_keeping(false);
        } // else an outer drain on the stack will pick the new outputs up
    }

    /// Carries out the core's outputs in order, then arms the timer. With `keep_hook`, a last
    /// output that is a hook JS can call with the frame's `data` is not called but answered as its
    /// code (`fast.rs`); 0 when there is none.
    fn drain_keeping(&self, keep_hook: bool) -> u32 {
        self.draining.set(true);
        let mut kept: Option<(UiEvent<JsJson>, u32)> = None;
        loop {
            let next = self.core.borrow_mut().poll_output();
            let Some(o) = next else { break };
            let code = match &o {
                Output::Ui(e) if keep_hook && kept.is_none() => fast::hook_code(e),
                _ => None,
            };
            match (o, code) {
                (Output::Ui(e), Some(code)) => kept = Some((e, code)),
                (o, _) => {
                    if let Some((e, _)) = kept.take() {
                        self.hooks.deliver(&e);
                    }
                    self.execute(o);
                }
            }
        }
        let deadline = self.core.borrow().poll_timeout();
        if let Some(t) = self.timer.borrow().as_ref() {
            t.arm(deadline, now);
        }
        self.draining.set(false);
        kept.map_or(0, |(_, code)| code)
    }

    fn execute(&self, o: Output<JsJson>) {
        match o {
            Output::OpenSocket { conn } => self.open(conn),
            Output::Send { conn, frame, local_id } => {
                let text = stringify_frame(&frame);
                let ok = matches!((self.socket.borrow().as_ref(), &text), (Some(s), Some(t)) if s.conn() == conn && s.send(t));
                if !ok {
                    let _ = self.core.borrow_mut().handle_input(now(), Input::SendFailed(conn, local_id));
                }
            }
            Output::CloseSocket { conn, code, reason } => {
                let mut slot = self.socket.borrow_mut();
                if slot.as_ref().map(|s| s.conn()) == Some(conn) {
                    let s = slot.take().expect("checked above");
                    drop(slot);
                    s.close(code, reason);
                    // Dropped later, outside any of its own listeners.
                    self.retired.borrow_mut().push(s);
                }
            }
            Output::Persist { local_id, message } => {
                if let Some(o) = self.outbox.borrow().as_ref() {
                    o.put(local_id, &message);
                }
            }
            Output::Forget { msg_id } => {
                if let Some(o) = self.outbox.borrow().as_ref() {
                    o.remove(&msg_id);
                }
            }
            Output::LoadOutbox => self.load_outbox(),
            Output::Ui(e) => self.hooks.deliver(&e),
            Output::Share { event, snapshot } => {
                let mut post = |hook, payload: &JsValue| {
                    let payload = JsJson(payload.clone());
                    self.post(TabMsg::Hook { hook, payload, snapshot: (*snapshot).clone() });
                };
                self.hooks.deliver_keeping(&event, &mut post);
            }
            Output::Post(m) => self.post(m),
            Output::Log { level, message } => self.hooks.log(level, &message),
        }
    }

    fn post(&self, m: TabMsg<JsJson>) {
        if let Some(link) = self.tabs.borrow().as_ref() {
            link.post(m);
        }
    }

    fn open(&self, conn: ConnId) {
        // Superseded sockets: the current one (if any) and those retired earlier go now.
        let old = self.socket.borrow_mut().take();
        let retired = ::core::mem::take(&mut *self.retired.borrow_mut());
        drop(old);
        drop(retired);
        let (me, head) = (self.me.clone(), self.me.clone());
        let max = self.core.borrow().config().max_frame_chars;
        let on_head = Box::new(move |conn, data, now, tags, status, seq, lens| match head.upgrade() {
            Some(shell) => shell.on_head(conn, data, now, tags, status, seq, lens),
            None => 0,
        });
        match Socket::open(&self.target, conn, max, self.hooks.object(), on_head, move |conn, ev| {
            if let Some(shell) = me.upgrade() {
                shell.on_socket_event(conn, ev);
            }
        }) {
            Ok(s) => *self.socket.borrow_mut() = Some(s),
            Err(e) => {
                let text = "cannot open the socket:";
                self.hooks.log(LogLevel::Error, &LogMessage { text, detail: LogDetail::Text(self.target.url.clone()) });
                web_sys::console::error_1(&e);
                let _ = self.core.borrow_mut().handle_input(now(), Input::SocketError(conn));
            }
        }
    }

    fn on_socket_event(&self, conn: ConnId, ev: SocketEvent) {
        self.event(match ev {
            SocketEvent::Opened => Input::SocketOpened(conn),
            SocketEvent::Frame(f) => Input::Frame(conn, f),
            SocketEvent::Error => Input::SocketError(conn),
            SocketEvent::Closed(code) => Input::SocketClosed(conn, code),
        })
    }

    /// Keeps this shell alive without the page's reference (from `connect()`), or lets it go
    /// (`close()`: with no other reference it is freed when the caller lets go of its own).
    pub fn keep_alive(&self, keep: bool) {
        // The old value is dropped after the cell's borrow ends.
        self.alive.replace(if keep { self.me.upgrade() } else { None });
    }

    /// Starts listening to `online` / `visibilitychange` / `pageshow` (once).
    pub fn watch_page(&self) {
        if self.page.borrow().is_some() {
            return;
        }
        let me = self.me.clone();
        *self.page.borrow_mut() = Some(PageWatch::new(move |reason| {
            if let Some(shell) = me.upgrade() {
                shell.event(Input::Wake(reason));
            }
        }));
    }

    /// Stops listening to the page.
    pub fn unwatch_page(&self) {
        self.page.borrow_mut().take();
    }

    /// Joins the tabs of this server and agent (`shareAcrossTabs`; the socket opens when this tab
    /// gets the lock). Where the browser cannot share, a warning; this tab uses its own socket.
    pub fn join_tabs(&self) {
        if self.tabs.borrow().is_some() {
            return;
        }
        if !tab_link::supported() {
            let text = "shareAcrossTabs: Web Locks or BroadcastChannel missing; this tab uses its own socket";
            return self.hooks.log(LogLevel::Warn, &LogMessage { text, detail: LogDetail::None });
        }
        let (a, b) = (self.me.clone(), self.me.clone());
        let link = TabLink::join(
            &tab_channel_name(&self.storage_key()),
            move || {
                if let Some(shell) = a.upgrade() {
                    shell.event(Input::Tabs(TabEvent::Lead));
                }
            },
            move |m| {
                if let Some(shell) = b.upgrade() {
                    shell.event(Input::Tabs(TabEvent::Message(m)));
                }
            },
        );
        *self.tabs.borrow_mut() = Some(link);
        self.event(Input::Tabs(TabEvent::Join));
    }

    /// Leaves the tabs (another one takes the lock, and the socket).
    pub fn leave_tabs(&self) {
        let link = self.tabs.borrow_mut().take();
        drop(link);
        self.event(Input::Tabs(TabEvent::Leave));
    }

    /// Server socket URL (without its query) and agent: what the durable outbox, the resume point
    /// and the tabs' sharing are keyed by.
    fn storage_key(&self) -> String {
        [self.target.url.split('?').next().unwrap_or_default(), "#", &self.core.borrow().config().kf_id].concat()
    }

    /// `resumeAcrossReloads`: keeps where the numbering stands for the next page load.
    pub fn save_resume_point(&self) {
        let core = self.core.borrow();
        if self.on_hide.borrow().is_some() && !core.following() {
            let (epoch, last_seq) = core.resume_point();
            resume::save(&self.storage_key(), epoch, last_seq);
        }
    }

    /// `resumeAcrossReloads`: continues from the point an earlier page load saved, and saves it
    /// when the page hides.
    pub fn resume_across_reloads(&self) {
        if let Some((epoch, last_seq)) = resume::load(&self.storage_key()) {
            self.core.borrow_mut().resume_from(Some(epoch), last_seq);
        }
        let me = self.me.clone();
        *self.on_hide.borrow_mut() = Some(OnPageHide::new(move || {
            if let Some(shell) = me.upgrade() {
                shell.save_resume_point();
            }
        }));
    }

    /// Opens the durable outbox of this server and agent: each committed write is reported;
    /// storage trouble is one warning, and the session goes on in memory.
    pub fn open_outbox(&self) {
        let (b, c) = (self.me.clone(), self.me.clone());
        let outbox = Outbox::open(
            &self.storage_key(),
            move |local_id| {
                if let Some(shell) = b.upgrade() {
                    shell.hooks.saved(local_id);
                }
            },
            move |why| {
                if let Some(shell) = c.upgrade() {
                    let text = "durable outbox unavailable, messages are kept in memory only:";
                    shell.hooks.log(LogLevel::Warn, &LogMessage { text, detail: LogDetail::Text(why) });
                }
            },
        );
        *self.outbox.borrow_mut() = Some(outbox);
    }

    /// Restores what earlier sessions kept in the durable outbox (once).
    pub fn load_outbox(&self) {
        let me = self.me.clone();
        if let Some(o) = self.outbox.borrow_mut().as_mut() {
            o.load(move |kept| {
                if let Some(shell) = me.upgrade() {
                    shell.event(Input::Restore(kept));
                }
            });
        }
    }

    /// The socket's generation and whether it is open, for feeding it a frame by hand.
    pub fn open_conn(&self) -> Option<ConnId> {
        let core = self.core.borrow();
        core.live_conn().filter(|_| core.state() == crate::core::LinkState::Open)
    }

    /// Feeds a frame as if the open socket `conn` had received it (through its frame reader).
    pub fn inject(&self, conn: ConnId, text: &js_sys::JsString) {
        let read = self.socket.borrow().as_ref().filter(|s| s.conn() == conn).map(|s| s.reader());
        match read {
            Some(read) => {
                let _ = read.call1(&JsValue::UNDEFINED, text);
            }
            None => {
                let frame = super::socket::text_frame(text, self.core.borrow().config().max_frame_chars);
                self.event(Input::Frame(conn, frame));
            }
        }
    }
}
