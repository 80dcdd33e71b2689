//! The wire protocol as the server speaks it: agent frames in, status frames out, and the
//! visitor protocol (our own design, JSON with a `type` field).

use serde_json::{json, Value};

/// Extension features this server offers in its hello (status 100). An agent opts in by answering
/// `{"respStatus":100,"features":[...]}`; until then it gets exactly the original frames.
pub const FEATURES: &[&str] = &["withdraw", "ack", "seq", "presence", "queue", "typing", "read"];

/// Offered besides [`FEATURES`] only when the server runs with `--sneak-peek`: typing signals
/// carry the visitor's unsent text.
pub const PEEK: &str = "peek";

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

fn id_of(v: &Value, key: &str) -> Result<String, String> {
    match v.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(format!("`{key}` must be a non-empty string or a number")),
    }
}

/// Parses an agent frame; the error says what is wrong.
pub fn parse_agent_frame(text: &str) -> Result<AgentIn, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
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
        Some(2) => AgentIn::Accept { user_id: id_of(&v, "userId")? },
        Some(3) => AgentIn::Decline { user_id: id_of(&v, "userId")? },
        Some(4) => AgentIn::AcceptTransfer { user_id: id_of(&v, "userId")? },
        Some(5) => AgentIn::RejectTransfer { user_id: id_of(&v, "userId")? },
        Some(9) => AgentIn::Ping,
        Some(100) => AgentIn::Hello {
            last_seq: v.get("lastSeq").and_then(Value::as_u64),
            features: v
                .get("features")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|f| f.as_str().map(str::to_owned)).collect())
                .unwrap_or_default(),
        },
        Some(103) => AgentIn::Typing {
            user_id: id_of(&v, "userId")?,
            typing: v.get("typing").and_then(Value::as_bool).ok_or("`typing` must be true or false")?,
        },
        Some(104) => AgentIn::Seen { user_id: id_of(&v, "userId")? },
        Some(102) => match v.get("presence").and_then(Value::as_str) {
            Some(p @ ("online" | "busy" | "away")) => AgentIn::SetPresence { presence: p.to_owned() },
            _ => return Err("`presence` must be \"online\", \"busy\" or \"away\"".into()),
        },
        Some(n) => return Err(format!("unknown respStatus {n}")),
    })
}

/// Status 1: a customer's message.
pub fn status_message(user_id: &str, user_name: &str, kf_id: &str, content: &str, create_time: i64) -> Value {
    json!({"status": 1, "data": {"userId": user_id, "userName": user_name, "kfId": kf_id, "content": content, "createTime": create_time}})
}

/// Status 2: a customer waits to be accepted.
pub fn status_waiting(user_id: &str, user_name: &str) -> Value {
    json!({"status": 2, "data": {"id": user_id, "userName": user_name}})
}

/// Status 102 (extension `presence`): the agent's presence and conversation cap, after the hello
/// and whenever either changes (from this socket, another device or a supervisor).
pub fn status_presence(presence: &str, max_conversations: usize) -> Value {
    json!({"status": 102, "data": {"presence": presence, "maxConversations": max_conversations}})
}

/// Status 3 (extension `withdraw`): an offer is no longer open.
pub fn status_withdrawn(user_id: &str, user_name: &str, reason: &str) -> Value {
    json!({"status": 3, "data": {"id": user_id, "userName": user_name, "reason": reason}})
}

/// Status 4: a colleague transfers a conversation.
pub fn status_transfer(user_id: &str, user_name: &str, from_kf_id: &str, from_kf_name: &str) -> Value {
    json!({"status": 4, "data": {"id": user_id, "userName": user_name, "fromKfId": from_kf_id, "fromKfName": from_kf_name}})
}

/// Status 5: the transfer was refused.
pub fn status_transfer_refused(user_id: &str, user_name: &str) -> Value {
    json!({"status": 5, "data": {"id": user_id, "userName": user_name}})
}

/// Status 9: heartbeat answer.
pub fn status_pong() -> String {
    r#"{"status":9}"#.to_owned()
}

/// Status 100: the hello announcing extensions and this server run's `epoch`.
pub fn status_hello(epoch: &str, peek: bool) -> String {
    let mut features = FEATURES.to_vec();
    if peek {
        features.push(PEEK);
    }
    json!({"status": 100, "data": {"server": "kefu-server", "version": 1, "features": features, "epoch": epoch}}).to_string()
}

