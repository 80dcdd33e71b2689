//! The wire protocol as the server speaks it: agent frames in, status frames out (this file, with
//! the numbers in [`codes`]), and the visitor protocol ([`visitor`], our own design, JSON with a
//! `type` field).

pub mod codes;
mod lifecycle;
mod visitor;

pub use lifecycle::*;
pub use visitor::*;

use codes::{resp_status, status};
use serde_json::{json, Value};

/// Extension features this server offers in its hello (status 100). An agent opts in by answering
/// `{"respStatus":100,"features":[...]}`; until then it gets exactly the original frames.
pub const FEATURES: &[&str] = &[
    codes::WITHDRAW,
    codes::ACK,
    codes::SEQ,
    codes::PRESENCE,
    codes::QUEUE,
    codes::TYPING,
    codes::READ,
    codes::NOTES,
    codes::MONITOR,
    codes::RECALL,
    codes::LIFECYCLE,
    codes::FAILOVER,
];

/// Offered besides [`FEATURES`] only when the server runs with `--sneak-peek`: typing signals
/// carry the visitor's unsent text. ([`codes::BOARD`] is offered to supervisors only.)
pub const PEEK: &str = codes::PEEK;

/// A frame from an agent.
#[derive(Debug, PartialEq)]
pub enum AgentIn {
    /// respStatus 2.
    Accept {
        /// The customer.
        user_id: String,
    },
    /// respStatus 3.
    Decline {
        /// The customer.
        user_id: String,
    },
    /// respStatus 4.
    AcceptTransfer {
        /// The customer.
        user_id: String,
    },
    /// respStatus 5.
    RejectTransfer {
        /// The customer.
        user_id: String,
    },
    /// respStatus 9.
    Ping,
    /// respStatus 100: opt into extensions; with `seq`, the last sequence number it saw.
    Hello {
        /// The extensions chosen.
        features: Vec<String>,
        /// The last numbered frame it saw (extension `seq`).
        last_seq: Option<u64>,
    },
    /// respStatus 102 (extension `presence`): the agent is `online`, `busy` or `away`.
    SetPresence {
        /// The presence asked for.
        presence: String,
    },
    /// respStatus 103 (extension `typing`): the agent is typing to customer `user_id`, or stopped.
    Typing {
        /// The customer.
        user_id: String,
        /// Typing now, or stopped.
        typing: bool,
    },
    /// respStatus 104 (extension `read`): the agent has seen every message of `user_id` so far.
    Seen {
        /// The customer.
        user_id: String,
    },
    /// respStatus 105 (extension `notes`): an internal note in the conversation with `user_id`.
    Note {
        /// The customer.
        user_id: String,
        /// The note (never shown to the customer).
        content: String,
    },
    /// respStatus 107 (extension `monitor`, supervisors only): start or stop watching.
    Watch {
        /// The customer whose conversation.
        user_id: String,
        /// Start (true) or stop.
        watch: bool,
    },
    /// respStatus 109 (extension `supervise`, supervisors only): `whisper` (with `content`),
    /// `join`, `leave`, `reassign` (with `toKfId`) or `end`, as the HTTP face does them.
    Supervise {
        /// The action.
        action: String,
        /// The customer whose conversation.
        user_id: String,
        /// A whisper's text.
        content: Option<String>,
        /// Where a reassignment goes.
        to_kf_id: Option<String>,
    },
    /// respStatus 110 (extension `recall`): recall the agent's own message `msg_id`.
    Recall {
        /// The customer.
        user_id: String,
        /// The message's `msgId` (extension `ack`).
        msg_id: String,
    },
    /// No respStatus: a chat message (with `ack`, carrying the client's `msgId`).
    Chat {
        /// The customer.
        user_id: String,
        /// The text.
        content: String,
        /// The client's id for it (extension `ack`).
        msg_id: Option<String>,
    },
}

/// Field `key` of `v` as an id: a non-empty string, or a number as its JSON spelling.
pub(crate) fn id_of(v: &Value, key: &str) -> Result<String, String> {
    match v.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(format!("`{key}` must be a non-empty string or a number")),
    }
}

/// A frame's JSON, with every NUL character in its strings replaced by U+FFFD: PostgreSQL's text
/// refuses NUL (a message with one could not be stored, so it was never delivered), and both
/// stores then keep the same visible stand-in.
fn parse_json(text: &str) -> Result<Value, String> {
    let mut v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    // JSON can carry a NUL only as the escape `\u0000`: without one there is nothing to walk.
    if text.contains("\\u0000") {
        replace_nul(&mut v);
    }
    Ok(v)
}

/// Replaces every NUL character in `v`'s strings (keys too are left: no field is named with one) by U+FFFD.
pub fn replace_nul(v: &mut Value) {
    match v {
        Value::String(s) if s.contains('\0') => *s = s.replace('\0', "\u{fffd}"),
        Value::Array(items) => items.iter_mut().for_each(replace_nul),
        Value::Object(fields) => fields.values_mut().for_each(replace_nul),
        _ => {}
    }
}

