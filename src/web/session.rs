//! `AgentSession`, the JS-facing object: owns the socket, the timer and the page listeners, feeds
//! browser events to the core and carries out its outputs.
//!
//! Re-entrancy: no `RefCell` borrow is held while calling into JS. Each entry point borrows the
//! core only to hand it one input, then drains outputs one at a time. A hook that calls back into
//! the session (say `acceptCustomer` from `onCustomerWaiting`) feeds the core directly; the outputs
//! that produces are queued behind the current ones and run by the outer drain, in FIFO order.

mod properties;
mod share;
mod storage;
mod workbench;

use super::config::{parse, ShellConfig, SocketTarget};
use super::convert::js_to_scalar;
use super::error::{kefu_error, session_error};
use super::js::{get, object};
use super::hooks::Hooks;
use super::json_value::{stringify_frame, JsJson};
use super::outbox::Outbox;
use super::page::PageWatch;
use super::resume::OnPageHide;
use super::socket::{text_frame, Socket, SocketEvent};
use super::timer::Timer;
use super::ts_types::*;
use crate::core::{ConnId, ErrorCode, Input, LogDetail, LogLevel, LogMessage, Millis, Output, Scalar, WakeReason};
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;

/// The core session as the browser drives it: frames parsed by `JSON.parse`.
type Session = crate::core::Session<JsJson>;
/// An input for it.
type SessionInput = Input<JsJson>;

thread_local! {
    /// `performance`, looked up once (every input is stamped with the time).
    static PERFORMANCE: Option<web_sys::Performance> = web_sys::window().and_then(|w| w.performance());
}

fn now() -> Millis {
    PERFORMANCE.with(|p| p.as_ref().map(|p| p.now()).unwrap_or_else(js_sys::Date::now)) as Millis
}

struct Inner {
    me: Weak<Inner>,
    core: RefCell<Session>,
    socket: RefCell<Option<Socket>>,
    retired: RefCell<Vec<Socket>>,
    timer: RefCell<Option<Timer>>,
    page: RefCell<Option<PageWatch>>,
    outbox: RefCell<Option<Outbox>>,
    share: RefCell<Option<Rc<share::Share>>>,
    share_tabs: bool,
    on_hide: RefCell<Option<OnPageHide>>,
    hooks: Hooks,
    target: SocketTarget,
    log_level: Option<LogLevel>,
    watch_page: bool,
    draining: Cell<bool>,
}

impl Inner {
    /// Hands one input to the core, then drains; an action's refusal becomes a `KefuError`.
    fn feed(&self, input: SessionInput) -> Result<Option<u64>, JsValue> {
        let r = self.core.borrow_mut().handle_input(now(), input);
        self.drain();
        r.map_err(|e| session_error(&e))
    }

    /// [`Inner::feed`] for an event that cannot be refused.
    fn event(&self, input: SessionInput) {
        let _ = self.feed(input);
    }

