//! The visitor protocol: frames between the customer's page and the server (our own design, JSON
//! with a `type` field; docs/protocol.md).

use serde_json::{json, Value};

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
    /// `{"type":"rate","stars":1..5,"comment":"…"}`: the customer rates the conversation that ended.
    Rate {
        /// 1 to 5.
        stars: i64,
        /// Optional words with it.
        comment: Option<String>,
    },
    /// `{"type":"leaveMessage","name","contact","content"}`: a message left while nobody can answer.
    LeaveMessage {
        /// The name they give.
        name: String,
        /// How to reach them.
        contact: String,
        /// What they want.
        content: String,
    },
    /// `{"type":"recall","msgId":"…"}`: the customer takes back one of their messages.
    Recall(String),
    /// `{"type":"department","id":"…"}`: the customer picks a department.
    Department(String),
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
    let v = super::parse_json(text)?;
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
        Some("rate") => match v.get("stars").and_then(Value::as_i64) {
            Some(stars @ 1..=5) => Ok(VisitorIn::Rate { stars, comment: short(&v, "comment", 1000).filter(|c| !c.trim().is_empty()) }),
            _ => Err("`stars` must be a whole number from 1 to 5".into()),
        },
        Some("leaveMessage") => {
            let field = |k: &str, max: usize| -> Result<String, String> {
                match v.get(k).and_then(Value::as_str).map(str::trim) {
                    Some(s) if !s.is_empty() && s.chars().count() <= max => Ok(s.to_owned()),
                    _ => Err(format!("`{k}` must be 1 to {max} characters")),
                }
            };
            Ok(VisitorIn::LeaveMessage { name: field("name", 64)?, contact: field("contact", 128)?, content: field("content", 5000)? })
        }
        Some("recall") => match v.get("msgId").and_then(Value::as_str) {
            Some(id) if !id.is_empty() && id.len() <= 128 => Ok(VisitorIn::Recall(id.to_owned())),
            _ => Err("`msgId` must be a string of 1 to 128 characters".into()),
        },
        Some("department") => match v.get("id").and_then(Value::as_str) {
            Some(id) if !id.is_empty() && id.len() <= 32 => Ok(VisitorIn::Department(id.to_owned())),
            _ => Err("`id` must be a department id of 1 to 32 characters".into()),
        },
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

/// Server → visitor: the conversation ended; with `rate`, the page asks for 1–5 stars.
pub fn visitor_ended(kf_id: Option<&str>, text: &str, rate: bool) -> String {
    json!({"type": "status", "state": "ended", "kfId": kf_id, "kfName": null, "text": text, "rate": rate}).to_string()
}

/// Server → visitor: nobody can answer now (outside business hours, or no agent online): the
/// page offers the form to leave a message. `next_open`: when the desk opens, if known.
/// `resume` as in [`visitor_waiting`].
pub fn visitor_offline(text: &str, next_open: Option<i64>, resume: Option<&str>) -> String {
    let mut f = json!({"type": "status", "state": "offline", "kfId": null, "kfName": null, "text": text, "nextOpen": next_open});
    if let Some(secret) = resume {
        f["resume"] = secret.into();
    }
    f.to_string()
}

/// Server → visitor: already queued, but nobody can answer now: the page offers the form to leave
/// a message beside the queue (its place in the queue stays as it was told).
pub fn visitor_offline_notice(text: &str, next_open: Option<i64>) -> String {
    json!({"type": "offline", "text": text, "nextOpen": next_open}).to_string()
}

/// Server → visitor: a line from the desk that is not a message (the idle warning).
pub fn visitor_notice(text: &str) -> String {
    json!({"type": "notice", "text": text}).to_string()
}

/// Server → visitor: their rating is stored (`stars`), or refused with `error`.
pub fn visitor_rated(stars: i64, error: Option<&str>) -> String {
    json!({"type": "rated", "stars": stars, "error": error}).to_string()
}

/// Server → visitor: the message they left is stored as `id`.
pub fn visitor_left(id: i64) -> String {
    json!({"type": "left", "id": id, "text": "留言已收到，我们会尽快回复您。"}).to_string()
}

/// Server → visitor: the messages they left and the answers they got (on every connection).
pub fn visitor_answers(items: &[crate::store::OfflineMessage]) -> String {
    let items: Vec<serde_json::Value> = items
        .iter()
        .map(|m| json!({"id": m.id, "content": m.content, "createdAt": m.created_at, "answer": m.answer, "handledAt": m.handled_at}))
        .collect();
    json!({"type": "answers", "items": items}).to_string()
}

/// Server → visitor: a message was recalled: an agent's (by its `seq`) or their own (by `msgId`,
/// or with `error` when it could not be).
pub fn visitor_recall(seq: Option<u64>, msg_id: Option<&str>, error: Option<&str>) -> String {
    json!({"type": "recall", "seq": seq, "msgId": msg_id, "error": error}).to_string()
}

/// Server → visitor: the departments to pick from (`list`: `{id, name}`), sent after the first
/// status when the desk asks customers who came without one.
pub fn visitor_departments(list: Value) -> String {
    json!({"type": "departments", "list": list, "text": "请选择您要咨询的服务"}).to_string()
}

/// Server → visitor: the department they picked.
pub fn visitor_department(id: &str, name: &str) -> String {
    json!({"type": "department", "id": id, "name": name}).to_string()
}

/// Server → visitor (asked for with `&history=1`): the customer's latest lines, oldest first —
/// `{"from":"visitor","content","createTime","msgId"}` and `{"from":"agent","kfId","kfName",
/// "content","createTime","seq"}`, `content` null when recalled — and `lastSeq`, the number of
/// the last agent line they cover (later ones come as messages after it).
pub fn visitor_history(lines: Vec<Value>, last_seq: u64) -> String {
    json!({"type": "history", "lines": lines, "lastSeq": last_seq}).to_string()
}