/// Parses an agent frame; the error says what is wrong.
pub fn parse_agent_frame(text: &str) -> Result<AgentIn, String> {
    let v = parse_json(text)?;
    if !v.is_object() {
        return Err("not a JSON object".into());
    }
    let status = match v.get("respStatus") {
        None => None,
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.parse().ok(),
        Some(_) => return Err("`respStatus` must be a number".into()),
    };
    Ok(match status {
        None if v.get("respStatus").is_some() => return Err("`respStatus` must be an integer".into()),
        None => {
            let content = v.get("content").and_then(Value::as_str).ok_or("chat frame needs a string `content`")?;
            let msg_id = match v.get("msgId") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) if !s.is_empty() && s.len() <= 128 => Some(s.clone()),
                Some(_) => return Err("`msgId` must be a string of 1 to 128 characters".into()),
            };
            AgentIn::Chat { user_id: id_of(&v, "userId")?, content: content.to_owned(), msg_id }
        }
        Some(resp_status::ACCEPT) => AgentIn::Accept { user_id: id_of(&v, "userId")? },
        Some(resp_status::DECLINE) => AgentIn::Decline { user_id: id_of(&v, "userId")? },
        Some(resp_status::ACCEPT_TRANSFER) => AgentIn::AcceptTransfer { user_id: id_of(&v, "userId")? },
        Some(resp_status::REJECT_TRANSFER) => AgentIn::RejectTransfer { user_id: id_of(&v, "userId")? },
        Some(resp_status::PING) => AgentIn::Ping,
        Some(resp_status::HELLO) => AgentIn::Hello {
            last_seq: v.get("lastSeq").and_then(Value::as_u64),
            features: v
                .get("features")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|f| f.as_str().map(str::to_owned)).collect())
                .unwrap_or_default(),
        },
        Some(resp_status::TYPING) => AgentIn::Typing {
            user_id: id_of(&v, "userId")?,
            typing: v.get("typing").and_then(Value::as_bool).ok_or("`typing` must be true or false")?,
        },
        Some(resp_status::SEEN) => AgentIn::Seen { user_id: id_of(&v, "userId")? },
        Some(resp_status::NOTE) => match v.get("content").and_then(Value::as_str) {
            Some(c) if !c.trim().is_empty() => AgentIn::Note { user_id: id_of(&v, "userId")?, content: c.to_owned() },
            _ => return Err("a note needs a non-empty string `content`".into()),
        },
        Some(resp_status::WATCH) => AgentIn::Watch {
            user_id: id_of(&v, "userId")?,
            watch: v.get("watch").and_then(Value::as_bool).ok_or("`watch` must be true or false")?,
        },
        Some(resp_status::SUPERVISE) => match v.get("action").and_then(Value::as_str) {
            Some(a @ ("whisper" | "join" | "leave" | "reassign" | "end")) => AgentIn::Supervise {
                action: a.to_owned(),
                user_id: id_of(&v, "userId")?,
                content: v.get("content").and_then(Value::as_str).map(str::to_owned),
                to_kf_id: v.get("toKfId").and_then(Value::as_str).map(str::to_owned),
            },
            _ => return Err("`action` must be whisper, join, leave, reassign or end".into()),
        },
        Some(resp_status::RECALL) => match v.get("msgId").and_then(Value::as_str) {
            Some(id) if !id.is_empty() && id.len() <= 128 => AgentIn::Recall { user_id: id_of(&v, "userId")?, msg_id: id.to_owned() },
            _ => return Err("a recall needs the message's `msgId` (1 to 128 characters)".into()),
        },
        Some(resp_status::PRESENCE) => match v.get("presence").and_then(Value::as_str) {
            Some(p @ ("online" | "busy" | "away")) => AgentIn::SetPresence { presence: p.to_owned() },
            _ => return Err("`presence` must be \"online\", \"busy\" or \"away\"".into()),
        },
        Some(n) => return Err(format!("unknown respStatus {n}")),
    })
}

/// Status 1: a customer's message.
pub fn status_message(user_id: &str, user_name: &str, kf_id: &str, content: &str, create_time: i64) -> Value {
    json!({"status": status::MESSAGE, "data": {"userId": user_id, "userName": user_name, "kfId": kf_id, "content": content, "createTime": create_time}})
}

/// Status 2: a customer waits to be accepted.
pub fn status_waiting(user_id: &str, user_name: &str) -> Value {
    json!({"status": status::WAITING, "data": {"id": user_id, "userName": user_name}})
}

/// Status 102 (extension `presence`): the agent's presence and conversation cap, after the hello
/// and whenever either changes (from this socket, another device or a supervisor).
pub fn status_presence(presence: &str, max_conversations: usize) -> Value {
    json!({"status": status::PRESENCE, "data": {"presence": presence, "maxConversations": max_conversations}})
}

/// Status 3 (extension `withdraw`): an offer is no longer open.
pub fn status_withdrawn(user_id: &str, user_name: &str, reason: &str) -> Value {
    json!({"status": status::WITHDRAWN, "data": {"id": user_id, "userName": user_name, "reason": reason}})
}