    fn drain(&self) {
        if self.draining.replace(true) {
            return; // an outer drain on the stack will pick the new outputs up
        }
        loop {
            let next = self.core.borrow_mut().poll_output();
            match next {
                Some(o) => self.execute(o),
                None => break,
            }
        }
        let deadline = self.core.borrow().poll_timeout();
        if let Some(t) = self.timer.borrow().as_ref() {
            t.arm(deadline, now());
        }
        self.draining.set(false);
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
            Output::Ui(e) => self.deliver(&e),
            Output::Log { level, message } => {
                if self.log_level.is_some_and(|max| level <= max) {
                    self.hooks.log(level, &message);
                }
            }
        }
    }

    fn open(&self, conn: ConnId) {
        // Superseded sockets: the current one (if any) and those retired earlier go now.
        let old = self.socket.borrow_mut().take();
        let retired = std::mem::take(&mut *self.retired.borrow_mut());
        drop(old);
        drop(retired);
        let me = self.me.clone();
        let max = self.core.borrow().config().max_frame_chars;
        match Socket::open(&self.target, conn, max, move |conn, ev| {
            if let Some(inner) = me.upgrade() {
                inner.on_socket_event(conn, ev);
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

    /// An answer to a waiting customer or a transfer: here, or by the tab that owns the socket.
    fn answer(&self, op: &'static str, id: &JsValue, action: fn(Scalar) -> SessionInput) -> Result<(), JsValue> {
        if let Some(sh) = self.following() {
            return self.ask_leader(&sh, op, id);
        }
        let told = self.action_payload(op, id);
        let id = js_to_scalar(id).ok_or_else(|| kefu_error(ErrorCode::InvalidArgument, "id must be a string or a number"))?;
        self.feed(action(id))?;
        if let Some(action) = told {
            self.tell_tabs(&self.tab_id(), action);
        }
        Ok(())
    }

}


/// One customer-service agent's connection to the chat server: the WebSocket, the heartbeat, the
/// locked reconnect and the status 1/2/4/5/9 dispatch of the original `chatDialog.js`, with a
/// queue of waiting customers and held sends. UI-agnostic: events go to the hooks you pass.
#[wasm_bindgen]
pub struct AgentSession {
    inner: Rc<Inner>,
}

#[wasm_bindgen]
impl AgentSession {
    /// Creates a session. Throws a `KefuError` with code `INVALID_CONFIG` for a bad config, before
    /// any socket is opened. Call `connect()` to start.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsAgentSessionConfig, hooks: Option<JsAgentSessionHooks>) -> Result<AgentSession, JsValue> {
        let ShellConfig { session, target, log_level, watch_page, share_tabs, resume } = parse(&config)?;
        let hooks = hooks.map(JsValue::from).unwrap_or(JsValue::UNDEFINED);
        if !hooks.is_undefined() && !hooks.is_null() && !hooks.is_object() {
            return Err(kefu_error(ErrorCode::InvalidConfig, "hooks must be an object of callbacks"));
        }
        let inner = Rc::new_cyclic(|me: &Weak<Inner>| Inner {
            me: me.clone(),
            core: RefCell::new(Session::new(session)),
            socket: RefCell::new(None),
            retired: RefCell::new(Vec::new()),
            timer: RefCell::new(None),
            page: RefCell::new(None),
            outbox: RefCell::new(None),
            share: RefCell::new(None),
            share_tabs,
            on_hide: RefCell::new(None),
            hooks: Hooks::new(hooks),
            target,
            log_level,
            watch_page,
            draining: Cell::new(false),
        });
        let me = Rc::downgrade(&inner);
        *inner.timer.borrow_mut() = Some(Timer::new(move || {
            if let Some(inner) = me.upgrade() {
                if let Some(t) = inner.timer.borrow().as_ref() {
                    t.fired();
                }
                inner.event(Input::Timeout);
            }
        }));
        if resume {
            inner.resume_across_reloads();
        }
        if inner.core.borrow().config().durable_outbox {
            *inner.outbox.borrow_mut() = Some(storage::open_outbox(&inner));
            if !share_tabs {
                inner.load_outbox(); // shared: the tab that gets the socket restores it
            }
        }
        Ok(AgentSession { inner })
    }

    /// Opens the socket (or retries at once while waiting to reconnect). Idempotent while
    /// connecting or open. Starts watching `online` / `visibilitychange` / `pageshow`.
    pub fn connect(&self) {
        if self.inner.watch_page && self.inner.page.borrow().is_none() {
            let me = Rc::downgrade(&self.inner);
            *self.inner.page.borrow_mut() = Some(PageWatch::new(move |reason| {
                if let Some(inner) = me.upgrade() {
                    inner.event(Input::Wake(reason));
                }
            }));
        }
        if self.inner.share_tabs && self.inner.join_tabs() {
            if self.inner.following().is_none() {
                self.inner.event(Input::Connect); // this tab owns the socket
            }
            return;
        }
        self.inner.event(Input::Connect);
    }

    /// Closes the socket (code 1000) and stops: no reconnect until `connect()` is called again.
    /// Held messages stay held and go out after the next `connect()`.
    pub fn close(&self) {
        self.inner.save_resume_point();
        self.inner.event(Input::Close);
        self.inner.leave_tabs();
        self.inner.page.borrow_mut().take();
    }

    /// Checks the connection now, as the page listeners do on `online`/`visible`: pings if open,
    /// reconnects at once if waiting to.
    #[wasm_bindgen(js_name = checkNow)]
    pub fn check_now(&self) {
        if let Some(sh) = self.inner.following() {
            return sh.ask_check();
        }
        self.inner.event(Input::Wake(WakeReason::Visible));
    }

    /// Accepts the waiting customer `id` (sends `respStatus 2`). Throws `UNKNOWN_CUSTOMER` if no
    /// such customer waits, `NOT_CONNECTED` if the socket is not open (the customer stays queued).
    #[wasm_bindgen(js_name = acceptCustomer)]
    pub fn accept_customer(&self, id: JsCustomerId) -> Result<(), JsValue> {
        self.inner.answer("acceptCustomer", &id, Input::AcceptCustomer)
    }

    /// Declines the waiting customer `id` (sends `respStatus 3`: offer them to someone else).
    #[wasm_bindgen(js_name = declineCustomer)]
    pub fn decline_customer(&self, id: JsCustomerId) -> Result<(), JsValue> {
        self.inner.answer("declineCustomer", &id, Input::DeclineCustomer)
    }

    /// Accepts the incoming transfer of customer `id` (sends `respStatus 4`).
    /// Throws `UNKNOWN_TRANSFER` or `NOT_CONNECTED`.
    #[wasm_bindgen(js_name = acceptTransfer)]
    pub fn accept_transfer(&self, id: JsCustomerId) -> Result<(), JsValue> {
        self.inner.answer("acceptTransfer", &id, Input::AcceptTransfer)
    }

    /// Refuses the incoming transfer of customer `id` (sends `respStatus 5`).
    #[wasm_bindgen(js_name = rejectTransfer)]
    pub fn reject_transfer(&self, id: JsCustomerId) -> Result<(), JsValue> {
        self.inner.answer("rejectTransfer", &id, Input::RejectTransfer)
    }

    /// Sends a chat message `{ userId, userName, content }`; returns its local id. Never throws for
    /// a closed socket: the message is held and sent on reconnect (or failed, with
    /// `offlineSend: "fail"`), as reported by `onMessageStatus`. Throws `INVALID_ARGUMENT` for a
    /// malformed message.
    pub fn send(&self, message: JsOutgoingMessage) -> Result<f64, JsValue> {
        let m: JsValue = message.into();
        let bad = |what: &str| kefu_error(ErrorCode::InvalidArgument, &["send: ", what].concat());
        let user_id = js_to_scalar(&get(&m, "userId")).ok_or_else(|| bad("userId must be a string or a number"))?;
        let user_name = match get(&m, "userName") {
            v if v.is_undefined() || v.is_null() => user_id.key(),
            v => v.as_string().ok_or_else(|| bad("userName must be a string"))?,
        };
        let content = get(&m, "content").as_string().ok_or_else(|| bad("content must be a string"))?;
        if let Some(sh) = self.inner.following() {
            if user_id.is_blank() {
                return Err(bad("userId must not be empty"));
            }
            return Ok(self.inner.send_via_leader(&sh, user_id, user_name, content) as f64);
        }
        let told = self.inner.share().map(|_| {
            let s = |v: &str| JsValue::from_str(v);
            object(&[("action", s("send")), ("id", get(&m, "userId")), ("userName", s(&user_name)), ("content", s(&content))])
        });
        let local_id = self.inner.feed(Input::Send { user_id, user_name, content })?;
        if let Some(action) = told {
            self.inner.tell_tabs(&self.inner.tab_id(), action);
        }
        Ok(local_id.unwrap_or_default() as f64)
    }

    /// Feeds `text` as if the open socket had just received it (replaying captured traffic,
    /// tests, benchmarks). Ignored (returns false) when no socket is open.
    #[wasm_bindgen(js_name = injectFrame)]
    pub fn inject_frame(&self, text: &js_sys::JsString) -> bool {
        let conn = self.inner.core.borrow().live_conn();
        match conn {
            Some(c) if self.inner.core.borrow().state() == crate::core::LinkState::Open => {
                let frame = text_frame(text, self.inner.core.borrow().config().max_frame_chars);
                self.inner.event(Input::Frame(c, frame));
                true
            }
            _ => false,
        }
    }
}
