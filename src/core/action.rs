//! [`Action`]: what the agent asks the session to do. One list for every layer: the core handles
//! each ([`crate::core::Session::handle_input`] with [`crate::core::Input::Act`]), a tab that
//! follows another hands it over as it is ([`crate::core::TabMsg::Act`]), and the other tabs hear
//! of the announced ones (`onOtherTabAction`). Adding an action: a variant here with its name and
//! fields below, its handler in the session, the `AgentSession` method, and the console.

use crate::prelude::*;
use super::json::{JsonBuild, JsonValue};
use super::presence::Presence;
use super::scalar::Scalar;

/// An agent action. Every one can be refused ([`crate::core::SessionError`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Accept a waiting customer (status 2 answer).
    AcceptCustomer(Scalar),
    /// Decline a waiting customer (status 3 answer).
    DeclineCustomer(Scalar),
    /// Accept an incoming transfer (status 4 answer).
    AcceptTransfer(Scalar),
    /// Refuse an incoming transfer (status 5 answer).
    RejectTransfer(Scalar),
    /// Typing to a customer (`true`), or stopped (extension `typing`).
    Typing(Scalar, bool),
    /// Every message of this customer shown so far has been seen (extension `read`).
    Seen(Scalar),
    /// Set the agent's presence (extension `presence`): sent now, or after the next hello.
    SetPresence(Presence),
    /// Add an internal note to the conversation with a customer (extension `notes`): the agents
    /// in it and the colleagues it `@mentions` see it, the customer never does.
    AddNote {
        /// The customer.
        user_id: Scalar,
        /// The note.
        content: String,
    },
    /// Start (`on`) or stop watching a live conversation, read-only (extension `monitor`;
    /// supervisors only, checked by the server).
    Watch {
        /// The customer whose conversation.
        user_id: Scalar,
        /// Start or stop.
        on: bool,
    },
    /// Supervisor (extension `supervise`): a whisper only the agent serving the customer sees.
    Whisper {
        /// The customer.
        user_id: Scalar,
        /// The text.
        content: String,
    },
    /// Supervisor: join the conversation (barge-in); the customer sees what the supervisor writes.
    Join(Scalar),
    /// Supervisor: leave a conversation joined.
    Leave(Scalar),
    /// Supervisor: move the live conversation to another agent (or take it over).
    Reassign {
        /// The customer.
        user_id: Scalar,
        /// The agent it goes to.
        to_kf_id: String,
    },
    /// Supervisor: end the live conversation.
    EndConversation(Scalar),
    /// Recall (撤回) one of the agent's messages to a customer (extension `recall`; within the
    /// server's window), by its wire id: the tab where `recall(userId, localId)` was called maps
    /// its local id ([`crate::core::Session::recall_id`]), so any tab may hand it to the leader.
    Recall {
        /// The customer.
        user_id: Scalar,
        /// The message's wire id (`msgId`).
        msg_id: String,
    },
    /// Send a chat message.
    Send {
        /// The customer.
        user_id: Scalar,
        /// The customer's name.
        user_name: String,
        /// The text.
        content: String,
    },
}

/// The names of the actions the other tabs hear about (`OtherTabActionEvent.action` in the
/// TypeScript declarations; `tests/js_contract.rs` compares the two).
pub const ANNOUNCED_ACTIONS: &[&str] = &["acceptCustomer", "declineCustomer", "acceptTransfer", "rejectTransfer", "send"];

