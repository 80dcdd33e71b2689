//! The store's face for a conversation's life: close-out, ratings, customers who gave up in the
//! queue, messages left while nobody could answer (留言), recalls (撤回) and their audit trail,
//! and settings supervisors change at run time (kept in `meta`, shared by a cluster's nodes).

use super::{ConversationSummary, OfflineMessage, Recall, Result, Store};

/// The transfer chain from the `agents` column (`a,b,c`), or just the agent it is with.
pub(crate) fn chain(agents: Option<&str>, kf_id: &str) -> Vec<String> {
    match agents {
        Some(a) if !a.is_empty() => a.split(',').map(str::to_owned).collect(),
        _ if kf_id.is_empty() => Vec::new(),
        _ => vec![kf_id.to_owned()],
    }
}

/// The tags from the `tags` column (a JSON array).
pub(crate) fn tags_of(tags: Option<&str>) -> Vec<String> {
    tags.and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default()
}

impl Store {
    /// Ends conversation `conversation` at `now` and records how: `outcome` (`agent`, `supervisor`,
    /// `idle`, `left`, `agent_left`), the agent's disposition tags and comment — one statement, one
    /// commit (the hub ends conversations under its lock).
    pub fn end_and_close_out(&self, conversation: i64, now: i64, outcome: &str, tags: &[String], comment: Option<&str>) -> Result<()> {
        on_backend!(self.end_and_close_out(conversation, now, outcome, tags, comment))
    }

    /// Records a customer who gave up waiting in the queue (from `since` to `now`) as a
    /// conversation with no agent and outcome `abandoned`, in `department`'s line. Returns its id.
    pub fn record_abandoned(&self, user_id: &str, user_name: &str, since: i64, now: i64, department: Option<&str>) -> Result<i64> {
        on_backend!(self.record_abandoned(user_id, user_name, since, now, department))
    }

    /// Rates the customer's latest conversation that ended at or after `not_before` and has no
    /// rating yet: 1–5 `stars` and an optional comment. Returns the rated conversation, `None` when
    /// there is none to rate (never one twice).
    pub fn rate(&self, user_id: &str, stars: i64, comment: Option<&str>, not_before: i64) -> Result<Option<ConversationSummary>> {
        on_backend!(self.rate(user_id, stars, comment, not_before))
    }

    /// The customer's latest `limit` conversations, newest first, with how each ended.
    pub fn conversations_of(&self, user_id: &str, limit: u32) -> Result<Vec<ConversationSummary>> {
        on_backend!(self.conversations_of(user_id, limit))
    }

    /// Stores a message left while nobody could answer; returns its id.
    pub fn add_offline_message(&self, user_id: &str, name: &str, contact: &str, content: &str, now: i64) -> Result<i64> {
        on_backend!(self.add_offline_message(user_id, name, contact, content, now))
    }

    /// The latest `limit` messages left, newest first (only those not handled yet with `open_only`).
    pub fn offline_messages(&self, open_only: bool, limit: u32) -> Result<Vec<OfflineMessage>> {
        on_backend!(self.offline_messages(open_only, limit))
    }

    /// The messages customer `user_id` left (their latest 20), newest first.
    pub fn offline_messages_of(&self, user_id: &str) -> Result<Vec<OfflineMessage>> {
        on_backend!(self.offline_messages_of(user_id))
    }

    /// One message left, by id.
    pub fn offline_message(&self, id: i64) -> Result<Option<OfflineMessage>> {
        on_backend!(self.offline_message(id))
    }

    /// Agent `kf_id` takes message `id` on; false when someone else has, or it is handled.
    pub fn claim_offline_message(&self, id: i64, kf_id: &str, now: i64) -> Result<bool> {
        on_backend!(self.claim_offline_message(id, kf_id, now))
    }

    /// Agent `kf_id` marks message `id` handled with `answer`; false when another agent claimed it
    /// or it is handled already.
    pub fn handle_offline_message(&self, id: i64, kf_id: &str, answer: &str, now: i64) -> Result<bool> {
        on_backend!(self.handle_offline_message(id, kf_id, answer, now))
    }

    /// Recalls the message `client_msg_id` that `sender` (`agent` or `visitor`) wrote in the
    /// conversation with `user_id`, if it is at most `window_ms` old: its text leaves the message
    /// (history, replay) and is kept, with who recalled it (`by`) and when, in the audit trail. An
    /// agent's message is recalled only by its author (`by` is the kfId).
    pub fn recall(&self, user_id: &str, sender: &str, client_msg_id: &str, by: &str, now: i64, window_ms: i64) -> Result<Recall> {
        on_backend!(self.recall(user_id, sender, client_msg_id, by, now, window_ms))
    }

    /// The audit trail of recalls in the conversation with `user_id`: `(message id, original
    /// text, recalled by, when)`. Supervisors only.
    pub fn recalled_originals(&self, user_id: &str) -> Result<Vec<(i64, String, String, i64)>> {
        on_backend!(self.recalled_originals(user_id))
    }

    /// A setting kept in `meta`.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        on_backend!(self.meta(key))
    }

    /// Sets a setting kept in `meta`.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        on_backend!(self.set_meta(key, value))
    }
}