/// Status 101 (extension `ack`): the chat message `msg_id` is stored and routed, or refused.
pub fn status_ack(msg_id: &str, error: Option<&str>) -> String {
    match error {
        None => json!({"status": 101, "data": {"msgId": msg_id}}).to_string(),
        Some(e) => json!({"status": 101, "data": {"msgId": msg_id, "error": e}}).to_string(),
    }
}

/// Status 103 (extension `typing`): customer `user_id` is typing (with `peek`, their unsent text).
pub fn status_typing(user_id: &str, typing: bool, text: Option<&str>) -> String {
    match text {
        Some(t) => json!({"status": 103, "data": {"userId": user_id, "typing": typing, "text": t}}),
        None => json!({"status": 103, "data": {"userId": user_id, "typing": typing}}),
    }
    .to_string()
}

/// Status 104 (extension `read`): customer `user_id` has been shown the agent messages `msg_ids`.
pub fn status_read(user_id: &str, msg_ids: &[String]) -> Value {
    json!({"status": 104, "data": {"userId": user_id, "msgIds": msg_ids}})
}

/// Server → visitor, first, only with `--sneak-peek`: typing signals may carry the unsent text.
pub fn visitor_hello(peek: bool) -> String {
    json!({"type": "hello", "peek": peek}).to_string()
}

/// Server → visitor: the agent is typing (or stopped).
pub fn visitor_typing(typing: bool) -> String {
    json!({"type": "typing", "typing": typing}).to_string()
}

/// Server → visitor: the agent has seen the visitor's messages `msg_ids`.
pub fn visitor_read(msg_ids: &[String]) -> String {
    json!({"type": "read", "msgIds": msg_ids}).to_string()
}

/// What a visitor page reports about itself (`{"type":"context",…}`); every field optional,
/// untrusted, and cut to a sane length.
#[derive(Debug, PartialEq, Clone, Default, serde::Serialize)]
pub struct PageContext {
    /// The page's URL.
    pub url: Option<String>,
    /// The page's title.
    pub title: Option<String>,
    /// `document.referrer`.
    pub referrer: Option<String>,
    /// `navigator.language`.
    pub language: Option<String>,
}

/// Visitor → server.
#[derive(Debug, PartialEq)]
pub enum VisitorIn {
    /// `{"type":"message","content":"…","msgId":"…"}` (`msgId` optional: acked and de-duplicated).
    Message(String, Option<String>),
    /// `{"type":"ping"}`.
    Ping,
    /// `{"type":"typing","typing":true,"text":"…"}` (`text` only when the server said `peek`).
    Typing {
        /// Typing now, or stopped.
        typing: bool,
        /// The unsent text (sneak peek).
        text: Option<String>,
    },
    /// `{"type":"read","seq":n}`: the page has shown every agent message up to its `seq` n.
    Read(u64),
    /// `{"type":"context","url","title","referrer","language"}`.
    Context(PageContext),
}

fn short(v: &Value, key: &str, max: usize) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(|s| s.chars().take(max).collect())
}

/// Query parameters that are secrets of the visitor's browser, never shown to agents.
const SECRET_PARAMS: &[&str] = &["sig", "exp", "resume", "token", "ticket"];

/// `url` without the visitor's secrets (`sig`, `exp`, `resume`, `token`, `ticket`) in its query or
/// fragment; a string that is not a URL is kept only up to its first `?` or `#`.
pub fn without_secrets(url: &str) -> String {
    let Ok(mut u) = url::Url::parse(url) else {
        return url.split(['?', '#']).next().unwrap_or_default().to_owned();
    };
    let secret_in_query = u.query_pairs().any(|(k, _)| SECRET_PARAMS.contains(&k.as_ref()));
    let secret_in_fragment = u.fragment().is_some_and(|f| SECRET_PARAMS.iter().any(|p| f.contains(&format!("{p}="))));
    if !secret_in_query && !secret_in_fragment {
        return url.to_owned(); // as the page reported it
    }
    let kept: Vec<(String, String)> = u.query_pairs().filter(|(k, _)| !SECRET_PARAMS.contains(&k.as_ref())).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    if kept.is_empty() {
        u.set_query(None);
    } else {
        u.query_pairs_mut().clear().extend_pairs(kept);
    }
    if secret_in_fragment {
        u.set_fragment(None);
    }
    u.to_string()
}

