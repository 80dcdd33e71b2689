//! A conversation's life in PostgreSQL (the same rows and answers as the SQLite backend's
//! `lifecycle.rs`): close-out, ratings, customers who gave up, 留言, recalls, settings.

use super::PgStore;
use crate::store::{ConversationSummary, OfflineMessage, Recall, Result, Write};
use postgres::Row;

/// The lifecycle columns and tables, for [`super::migrate`] (idempotent).
pub(super) const SCHEMA: &str = "
    ALTER TABLE conversations ADD COLUMN IF NOT EXISTS outcome TEXT;
    ALTER TABLE conversations ADD COLUMN IF NOT EXISTS tags TEXT;
    ALTER TABLE conversations ADD COLUMN IF NOT EXISTS comment TEXT;
    ALTER TABLE conversations ADD COLUMN IF NOT EXISTS rating BIGINT;
    ALTER TABLE conversations ADD COLUMN IF NOT EXISTS rating_comment TEXT;
    ALTER TABLE conversations ADD COLUMN IF NOT EXISTS agents TEXT;
    ALTER TABLE conversations ADD COLUMN IF NOT EXISTS department TEXT;
    ALTER TABLE messages ADD COLUMN IF NOT EXISTS recalled_at BIGINT;
    CREATE INDEX IF NOT EXISTS conversations_user ON conversations(user_id, id);
    CREATE TABLE IF NOT EXISTS offline_messages(id BIGSERIAL PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL,
        contact TEXT NOT NULL, content TEXT NOT NULL, created_at BIGINT NOT NULL, claimed_by TEXT, claimed_at BIGINT,
        handled_at BIGINT, answer TEXT);
    CREATE INDEX IF NOT EXISTS offline_messages_user ON offline_messages(user_id, id);
    CREATE TABLE IF NOT EXISTS recalls(message_id BIGINT PRIMARY KEY, content TEXT NOT NULL, recalled_by TEXT NOT NULL,
        recalled_at BIGINT NOT NULL);";

const COLUMNS: &str = "id, user_id, kf_id, agents, started_at, ended_at, outcome, tags, comment, rating, rating_comment";
const OFFLINE: &str = "SELECT id, user_id, name, contact, content, created_at, claimed_by, handled_at, answer FROM offline_messages";

pub(super) fn summary(r: &Row) -> ConversationSummary {
    let kf_id: String = r.get(2);
    let agents: Option<String> = r.get(3);
    let tags: Option<String> = r.get(7);
    ConversationSummary {
        id: r.get(0),
        user_id: r.get(1),
        agents: crate::store::chain(agents.as_deref(), &kf_id),
        kf_id,
        started_at: r.get(4),
        ended_at: r.get(5),
        outcome: r.get(6),
        tags: crate::store::tags_of(tags.as_deref()),
        comment: r.get(8),
        rating: r.get(9),
        rating_comment: r.get(10),
    }
}

fn offline(r: &Row) -> OfflineMessage {
    OfflineMessage {
        id: r.get(0),
        user_id: r.get(1),
        name: r.get(2),
        contact: r.get(3),
        content: r.get(4),
        created_at: r.get(5),
        claimed_by: r.get(6),
        handled_at: r.get(7),
        answer: r.get(8),
    }
}

impl PgStore {
    /// See [`crate::store::Store::end_and_close_out`].
    pub fn end_and_close_out(&self, conversation: i64, now: i64, outcome: &str, tags: &[String], comment: Option<&str>) -> Result<()> {
        let w = Write::End { conversation, at: now, outcome: outcome.to_owned(), tags: tags.to_vec(), comment: comment.map(str::to_owned) };
        self.run(move |c| super::writes::apply(c.client()?, &w)).map(|_| ())
    }

