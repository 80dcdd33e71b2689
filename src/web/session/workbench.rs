//! The JS methods for presence and the workbench signals (extensions `presence`, `typing`, `read`):
//! each is an [`Action`] for the core (which hands it to the leader in a tab that follows another).

use crate::prelude::*;
use super::AgentSession;
use crate::core::{Action, ErrorCode, Presence};
use crate::web::convert::js_to_scalar;
use crate::web::error::kefu_error;
use crate::web::ts_types::{JsCustomerId, JsPresence, JsPresenceOrNull};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
impl AgentSession {
    /// Tells the customer the agent is typing (`true`) or stopped (`false`), extension `typing`:
    /// call it on every input; the session sends at most one signal every 2 s per customer, and
    /// none to a server without the extension. Sending a message clears it.
    pub fn typing(&self, user_id: JsCustomerId, active: bool) -> Result<(), JsValue> {
        let id = js_to_scalar(&user_id.into()).ok_or_else(|| kefu_error(ErrorCode::InvalidArgument, "typing: userId must be a string or a number"))?;
        self.act(Action::Typing(id, active)).map(|_| ())
    }

    /// Tells the customer's page the agent has seen every message of theirs shown so far
    /// (extension `read`; their page marks them 已读).
    #[wasm_bindgen(js_name = markSeen)]
    pub fn mark_seen(&self, user_id: JsCustomerId) -> Result<(), JsValue> {
        let id = js_to_scalar(&user_id.into()).ok_or_else(|| kefu_error(ErrorCode::InvalidArgument, "markSeen: userId must be a string or a number"))?;
        self.act(Action::Seen(id)).map(|_| ())
    }

    /// Recalls (撤回) the agent's message `localId` (as `send` returned it, once acknowledged) to
    /// customer `userId` (extension `recall`; the server allows it within its window, 2 minutes by
    /// default). `onRecall` says how it went. Throws `NOT_SUPPORTED` without `recall` and `ack`,
    /// `NOT_CONNECTED` while closed, `INVALID_ARGUMENT` for a message not acknowledged.
    pub fn recall(&self, user_id: JsCustomerId, local_id: f64) -> Result<(), JsValue> {
        let id = js_to_scalar(&user_id.into()).ok_or_else(|| kefu_error(ErrorCode::InvalidArgument, "recall: userId must be a string or a number"))?;
        if !(local_id >= 0.0 && crate::core::is_whole(local_id)) {
            return Err(kefu_error(ErrorCode::InvalidArgument, "recall: localId must be a whole number"));
        }
        let msg_id = self.recall_id(local_id as u64).ok_or_else(|| kefu_error(ErrorCode::InvalidArgument, "recall: that message is not acknowledged by the server yet (or too old)"))?;
        self.act(Action::Recall { user_id: id, msg_id }).map(|_| ())
    }

    /// Adds an internal note to the conversation with customer `userId` (extension `notes`): the
    /// agents in it and the colleagues it `@mentions` (by kfId) see it; the customer never does.
    /// Not held: throws `NOT_CONNECTED` while the socket is not open and `NOT_SUPPORTED` when the
    /// server does not offer `notes`, so nothing the agent wrote is lost silently.
    #[wasm_bindgen(js_name = addNote)]
    pub fn add_note(&self, user_id: JsCustomerId, content: String) -> Result<(), JsValue> {
        let id = js_to_scalar(&user_id.into()).ok_or_else(|| kefu_error(ErrorCode::InvalidArgument, "addNote: userId must be a string or a number"))?;
        self.act(Action::AddNote { user_id: id, content }).map(|_| ())
    }

    /// Starts (`on`, default true) or stops watching the live conversation with customer `userId`
    /// read-only (extension `monitor`; the server allows supervisors only): `onMonitor` gets its
    /// history, then every message both ways, notes and whispers; the agent in it sees who watches
    /// (`onViewers`); the customer never does. Throws `NOT_CONNECTED` or `NOT_SUPPORTED`.
    pub fn watch(&self, user_id: JsCustomerId, on: Option<bool>) -> Result<(), JsValue> {
        let id = js_to_scalar(&user_id.into()).ok_or_else(|| kefu_error(ErrorCode::InvalidArgument, "watch: userId must be a string or a number"))?;
        self.act(Action::Watch { user_id: id, on: on.unwrap_or(true) }).map(|_| ())
    }

    /// Sets the agent's presence: `"online"` (offered customers), `"busy"` (keeps its conversations,
    /// offered none) or `"away"`. Sent to a server with the `presence` extension now, or after the
    /// next hello; `onPresenceChange` reports it once the server has it. Throws
    /// `INVALID_ARGUMENT` for any other value.
    #[wasm_bindgen(js_name = setPresence)]
    pub fn set_presence(&self, presence: JsPresence) -> Result<(), JsValue> {
        let v: JsValue = presence.into();
        let p = v.as_string().and_then(|s| Presence::parse(&s));
        let p = p.ok_or_else(|| kefu_error(ErrorCode::InvalidArgument, "setPresence: presence must be \"online\", \"busy\" or \"away\""))?;
        self.act(Action::SetPresence(p)).map(|_| ())
    }

    /// The agent's presence as the server last said it (`null` before it has, or with a server
    /// without the `presence` extension).
    #[wasm_bindgen(getter)]
    pub fn presence(&self) -> JsPresenceOrNull {
        let p = self.shell.core.borrow().shown().presence.map(|p| JsValue::from_str(p.as_str()));
        p.unwrap_or(JsValue::NULL).into()
    }
}
