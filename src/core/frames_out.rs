//! Encoding of agent → server frames, byte-for-byte as the original `chatDialog.js` produced them
//! with `JSON.stringify` on its object literals (same field names, order and types; nothing extra).
//!
//! [`AgentFrame::fields`] lists a frame's fields in order; the browser shell writes them with
//! `JSON.stringify`, native builds with serde_json ([`AgentFrame::encode`]), so both agree.

use crate::prelude::*;
use super::protocol::resp_status;
use super::scalar::Scalar;

/// An agent → server frame.
#[derive(Clone, Debug, PartialEq)]
pub enum AgentFrame {
    /// `{"respStatus":2,"kfId","userId","userName"}`: accept a waiting customer.
    Accept {
        /// The agent.
        kf_id: String,
        /// The customer.
        user_id: Scalar,
        /// The customer's name.
        user_name: String,
    },
    /// `{"respStatus":3,"kfId","userId","userName"}`: decline; offer the customer to someone else.
    Decline {
        /// The agent.
        kf_id: String,
        /// The customer.
        user_id: Scalar,
        /// The customer's name.
        user_name: String,
    },
    /// `{"respStatus":4,"userId","kfId"}`: accept an incoming transfer.
    AcceptTransfer {
        /// The customer.
        user_id: Scalar,
        /// The agent.
        kf_id: String,
    },
    /// `{"respStatus":5,"userId"}`: refuse an incoming transfer.
    RejectTransfer {
        /// The customer.
        user_id: Scalar,
    },
    /// `{"respStatus":9,"kfId"}`: heartbeat ping.
    Ping {
        /// The agent.
        kf_id: String,
    },
    /// `{"respStatus":100,"features":[...]}` (extension): opts into the features the server's hello
    /// offered. Sent only in answer to a hello, so a legacy server never sees it.
    Hello {
        /// Features this client will use.
        features: Vec<&'static str>,
        /// With `seq`: the last sequence number seen from this server run (0 for none).
        last_seq: Option<u64>,
    },
    /// `{"respStatus":102,"presence"}` (extension `presence`): the agent is online, busy or away.
    SetPresence {
        /// The new presence.
        presence: crate::core::presence::Presence,
    },
    /// `{"respStatus":103,"userId","typing"}` (extension `typing`): typing to a customer, or stopped.
    Typing {
        /// The customer.
        user_id: Scalar,
        /// Typing now.
        typing: bool,
    },
    /// `{"respStatus":104,"userId"}` (extension `read`): the agent has seen the customer's messages.
    Seen {
        /// The customer.
        user_id: Scalar,
    },
    /// `{"respStatus":109,"action","userId"[,"content"][,"toKfId"]}` (extension `supervise`): a
    /// supervisor's action.
    Supervise {
        /// `whisper`, `join`, `leave`, `reassign` or `end`.
        action: &'static str,
        /// The customer whose conversation.
        user_id: Scalar,
        /// A whisper's text.
        content: Option<String>,
        /// Where a reassignment goes.
        to_kf_id: Option<String>,
    },
    /// `{"respStatus":110,"userId","msgId"}` (extension `recall`): recall the agent's message.
    Recall {
        /// The customer.
        user_id: Scalar,
        /// The message's wire id.
        msg_id: String,
    },
    /// `{"respStatus":107,"userId","watch"}` (extension `monitor`): start or stop watching.
    Watch {
        /// The customer whose conversation.
        user_id: Scalar,
        /// Start (true) or stop.
        watch: bool,
    },
    /// `{"respStatus":105,"userId","content"}` (extension `notes`): an internal note.
    Note {
        /// The customer the conversation is with.
        user_id: Scalar,
        /// The note.
        content: String,
    },
    /// `{"kfId","kfName","userId","userName","content"}`: a chat message to a customer.
    Chat {
        /// The agent.
        kf_id: String,
        /// The agent's display name.
        kf_name: String,
        /// The customer.
        user_id: Scalar,
        /// The customer's name.
        user_name: String,
        /// The text.
        content: String,
        /// With extension `ack`: the client's id for the message, acked and de-duplicated by
        /// the server. Never sent to a legacy server.
        msg_id: Option<String>,
    },
}

/// One field value of an outgoing frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FieldValue<'a> {
    /// A small non-negative integer (`respStatus`, `lastSeq`).
    Int(u64),
    /// A string.
    Str(&'a str),
    /// An id, string or number as the server typed it.
    Scalar(&'a Scalar),
    /// An array of strings (`features`).
    StrList(&'a [&'static str]),
    /// `true` or `false`.
    Bool(bool),
}