/// Parses a visitor frame.
pub fn parse_visitor_frame(text: &str) -> Result<VisitorIn, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    match v.get("type").and_then(Value::as_str) {
        Some("message") => {
            let c = v.get("content").and_then(Value::as_str).ok_or("message needs a string `content`")?;
            let id = match v.get("msgId") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) if !s.is_empty() && s.len() <= 128 => Some(s.clone()),
                Some(_) => return Err("`msgId` must be a string of 1 to 128 characters".into()),
            };
            Ok(VisitorIn::Message(c.to_owned(), id))
        }
        Some("ping") => Ok(VisitorIn::Ping),
        Some("typing") => Ok(VisitorIn::Typing {
            typing: v.get("typing").and_then(Value::as_bool).ok_or("`typing` must be true or false")?,
            text: short(&v, "text", 5000),
        }),
        Some("read") => v.get("seq").and_then(Value::as_u64).map(VisitorIn::Read).ok_or_else(|| "`seq` must be a whole number".into()),
        Some("context") => Ok(VisitorIn::Context(PageContext {
            url: short(&v, "url", 2048).map(|u| without_secrets(&u)),
            title: short(&v, "title", 512),
            referrer: short(&v, "referrer", 2048).map(|u| without_secrets(&u)),
            language: short(&v, "language", 64),
        })),
        Some(t) => Err(format!("unknown type {t:?}")),
        None => Err("missing `type`".into()),
    }
}

/// Server → visitor: the conversation state (`waiting`, `assigned`, `ended`) with a line of text.
pub fn visitor_status(state: &str, kf_id: Option<&str>, kf_name: Option<&str>, text: &str) -> String {
    json!({"type": "status", "state": state, "kfId": kf_id, "kfName": kf_name, "text": text}).to_string()
}

/// Server → visitor: connected, not queued yet: the customer joins the queue with their first
/// message (`resume` as in [`visitor_waiting`]).
pub fn visitor_ready(resume: Option<&str>) -> String {
    let mut f = json!({"type": "status", "state": "ready", "kfId": null, "kfName": null, "text": "您好，请问有什么可以帮您？发送消息后为您接入客服。"});
    if let Some(secret) = resume {
        f["resume"] = secret.into();
    }
    f.to_string()
}

/// Server → visitor: still waiting, at `position` in the queue (1 = next), with an estimated wait
/// from recent handling times (`null` until there are any); `resume` only in a new customer id's
/// first frame: the secret the page must keep (`?resume=` on every later connection).
pub fn visitor_waiting(position: usize, eta_seconds: Option<u64>, resume: Option<&str>) -> String {
    waiting_frame("正在为您接入客服，", position, eta_seconds, resume)
}

/// The waiting status when no agent can take the visitor now (all busy, away or at their cap):
/// the same fields, saying so.
pub fn visitor_busy(position: usize, eta_seconds: Option<u64>) -> String {
    waiting_frame("客服忙，请稍候，我们会尽快为您接入。", position, eta_seconds, None)
}

fn waiting_frame(lead: &str, position: usize, eta_seconds: Option<u64>, resume: Option<&str>) -> String {
    let ahead = position.saturating_sub(1);
    let mut text = lead.to_owned();
    text.push_str(&if ahead == 0 { "您是下一位。".to_owned() } else { format!("您前面还有 {ahead} 位。") });
    if let Some(eta) = eta_seconds {
        text.push_str(&format!("预计等待约 {} 分钟。", eta.div_ceil(60)));
    }
    let mut f = json!({"type": "status", "state": "waiting", "kfId": null, "kfName": null, "text": text, "position": position, "etaSeconds": eta_seconds});
    if let Some(secret) = resume {
        f["resume"] = secret.into();
    }
    f.to_string()
}

/// Server → visitor: an agent's message, numbered for replay (`?lastSeq=` on reconnect).
pub fn visitor_message(kf_id: &str, kf_name: &str, content: &str, create_time: i64, seq: u64) -> String {
    json!({"type": "message", "from": "agent", "kfId": kf_id, "kfName": kf_name, "content": content, "createTime": create_time, "seq": seq}).to_string()
}

/// Server → visitor: the message `msg_id` is stored.
pub fn visitor_ack(msg_id: &str) -> String {
    json!({"type": "ack", "msgId": msg_id}).to_string()
}

/// Server → visitor: an error about the visitor's last frame.
pub fn visitor_error(error: &str) -> String {
    json!({"type": "error", "error": error}).to_string()
}

/// Server → visitor: heartbeat answer.
pub fn visitor_pong() -> String {
    r#"{"type":"pong"}"#.to_owned()
}
