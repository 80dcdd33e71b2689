//! What the store holds, as both backends return it.

use serde::Serialize;

/// Who wrote a stored message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sender {
    /// The customer.
    Visitor,
    /// The agent.
    Agent,
    /// The server (joins, transfers, endings).
    System,
    /// An agent's internal note (`kf_id` is its author); never shown to the customer.
    Note,
    /// A supervisor's whisper to the agent (`kf_id` is its author); never shown to the customer.
    Whisper,
}

impl Sender {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Sender::Visitor => "visitor",
            Sender::Agent => "agent",
            Sender::System => "system",
            Sender::Note => "note",
            Sender::Whisper => "whisper",
        }
    }
}

/// An agent's profile.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Agent {
    /// kfId.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Avatar URL (may be empty).
    pub image: String,
}

/// A conversation the store holds as not ended.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenConversation {
    /// The conversation's row id.
    pub id: i64,
    /// The customer.
    pub user_id: String,
    /// The customer's name.
    pub user_name: String,
    /// The agent it is assigned to.
    pub kf_id: String,
}

/// A stored chat message, as the chat-log page shows it.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StoredMessage {
    /// Row id (also the order).
    pub id: i64,
    /// `visitor`, `agent`, `system`, or, never shown to the customer, `note` or `whisper`.
    pub sender: String,
    /// The customer.
    pub user_id: String,
    /// The customer's name.
    pub user_name: String,
    /// The agent, if any yet.
    pub kf_id: Option<String>,
    /// Text.
    pub content: String,
    /// Milliseconds since the epoch.
    pub create_time: i64,
    /// Recalled by its sender (撤回): the text is gone from here (supervisors read it in the
    /// audit trail, [`crate::store::Store::recalled_original`]).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub recalled: bool,
    /// The id its sender's client gave it (extension `ack`), if any: a replayed message carries
    /// it again, so a recall can still name it. Not part of the HTTP answers.
    #[serde(skip)]
    pub msg_id: Option<String>,
}

/// A stored message delivered to a recipient under a sequence number.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    /// The recipient's sequence number.
    pub seq: u64,
    /// The message.
    pub message: StoredMessage,
}

/// One page of a customer's history.
#[derive(Clone, Debug, PartialEq)]
pub struct History {
    /// The messages, oldest first.
    pub list: Vec<StoredMessage>,
    /// All the customer's messages.
    pub total: i64,
    /// Whether older messages than the page's first exist.
    pub more: bool,
}

impl History {
    /// From rows read newest first, one more than `per_page` when there are older ones.
    pub(crate) fn from_newest(mut rows: Vec<StoredMessage>, per_page: u32, total: i64) -> History {
        let more = rows.len() > per_page as usize;
        rows.truncate(per_page as usize);
        rows.reverse();
        History { list: rows, total, more }
    }
}

/// A chat message to store, and (with `deliver_to`) to number for its recipient.
#[derive(Clone, Copy, Debug)]
pub struct NewMessage<'a> {
    /// The customer the conversation is with.
    pub user_id: &'a str,
    /// The customer's name.
    pub user_name: &'a str,
    /// The agent in the conversation, if one is.
    pub kf_id: Option<&'a str>,
    /// Who wrote it.
    pub sender: Sender,
    /// The text.
    pub content: &'a str,
    /// When it arrived, ms since the epoch.
    pub at_ms: i64,
    /// The sender's id for it (a resend with the same id stores nothing).
    pub client_msg_id: Option<&'a str>,
    /// `kf:<id>` or `v:<id>`: the recipient whose delivery numbering it joins.
    pub deliver_to: Option<&'a str>,
}

/// A message the visitor wrote while waiting, routed to the agent who accepted.
#[derive(Clone, Debug, PartialEq)]
pub struct RoutedMessage {
    /// The message's row id.
    pub id: i64,
    /// The text.
    pub content: String,
    /// When it was written, ms since the epoch.
    pub created_at: i64,
    /// Its delivery number for the agent.
    pub seq: u64,
}

/// What the store knows to check an agent's login and tokens.
#[derive(Clone, Debug, PartialEq)]
pub struct Credentials {
    /// The PHC string of the password hash (argon2), if a password is set.
    pub password_hash: Option<String>,
    /// `agent` or `supervisor`.
    pub role: String,
    /// Tokens issued before this time (ms since the epoch) are void: the agent logged out.
    pub tokens_after: i64,
}

/// A canned phrase.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Phrase {
    /// Row id.
    pub id: i64,
    /// Text.
    pub content: String,
    /// Category.
    pub source: String,
    /// What an agent types after `/` to find it (may be empty).
    pub shortcut: String,
}

/// How a conversation ended, what the agent noted at the end, and what the customer thought of it.
#[derive(Clone, Debug, Serialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ConversationSummary {
    /// The conversation's row id.
    pub id: i64,
    /// The customer.
    pub user_id: String,
    /// The agent it ended with (`""` for a customer who gave up in the queue).
    pub kf_id: String,
    /// Every agent who had it, in order (transfers and reassignments add to it).
    pub agents: Vec<String>,
    /// When it started (or the customer joined the queue), ms since the epoch.
    pub started_at: i64,
    /// When it ended, if it has.
    pub ended_at: Option<i64>,
    /// `agent`, `supervisor`, `idle`, `left` (the customer went away), `abandoned` (gave up
    /// waiting in the queue) or `transferred` (to a department another partition of the cluster
    /// routes); `None` while it is open.
    pub outcome: Option<String>,
    /// Disposition tags the agent picked at the end.
    pub tags: Vec<String>,
    /// The agent's closing comment.
    pub comment: Option<String>,
    /// The customer's rating, 1–5 stars.
    pub rating: Option<i64>,
    /// The customer's comment with the rating.
    pub rating_comment: Option<String>,
}

/// A message left while nobody could answer (留言), and what became of it.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OfflineMessage {
    /// Row id.
    pub id: i64,
    /// The customer's id (their page's).
    pub user_id: String,
    /// The name they gave.
    pub name: String,
    /// How to reach them (phone, e-mail…), as they wrote it.
    pub contact: String,
    /// What they wrote.
    pub content: String,
    /// When, ms since the epoch.
    pub created_at: i64,
    /// The agent who took it on.
    pub claimed_by: Option<String>,
    /// When it was marked handled.
    pub handled_at: Option<i64>,
    /// The agent's answer (shown to the customer when they come back) or note.
    pub answer: Option<String>,
}

/// What became of a recall (撤回).
#[derive(Clone, Debug, PartialEq)]
pub enum Recall {
    /// Recalled; `visitor_seq` is the message's delivery number on the customer's page (an agent's
    /// message), so the page knows which one to replace.
    Done {
        /// The message's row id.
        message_id: i64,
        /// Its delivery number for `v:<userId>`, if it was delivered there.
        visitor_seq: Option<u64>,
    },
    /// No message with that id from that sender in this conversation.
    NotFound,
    /// Older than the recall window.
    TooLate,
    /// Recalled before.
    Already,
}

/// One conversation of a report (`crate::reports`): how it ended and when the first agent answered.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    /// The conversation.
    pub c: ConversationSummary,
    /// The first agent message in it, ms.
    pub first_reply_at: Option<i64>,
    /// The department the customer came for (or was handed to), if any.
    pub department: Option<String>,
}
