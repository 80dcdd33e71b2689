//! The supervisor's methods (extension `supervise`, which servers offer to supervisors' sockets
//! only): each is an [`Action`] for the core; the server answers with `onSupervised`.

use crate::prelude::*;
use super::AgentSession;
use crate::core::{Action, ErrorCode, Scalar};
use crate::web::convert::js_to_scalar;
use crate::web::error::kefu_error;
use crate::web::ts_types::JsCustomerId;
use wasm_bindgen::prelude::*;

fn id(v: JsCustomerId, what: &str) -> Result<Scalar, JsValue> {
    js_to_scalar(&v.into()).ok_or_else(|| kefu_error(ErrorCode::InvalidArgument, &[what, ": userId must be a string or a number"].concat()))
}

#[wasm_bindgen]
impl AgentSession {
    /// Supervisor: a whisper only the agent serving customer `userId` sees. Throws
    /// `NOT_SUPPORTED` unless the server offered `supervise` (to supervisors only), `NOT_CONNECTED`
    /// while closed; `onSupervised` says how it went.
    pub fn whisper(&self, user_id: JsCustomerId, content: String) -> Result<(), JsValue> {
        self.act(Action::Whisper { user_id: id(user_id, "whisper")?, content }).map(|_| ())
    }

    /// Supervisor: joins the conversation with `userId` (barge-in): the customer sees what this
    /// session `send`s them, under the supervisor's name; the agent gets a copy.
    pub fn join(&self, user_id: JsCustomerId) -> Result<(), JsValue> {
        self.act(Action::Join(id(user_id, "join")?)).map(|_| ())
    }

    /// Supervisor: leaves a conversation joined; customer and agent are told.
    pub fn leave(&self, user_id: JsCustomerId) -> Result<(), JsValue> {
        self.act(Action::Leave(id(user_id, "leave")?)).map(|_| ())
    }

    /// Supervisor: moves the live conversation with `userId` to agent `toKfId` (online; may be
    /// this supervisor), no acceptance asked.
    pub fn reassign(&self, user_id: JsCustomerId, to_kf_id: String) -> Result<(), JsValue> {
        self.act(Action::Reassign { user_id: id(user_id, "reassign")?, to_kf_id }).map(|_| ())
    }

    /// Supervisor: ends the live conversation with `userId`.
    #[wasm_bindgen(js_name = endConversation)]
    pub fn end_conversation(&self, user_id: JsCustomerId) -> Result<(), JsValue> {
        self.act(Action::EndConversation(id(user_id, "endConversation")?)).map(|_| ())
    }
}