    /// See [`crate::store::Store::record_abandoned`].
    pub fn record_abandoned(&self, user_id: &str, user_name: &str, since: i64, now: i64, department: Option<&str>) -> Result<i64> {
        let (user_id, user_name, department) = (user_id.to_owned(), user_name.to_owned(), department.map(str::to_owned));
        self.run(move |c| Ok(c.client()?.query_one(super::writes::ABANDONED, &[&vec![user_id], &vec![user_name], &vec![since], &vec![now], &vec![department]])?.get(0)))
    }

    /// See [`crate::store::Store::rate`].
    pub fn rate(&self, user_id: &str, stars: i64, comment: Option<&str>, not_before: i64) -> Result<Option<ConversationSummary>> {
        let (user_id, comment) = (user_id.to_owned(), comment.map(str::to_owned));
        self.run(move |c| {
            let row = c.client()?.query_opt(
                &format!(
                    "UPDATE conversations SET rating = $2, rating_comment = $3 WHERE id = (
                         SELECT id FROM conversations WHERE user_id = $1 AND ended_at IS NOT NULL AND ended_at >= $4 AND kf_id <> ''
                         AND rating IS NULL ORDER BY id DESC LIMIT 1 FOR UPDATE)
                     RETURNING {COLUMNS}"
                ),
                &[&user_id, &stars, &comment, &not_before],
            )?;
            Ok(row.as_ref().map(summary))
        })
    }

    /// See [`crate::store::Store::conversations_of`].
    pub fn conversations_of(&self, user_id: &str, limit: u32) -> Result<Vec<ConversationSummary>> {
        let user_id = user_id.to_owned();
        self.run(move |c| {
            let rows = c.client()?.query(&format!("SELECT {COLUMNS} FROM conversations WHERE user_id = $1 ORDER BY id DESC LIMIT $2"), &[&user_id, &(limit as i64)])?;
            Ok(rows.iter().map(summary).collect())
        })
    }

    /// See [`crate::store::Store::add_offline_message`].
    pub fn add_offline_message(&self, user_id: &str, name: &str, contact: &str, content: &str, now: i64) -> Result<i64> {
        let (u, n, ct, body) = (user_id.to_owned(), name.to_owned(), contact.to_owned(), content.to_owned());
        self.run(move |c| {
            Ok(c.client()?
                .query_one(
                    "INSERT INTO offline_messages(user_id, name, contact, content, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    &[&u, &n, &ct, &body, &now],
                )?
                .get(0))
        })
    }

    /// See [`crate::store::Store::offline_messages`].
    pub fn offline_messages(&self, open_only: bool, limit: u32) -> Result<Vec<OfflineMessage>> {
        self.run(move |c| {
            let filter = if open_only { " WHERE handled_at IS NULL" } else { "" };
            let rows = c.client()?.query(&format!("{OFFLINE}{filter} ORDER BY id DESC LIMIT $1"), &[&(limit as i64)])?;
            Ok(rows.iter().map(offline).collect())
        })
    }

    /// See [`crate::store::Store::offline_messages_of`].
    pub fn offline_messages_of(&self, user_id: &str) -> Result<Vec<OfflineMessage>> {
        let user_id = user_id.to_owned();
        self.run(move |c| {
            let rows = c.client()?.query(&format!("{OFFLINE} WHERE user_id = $1 ORDER BY id DESC LIMIT 20"), &[&user_id])?;
            Ok(rows.iter().map(offline).collect())
        })
    }

    /// See [`crate::store::Store::offline_message`].
    pub fn offline_message(&self, id: i64) -> Result<Option<OfflineMessage>> {
        self.run(move |c| Ok(c.client()?.query_opt(&format!("{OFFLINE} WHERE id = $1"), &[&id])?.as_ref().map(offline)))
    }

    /// See [`crate::store::Store::claim_offline_message`].
    pub fn claim_offline_message(&self, id: i64, kf_id: &str, now: i64) -> Result<bool> {
        let kf_id = kf_id.to_owned();
        self.run(move |c| {
            c.client()?
                .execute(
                    "UPDATE offline_messages SET claimed_by = $2, claimed_at = $3 WHERE id = $1 AND claimed_by IS NULL AND handled_at IS NULL",
                    &[&id, &kf_id, &now],
                )
                .map(|n| n == 1)
        })
    }

    /// See [`crate::store::Store::handle_offline_message`].
    pub fn handle_offline_message(&self, id: i64, kf_id: &str, answer: &str, now: i64) -> Result<bool> {
        let (kf_id, answer) = (kf_id.to_owned(), answer.to_owned());
        self.run(move |c| {
            c.client()?
                .execute(
                    "UPDATE offline_messages SET handled_at = $3, answer = $4, claimed_by = COALESCE(claimed_by, $2)
                     WHERE id = $1 AND handled_at IS NULL AND (claimed_by IS NULL OR claimed_by = $2)",
                    &[&id, &kf_id, &now, &answer],
                )
                .map(|n| n == 1)
        })
    }

    /// See [`crate::store::Store::recall`].
    pub fn recall(&self, user_id: &str, sender: &str, client_msg_id: &str, by: &str, now: i64, window_ms: i64) -> Result<Recall> {
        let (user_id, sender, client_msg_id, by) = (user_id.to_owned(), sender.to_owned(), client_msg_id.to_owned(), by.to_owned());
        self.run(move |c| {
            let mut tx = c.client()?.transaction()?;
            let row = tx.query_opt(
                "SELECT id, created_at, recalled_at, content FROM messages WHERE user_id = $1 AND sender = $2 AND client_msg_id = $3
                 AND (sender = 'visitor' OR kf_id = $4) FOR UPDATE",
                &[&user_id, &sender, &client_msg_id, &by],
            )?;
            let Some(row) = row else { return Ok(Recall::NotFound) };
            let (id, created, recalled, content): (i64, i64, Option<i64>, String) = (row.get(0), row.get(1), row.get(2), row.get(3));
            if recalled.is_some() {
                return Ok(Recall::Already);
            }
            if now - created > window_ms {
                return Ok(Recall::TooLate);
            }
            tx.execute("INSERT INTO recalls(message_id, content, recalled_by, recalled_at) VALUES ($1, $2, $3, $4)", &[&id, &content, &by, &now])?;
            tx.execute("UPDATE messages SET content = '', recalled_at = $2 WHERE id = $1", &[&id, &now])?;
            let seq: Option<i64> = tx
                .query_opt("SELECT seq FROM deliveries WHERE recipient = $1 AND message_id = $2", &[&format!("v:{user_id}"), &id])?
                .map(|r| r.get(0));
            tx.commit()?;
            Ok(Recall::Done { message_id: id, visitor_seq: seq.map(|s| s as u64) })
        })
    }

    /// See [`crate::store::Store::recalled_originals`].
    pub fn recalled_originals(&self, user_id: &str) -> Result<Vec<(i64, String, String, i64)>> {
        let user_id = user_id.to_owned();
        self.run(move |c| {
            let rows = c.client()?.query(
                "SELECT r.message_id, r.content, r.recalled_by, r.recalled_at FROM recalls r JOIN messages m ON m.id = r.message_id
                 WHERE m.user_id = $1 ORDER BY r.message_id",
                &[&user_id],
            )?;
            Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))).collect())
        })
    }

    /// See [`crate::store::Store::meta`].
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        let key = key.to_owned();
        self.run(move |c| Ok(c.client()?.query_opt("SELECT value FROM meta WHERE key = $1", &[&key])?.map(|r| r.get(0))))
    }

    /// See [`crate::store::Store::set_meta`].
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.run(move |c| {
            c.client()?
                .execute("INSERT INTO meta(key, value) VALUES ($1, $2) ON CONFLICT(key) DO UPDATE SET value = excluded.value", &[&key, &value])
                .map(|_| ())
        })
    }
}