/// Status 4: a colleague transfers a conversation.
pub fn status_transfer(user_id: &str, user_name: &str, from_kf_id: &str, from_kf_name: &str) -> Value {
    json!({"status": status::TRANSFER, "data": {"id": user_id, "userName": user_name, "fromKfId": from_kf_id, "fromKfName": from_kf_name}})
}

/// Status 5: the transfer was refused.
pub fn status_transfer_refused(user_id: &str, user_name: &str) -> Value {
    json!({"status": status::TRANSFER_REFUSED, "data": {"id": user_id, "userName": user_name}})
}

/// Status 9: heartbeat answer.
pub fn status_pong() -> String {
    json!({"status": status::HEARTBEAT}).to_string()
}

/// Status 100: the hello announcing extensions and this server run's `epoch`.
/// `board`, `boardDelta` and `supervise` are offered to supervisors' sockets only.
pub fn status_hello(epoch: &str, peek: bool, supervisor: bool) -> String {
    let mut features = FEATURES.to_vec();
    if peek {
        features.push(PEEK);
    }
    if supervisor {
        features.extend([codes::BOARD, codes::BOARD_DELTA, codes::SUPERVISE]);
    }
    json!({"status": status::HELLO, "data": {"server": "kefu-server", "version": 1, "features": features, "epoch": epoch}}).to_string()
}

/// Status 101 (extension `ack`): the chat message `msg_id` is stored and routed, or refused.
pub fn status_ack(msg_id: &str, error: Option<&str>) -> String {
    match error {
        None => json!({"status": status::ACK, "data": {"msgId": msg_id}}).to_string(),
        Some(e) => json!({"status": status::ACK, "data": {"msgId": msg_id, "error": e}}).to_string(),
    }
}

/// Status 103 (extension `typing`): customer `user_id` is typing (with `peek`, their unsent text).
pub fn status_typing(user_id: &str, typing: bool, text: Option<&str>) -> String {
    match text {
        Some(t) => json!({"status": status::TYPING, "data": {"userId": user_id, "typing": typing, "text": t}}),
        None => json!({"status": status::TYPING, "data": {"userId": user_id, "typing": typing}}),
    }
    .to_string()
}

/// Status 104 (extension `read`): customer `user_id` has been shown the agent messages `msg_ids`.
pub fn status_read(user_id: &str, msg_ids: &[String]) -> Value {
    json!({"status": status::READ, "data": {"userId": user_id, "msgIds": msg_ids}})
}

/// Status 105 (extension `notes`): an internal note (`kind` `"note"`, by an agent) or a whisper
/// (`"whisper"`, by a supervisor) in the conversation with customer `user_id`, for the agents in
/// it and the colleagues it mentions. Never sent to a customer.
pub fn status_note(n: &NoteFrame<'_>) -> Value {
    json!({"status": status::NOTE, "data": {
        "userId": n.user_id, "userName": n.user_name, "kind": n.kind, "fromKfId": n.from_kf_id,
        "fromKfName": n.from_kf_name, "content": n.content, "mentions": n.mentions, "createTime": n.create_time,
    }})
}

/// What a status 105 frame says.
pub struct NoteFrame<'a> {
    /// The customer the conversation is with.
    pub user_id: &'a str,
    /// Their name.
    pub user_name: &'a str,
    /// `"note"` (an agent's internal note), `"whisper"` (a supervisor to the agent) or
    /// `"supervisor"` (a copy of what a supervisor who joined told the customer).
    pub kind: &'a str,
    /// Who wrote it.
    pub from_kf_id: &'a str,
    /// Their name.
    pub from_kf_name: &'a str,
    /// The text.
    pub content: &'a str,
    /// The colleagues it mentions (`@kfId`).
    pub mentions: &'a [String],
    /// When, ms since the epoch.
    pub create_time: i64,
}

/// Status 106 (extension `board`, supervisors only): the live board.
pub fn status_board(board: &impl serde::Serialize) -> Value {
    json!({"status": status::BOARD, "data": board})
}

/// Status 107 (extension `monitor`): a watched conversation's messages — its history when
/// watching starts (`start`), then each new one.
pub fn status_monitor(user_id: &str, user_name: &str, kf_id: &str, messages: &[Value], start: bool) -> Value {
    json!({"status": status::MONITOR, "data": {"userId": user_id, "userName": user_name, "kfId": kf_id, "start": start, "messages": messages}})
}

/// Status 108 (extension `monitor`): who watches the conversation with `user_id` now.
pub fn status_viewers(user_id: &str, viewers: &[Value]) -> Value {
    json!({"status": status::VIEWERS, "data": {"userId": user_id, "viewers": viewers}})
}

/// Status 109 (extension `supervise`): how a supervisor's socket action went (`error` null: done).
pub fn status_supervised(action: &str, user_id: &str, error: Option<&str>) -> Value {
    json!({"status": status::SUPERVISED, "data": {"action": action, "userId": user_id, "error": error}})
}