impl AgentFrame {
    /// The frame's fields, in the order the original wrote them.
    pub fn fields(&self) -> Vec<(&'static str, FieldValue<'_>)> {
        use FieldValue::{Bool, Int, Scalar as Id, Str, StrList};
        match self {
            AgentFrame::Accept { kf_id, user_id, user_name } | AgentFrame::Decline { kf_id, user_id, user_name } => {
                let status = if matches!(self, AgentFrame::Accept { .. }) { resp_status::ACCEPT } else { resp_status::DECLINE };
                vec![("respStatus", Int(status)), ("kfId", Str(kf_id)), ("userId", Id(user_id)), ("userName", Str(user_name))]
            }
            AgentFrame::AcceptTransfer { user_id, kf_id } => {
                vec![("respStatus", Int(resp_status::ACCEPT_TRANSFER)), ("userId", Id(user_id)), ("kfId", Str(kf_id))]
            }
            AgentFrame::RejectTransfer { user_id } => vec![("respStatus", Int(resp_status::REJECT_TRANSFER)), ("userId", Id(user_id))],
            AgentFrame::Ping { kf_id } => vec![("respStatus", Int(resp_status::PING)), ("kfId", Str(kf_id))],
            AgentFrame::Hello { features, last_seq } => {
                let mut f = vec![("respStatus", Int(resp_status::HELLO)), ("features", StrList(features))];
                if let Some(s) = last_seq {
                    f.push(("lastSeq", Int(*s)));
                }
                f
            }
            AgentFrame::Typing { user_id, typing } => {
                vec![("respStatus", Int(resp_status::TYPING)), ("userId", Id(user_id)), ("typing", Bool(*typing))]
            }
            AgentFrame::Seen { user_id } => vec![("respStatus", Int(resp_status::SEEN)), ("userId", Id(user_id))],
            AgentFrame::Supervise { action, user_id, content, to_kf_id } => {
                let mut f = vec![("respStatus", Int(resp_status::SUPERVISE)), ("action", Str(action)), ("userId", Id(user_id))];
                if let Some(c) = content {
                    f.push(("content", Str(c)));
                }
                if let Some(t) = to_kf_id {
                    f.push(("toKfId", Str(t)));
                }
                f
            }
            AgentFrame::Recall { user_id, msg_id } => {
                vec![("respStatus", Int(resp_status::RECALL)), ("userId", Id(user_id)), ("msgId", Str(msg_id))]
            }
            AgentFrame::Watch { user_id, watch } => {
                vec![("respStatus", Int(resp_status::WATCH)), ("userId", Id(user_id)), ("watch", Bool(*watch))]
            }
            AgentFrame::Note { user_id, content } => {
                vec![("respStatus", Int(resp_status::NOTE)), ("userId", Id(user_id)), ("content", Str(content))]
            }
            AgentFrame::SetPresence { presence } => vec![("respStatus", Int(resp_status::PRESENCE)), ("presence", Str(presence.as_str()))],
            AgentFrame::Chat { kf_id, kf_name, user_id, user_name, content, msg_id } => {
                let mut f = vec![
                    ("kfId", Str(kf_id)),
                    ("kfName", Str(kf_name)),
                    ("userId", Id(user_id)),
                    ("userName", Str(user_name)),
                    ("content", Str(content)),
                ];
                if let Some(m) = msg_id {
                    f.push(("msgId", Str(m)));
                }
                f
            }
        }
    }

    /// The frame as the JSON text sent on the socket (native builds; the browser shell uses
    /// `JSON.stringify` on the same [`fields`](AgentFrame::fields)).
    #[cfg(feature = "json")]
    pub fn encode(&self) -> String {
        use serde::ser::{SerializeMap, Serializer};
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::new(&mut out);
        let fields = self.fields();
        let write = |ser: &mut serde_json::Serializer<&mut Vec<u8>>| -> Result<(), serde_json::Error> {
            let mut map = ser.serialize_map(Some(fields.len()))?;
            for (k, v) in &fields {
                match v {
                    FieldValue::Int(n) => map.serialize_entry(k, n)?,
                    FieldValue::Str(s) => map.serialize_entry(k, s)?,
                    FieldValue::StrList(l) => map.serialize_entry(k, l)?,
                    FieldValue::Bool(b) => map.serialize_entry(k, b)?,
                    FieldValue::Scalar(Scalar::Text(t)) => map.serialize_entry(k, t)?,
                    FieldValue::Scalar(Scalar::Number(n)) => match n.parse::<serde_json::Number>() {
                        Ok(num) => map.serialize_entry(k, &num)?,
                        Err(_) => map.serialize_entry(k, n)?,
                    },
                }
            }
            map.end()
        };
        // Writing strings and numbers into a Vec cannot fail.
        let _ = write(&mut ser);
        String::from_utf8(out).unwrap_or_default()
    }
}
