//! `AgentSession`, the JS-facing object: checks the arguments of each call and feeds it to the
//! core through its [`Shell`]. Methods here, JS properties in `properties.rs`, the workbench's
//! methods in `workbench.rs`.

mod properties;
mod supervisor;
mod workbench;

use crate::prelude::*;
use super::config::{parse, ShellConfig};
use super::convert::js_to_scalar;
use super::error::kefu_error;
use super::hooks::Hooks;
use super::js::get;
use super::shell::{SessionInput, Shell};
use super::ts_types::*;
use crate::core::{Action, ErrorCode, Input, Scalar, WakeReason};
use alloc::rc::Rc;
use wasm_bindgen::prelude::*;

/// The session as the browser drives it.
type Session = super::shell::Session;

/// The id argument of an answer, as a scalar.
fn customer_id(id: &JsValue) -> Result<Scalar, JsValue> {
    js_to_scalar(id).ok_or_else(|| kefu_error(ErrorCode::InvalidArgument, "id must be a string or a number"))
}

/// One customer-service agent's connection to the chat server: the WebSocket, the heartbeat, the
/// locked reconnect and the status 1/2/4/5/9 dispatch of the original `chatDialog.js`, with a
/// queue of waiting customers and held sends. UI-agnostic: events go to the hooks you pass.
#[wasm_bindgen]
pub struct AgentSession {
    shell: Rc<Shell>,
    watch_page: bool,
    share_tabs: bool,
}

impl AgentSession {
    /// Feeds an agent action (done here, or by the tab that owns the socket).
    fn act(&self, action: Action) -> Result<Option<u64>, JsValue> {
        self.shell.feed(SessionInput::Act(action))
    }

    /// The wire id of this tab's message `local_id`, for a recall (see `Session::recall_id`).
    fn recall_id(&self, local_id: u64) -> Option<String> {
        self.shell.core.borrow().recall_id(local_id)
    }
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
        let durable = session.durable_outbox;
        let shell = Shell::new(Session::with_decoder(session, super::frame_value::decode_parsed), Hooks::new(hooks), target, log_level);
        if resume {
            shell.resume_across_reloads();
        }
        if durable {
            shell.open_outbox();
            if !share_tabs {
                shell.load_outbox(); // shared: the tab that gets the socket restores it
            }
        }
        Ok(AgentSession { shell, watch_page, share_tabs })
    }

    /// Opens the socket (or retries at once while waiting to reconnect). Idempotent while
    /// connecting or open. Starts watching `online` / `visibilitychange` / `pageshow`. Until
    /// `close()`, the session keeps working even when the page keeps no reference to it.
    pub fn connect(&self) {
        self.shell.keep_alive(true);
        if self.watch_page {
            self.shell.watch_page();
        }
        if self.share_tabs {
            self.shell.join_tabs();
        }
        self.shell.event(Input::Connect); // ignored by a tab that follows another
    }

    /// Closes the socket (code 1000) and stops: no reconnect until `connect()` is called again.
    /// Held messages stay held and go out after the next `connect()`.
    pub fn close(&self) {
        self.shell.save_resume_point();
        self.shell.event(Input::Close);
        self.shell.leave_tabs();
        self.shell.unwatch_page();
        self.shell.keep_alive(false);
    }

    /// Closes the session (as `close()`) and frees it: nothing of it is left.
    #[wasm_bindgen(js_name = free)]
    pub fn free_now(self) {
        self.close();
    }

    /// Checks the connection now, as the page listeners do on `online`/`visible`: pings if open,
    /// reconnects at once if waiting to.
    #[wasm_bindgen(js_name = checkNow)]
    pub fn check_now(&self) {
        self.shell.event(Input::Wake(WakeReason::Asked));
    }

    /// Accepts the waiting customer `id` (sends `respStatus 2`). Throws `UNKNOWN_CUSTOMER` if no
    /// such customer waits, `NOT_CONNECTED` if the socket is not open (the customer stays queued).
    #[wasm_bindgen(js_name = acceptCustomer)]
    pub fn accept_customer(&self, id: JsCustomerId) -> Result<(), JsValue> {
        self.act(Action::AcceptCustomer(customer_id(&id)?)).map(|_| ())
    }

    /// Declines the waiting customer `id` (sends `respStatus 3`: offer them to someone else).
    #[wasm_bindgen(js_name = declineCustomer)]
    pub fn decline_customer(&self, id: JsCustomerId) -> Result<(), JsValue> {
        self.act(Action::DeclineCustomer(customer_id(&id)?)).map(|_| ())
    }

    /// Accepts the incoming transfer of customer `id` (sends `respStatus 4`).
    /// Throws `UNKNOWN_TRANSFER` or `NOT_CONNECTED`.
    #[wasm_bindgen(js_name = acceptTransfer)]
    pub fn accept_transfer(&self, id: JsCustomerId) -> Result<(), JsValue> {
        self.act(Action::AcceptTransfer(customer_id(&id)?)).map(|_| ())
    }

    /// Refuses the incoming transfer of customer `id` (sends `respStatus 5`).
    #[wasm_bindgen(js_name = rejectTransfer)]
    pub fn reject_transfer(&self, id: JsCustomerId) -> Result<(), JsValue> {
        self.act(Action::RejectTransfer(customer_id(&id)?)).map(|_| ())
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
        let local_id = self.act(Action::Send { user_id, user_name, content })?;
        Ok(local_id.unwrap_or_default() as f64)
    }

    /// Feeds `text` as if the open socket had just received it (replaying captured traffic,
    /// tests, benchmarks). Ignored (returns false) when no socket is open.
    #[wasm_bindgen(js_name = injectFrame)]
    pub fn inject_frame(&self, text: &js_sys::JsString) -> bool {
        let Some(conn) = self.shell.open_conn() else { return false };
        self.shell.inject(conn, text);
        true
    }
}