impl Action {
    /// The action's name between tabs and in `onOtherTabAction` (the method the agent called;
    /// `typing(id, false)` is `"stopTyping"`).
    pub fn name(&self) -> &'static str {
        match self {
            Action::AcceptCustomer(_) => "acceptCustomer",
            Action::DeclineCustomer(_) => "declineCustomer",
            Action::AcceptTransfer(_) => "acceptTransfer",
            Action::RejectTransfer(_) => "rejectTransfer",
            Action::Typing(_, true) => "typing",
            Action::Typing(_, false) => "stopTyping",
            Action::Seen(_) => "markSeen",
            Action::SetPresence(_) => "setPresence",
            Action::Send { .. } => "send",
            Action::AddNote { .. } => "addNote",
            Action::Watch { on: true, .. } => "watch",
            Action::Watch { on: false, .. } => "unwatch",
            Action::Whisper { .. } => "whisper",
            Action::Join(_) => "join",
            Action::Leave(_) => "leave",
            Action::Reassign { .. } => "reassign",
            Action::EndConversation(_) => "endConversation",
            Action::Recall { .. } => "recall",
        }
    }

    /// True when the other tabs are told once it is done (answers and sent messages: what another
    /// tab's agent would otherwise find changed under them).
    pub fn announced(&self) -> bool {
        ANNOUNCED_ACTIONS.contains(&self.name())
    }

    /// The customer it concerns (the presence's name for `setPresence`).
    pub fn id(&self) -> Scalar {
        match self {
            Action::AcceptCustomer(id)
            | Action::DeclineCustomer(id)
            | Action::AcceptTransfer(id)
            | Action::RejectTransfer(id)
            | Action::Typing(id, _)
            | Action::Seen(id)
            | Action::Send { user_id: id, .. }
            | Action::AddNote { user_id: id, .. }
            | Action::Watch { user_id: id, .. }
            | Action::Whisper { user_id: id, .. }
            | Action::Join(id)
            | Action::Leave(id)
            | Action::Reassign { user_id: id, .. }
            | Action::EndConversation(id)
            | Action::Recall { user_id: id, .. } => id.clone(),
            Action::SetPresence(p) => Scalar::Text(p.as_str().into()),
        }
    }

    /// The action as an object `{ action, id, userName, content? }`: how tabs hand it over and
    /// how `onOtherTabAction` shows it. `user_name` is the customer's name where the action does
    /// not carry it.
    pub fn encode<J: JsonBuild>(&self, user_name: Option<&str>) -> J {
        let user_name = match self {
            Action::Send { user_name, .. } => Some(user_name.as_str()),
            _ => user_name,
        };
        let mut fields = vec![
            ("action", J::string(self.name())),
            ("id", J::scalar(&self.id())),
            ("userName", user_name.map(J::string).unwrap_or_else(J::null)),
        ];
        if let Action::Send { content, .. } | Action::AddNote { content, .. } | Action::Whisper { content, .. } = self {
            fields.push(("content", J::string(content)));
        }
        if let Action::Reassign { to_kf_id, .. } = self {
            fields.push(("toKfId", J::string(to_kf_id)));
        }
        if let Action::Recall { msg_id, .. } = self {
            fields.push(("msgId", J::string(msg_id)));
        }
        J::object(fields)
    }

    /// The action [`Action::encode`] wrote, with the customer's name it carried; `None` for
    /// anything else.
    pub fn decode<V: JsonValue>(v: &V) -> Option<(Action, Option<String>)> {
        let name = v.field("action")?.as_string()?;
        let id = super::json::scalar_of(&v.field("id")?)?;
        let user_name = v.field("userName").and_then(|n| n.as_string());
        let action = match name.as_str() {
            "acceptCustomer" => Action::AcceptCustomer(id),
            "declineCustomer" => Action::DeclineCustomer(id),
            "acceptTransfer" => Action::AcceptTransfer(id),
            "rejectTransfer" => Action::RejectTransfer(id),
            "typing" => Action::Typing(id, true),
            "stopTyping" => Action::Typing(id, false),
            "markSeen" => Action::Seen(id),
            "setPresence" => Action::SetPresence(Presence::parse(id.as_key())?),
            "whisper" => Action::Whisper { user_id: id, content: v.field("content")?.as_string()? },
            "join" => Action::Join(id),
            "leave" => Action::Leave(id),
            "reassign" => Action::Reassign { user_id: id, to_kf_id: v.field("toKfId")?.as_string()? },
            "endConversation" => Action::EndConversation(id),
            "watch" => Action::Watch { user_id: id, on: true },
            "unwatch" => Action::Watch { user_id: id, on: false },
            "recall" => Action::Recall { user_id: id, msg_id: v.field("msgId")?.as_string()? },
            "addNote" => Action::AddNote { user_id: id, content: v.field("content")?.as_string()? },
            "send" => Action::Send { user_id: id, user_name: user_name.clone()?, content: v.field("content")?.as_string()? },
            _ => return None,
        };
        Some((action, user_name))
    }
}
