//! The store's face for reports: the conversations started in a date range with when the first
//! agent answered in each (see `crate::reports`).

use super::{Result, Store};
use crate::store::ReportRow;

/// The query, `?` placeholders: conversations started in [from, to), with their first agent reply.
pub(crate) const REPORT_ROWS: &str = "SELECT c.id, c.user_id, c.kf_id, c.agents, c.started_at, c.ended_at, c.outcome, c.tags, c.comment,
     c.rating, c.rating_comment,
     (SELECT MIN(m.created_at) FROM messages m WHERE m.user_id = c.user_id AND m.sender = 'agent'
        AND m.created_at >= c.started_at AND (c.ended_at IS NULL OR m.created_at <= c.ended_at)) AS first_reply,
     c.department
     FROM conversations c WHERE c.started_at >= ? AND c.started_at < ? ORDER BY c.id LIMIT 200000";

/// Messages created in [from, to) after row `after`, oldest first (`?` placeholders).
pub(crate) const MESSAGES_BETWEEN: &str = "SELECT id, sender, user_id, user_name, kf_id, content, created_at, recalled_at, client_msg_id FROM messages
     WHERE created_at >= ? AND created_at < ? AND id > ? ORDER BY id LIMIT ?";

/// One customer's messages after row `after`, oldest first (`?` placeholders).
pub(crate) const HISTORY_AFTER: &str = "SELECT id, sender, user_id, user_name, kf_id, content, created_at, recalled_at, client_msg_id FROM messages
     WHERE user_id = ? AND id > ? ORDER BY id LIMIT ?";

impl Store {
    /// A page of customer `user_id`'s messages after row id `after`, oldest first.
    pub fn history_after(&self, user_id: &str, after: i64, limit: u32) -> Result<Vec<super::StoredMessage>> {
        on_backend!(self.history_after(user_id, after, limit))
    }

    /// A page of the messages created in [`from`, `to`), after row id `after`, oldest first (an
    /// export walks them page by page, never all in memory).
    pub fn messages_between(&self, from: i64, to: i64, after: i64, limit: u32) -> Result<Vec<super::StoredMessage>> {
        on_backend!(self.messages_between(from, to, after, limit))
    }

    /// Conversations started in [`from`, `to`) (ms), with when the first agent answered.
    pub fn report_rows(&self, from: i64, to: i64) -> Result<Vec<ReportRow>> {
        on_backend!(self.report_rows(from, to))
    }
}
