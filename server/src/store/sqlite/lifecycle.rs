//! A conversation's life in SQLite: how it ended (close-out tags, comment, outcome), the
//! customer's rating, customers who gave up in the queue, messages left while nobody could answer
//! (留言), recalls with their audit trail, and settings kept in `meta`.

use super::SqliteStore;
use crate::store::{ConversationSummary, OfflineMessage, Recall};
use rusqlite::{params, Connection, OptionalExtension};

/// Adds the lifecycle columns and tables to a store created before they existed.
pub(super) fn migrate(db: &Connection) -> rusqlite::Result<()> {
    for (table, column, ddl) in [
        ("conversations", "outcome", "ALTER TABLE conversations ADD COLUMN outcome TEXT"),
        ("conversations", "tags", "ALTER TABLE conversations ADD COLUMN tags TEXT"),
        ("conversations", "comment", "ALTER TABLE conversations ADD COLUMN comment TEXT"),
        ("conversations", "rating", "ALTER TABLE conversations ADD COLUMN rating INTEGER"),
        ("conversations", "rating_comment", "ALTER TABLE conversations ADD COLUMN rating_comment TEXT"),
        ("conversations", "agents", "ALTER TABLE conversations ADD COLUMN agents TEXT"),
        ("conversations", "department", "ALTER TABLE conversations ADD COLUMN department TEXT"),
        ("messages", "recalled_at", "ALTER TABLE messages ADD COLUMN recalled_at INTEGER"),
    ] {
        let exists = db.prepare(&format!("SELECT 1 FROM pragma_table_info('{table}') WHERE name = ?1"))?.exists([column])?;
        if !exists {
            db.execute_batch(ddl)?;
        }
    }
    db.execute_batch(
        "CREATE INDEX IF NOT EXISTS conversations_user ON conversations(user_id, id);
         CREATE TABLE IF NOT EXISTS offline_messages(id INTEGER PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL,
             contact TEXT NOT NULL, content TEXT NOT NULL, created_at INTEGER NOT NULL, claimed_by TEXT, claimed_at INTEGER,
             handled_at INTEGER, answer TEXT);
         CREATE INDEX IF NOT EXISTS offline_messages_user ON offline_messages(user_id, id);
         CREATE TABLE IF NOT EXISTS recalls(message_id INTEGER PRIMARY KEY, content TEXT NOT NULL, recalled_by TEXT NOT NULL,
             recalled_at INTEGER NOT NULL);",
    )
}

/// Reads `id, user_id, kf_id, agents, started_at, ended_at, outcome, tags, comment, rating, rating_comment`.
pub(crate) fn summary(r: &rusqlite::Row<'_>) -> rusqlite::Result<ConversationSummary> {
    let kf_id: String = r.get(2)?;
    let agents: Option<String> = r.get(3)?;
    let tags: Option<String> = r.get(7)?;
    Ok(ConversationSummary {
        id: r.get(0)?,
        user_id: r.get(1)?,
        agents: crate::store::chain(agents.as_deref(), &kf_id),
        kf_id,
        started_at: r.get(4)?,
        ended_at: r.get(5)?,
        outcome: r.get(6)?,
        tags: crate::store::tags_of(tags.as_deref()),
        comment: r.get(8)?,
        rating: r.get(9)?,
        rating_comment: r.get(10)?,
    })
}

/// Reads `id, user_id, name, contact, content, created_at, claimed_by, handled_at, answer`.
fn offline(r: &rusqlite::Row<'_>) -> rusqlite::Result<OfflineMessage> {
    Ok(OfflineMessage {
        id: r.get(0)?,
        user_id: r.get(1)?,
        name: r.get(2)?,
        contact: r.get(3)?,
        content: r.get(4)?,
        created_at: r.get(5)?,
        claimed_by: r.get(6)?,
        handled_at: r.get(7)?,
        answer: r.get(8)?,
    })
}

const SUMMARY: &str = "SELECT id, user_id, kf_id, agents, started_at, ended_at, outcome, tags, comment, rating, rating_comment FROM conversations";
const OFFLINE: &str = "SELECT id, user_id, name, contact, content, created_at, claimed_by, handled_at, answer FROM offline_messages";

impl SqliteStore {
    /// See [`crate::store::Store::end_and_close_out`].
    pub fn end_and_close_out(&self, conversation: i64, now: i64, outcome: &str, tags: &[String], comment: Option<&str>) -> rusqlite::Result<()> {
        let tags = serde_json::to_string(tags).unwrap_or_else(|_| "[]".into());
        let ended = "UPDATE conversations SET ended_at = ?2, outcome = ?3, tags = ?4, comment = ?5 WHERE id = ?1";
        self.db().execute(ended, params![conversation, now, outcome, tags, comment]).map(|_| ())
    }

    /// See [`crate::store::Store::record_abandoned`].
    pub fn record_abandoned(&self, user_id: &str, user_name: &str, since: i64, now: i64, department: Option<&str>) -> rusqlite::Result<i64> {
        let db = self.db();
        db.execute(
            "INSERT INTO conversations(user_id, user_name, kf_id, started_at, ended_at, outcome, department) VALUES (?1, ?2, '', ?3, ?4, 'abandoned', ?5)",
            params![user_id, user_name, since, now, department],
        )?;
        Ok(db.last_insert_rowid())
    }

    /// See [`crate::store::Store::rate`].
    pub fn rate(&self, user_id: &str, stars: i64, comment: Option<&str>, not_before: i64) -> rusqlite::Result<Option<ConversationSummary>> {
        let db = self.db();
        let id: Option<i64> = db
            .query_row(
                "SELECT id FROM conversations WHERE user_id = ?1 AND ended_at IS NOT NULL AND ended_at >= ?2 AND kf_id <> ''
                 AND rating IS NULL ORDER BY id DESC LIMIT 1",
                params![user_id, not_before],
                |r| r.get(0),
            )
            .optional()?;
        let Some(id) = id else { return Ok(None) };
        db.execute("UPDATE conversations SET rating = ?2, rating_comment = ?3 WHERE id = ?1", params![id, stars, comment])?;
        db.query_row(&format!("{SUMMARY} WHERE id = ?1"), [id], summary).optional()
    }

    /// See [`crate::store::Store::conversations_of`].
    pub fn conversations_of(&self, user_id: &str, limit: u32) -> rusqlite::Result<Vec<ConversationSummary>> {
        let db = self.db();
        let mut st = db.prepare(&format!("{SUMMARY} WHERE user_id = ?1 ORDER BY id DESC LIMIT ?2"))?;
        let rows = st.query_map(params![user_id, limit], summary)?.collect();
        rows
    }

    /// See [`crate::store::Store::add_offline_message`].
    pub fn add_offline_message(&self, user_id: &str, name: &str, contact: &str, content: &str, now: i64) -> rusqlite::Result<i64> {
        let db = self.db();
        db.execute(
            "INSERT INTO offline_messages(user_id, name, contact, content, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![user_id, name, contact, content, now],
        )?;
        Ok(db.last_insert_rowid())
    }

    /// See [`crate::store::Store::offline_messages`].
    pub fn offline_messages(&self, open_only: bool, limit: u32) -> rusqlite::Result<Vec<OfflineMessage>> {
        let db = self.db();
        let filter = if open_only { " WHERE handled_at IS NULL" } else { "" };
        let mut st = db.prepare(&format!("{OFFLINE}{filter} ORDER BY id DESC LIMIT ?1"))?;
        let rows = st.query_map([limit], offline)?.collect();
        rows
    }

    /// See [`crate::store::Store::offline_messages_of`].
    pub fn offline_messages_of(&self, user_id: &str) -> rusqlite::Result<Vec<OfflineMessage>> {
        let db = self.db();
        let mut st = db.prepare(&format!("{OFFLINE} WHERE user_id = ?1 ORDER BY id DESC LIMIT 20"))?;
        let rows = st.query_map([user_id], offline)?.collect();
        rows
    }

    /// See [`crate::store::Store::offline_message`].
    pub fn offline_message(&self, id: i64) -> rusqlite::Result<Option<OfflineMessage>> {
        self.db().query_row(&format!("{OFFLINE} WHERE id = ?1"), [id], offline).optional()
    }

    /// See [`crate::store::Store::claim_offline_message`].
    pub fn claim_offline_message(&self, id: i64, kf_id: &str, now: i64) -> rusqlite::Result<bool> {
        self.db()
            .execute(
                "UPDATE offline_messages SET claimed_by = ?2, claimed_at = ?3 WHERE id = ?1 AND claimed_by IS NULL AND handled_at IS NULL",
                params![id, kf_id, now],
            )
            .map(|n| n == 1)
    }

    /// See [`crate::store::Store::handle_offline_message`].
    pub fn handle_offline_message(&self, id: i64, kf_id: &str, answer: &str, now: i64) -> rusqlite::Result<bool> {
        self.db()
            .execute(
                "UPDATE offline_messages SET handled_at = ?3, answer = ?4, claimed_by = COALESCE(claimed_by, ?2)
                 WHERE id = ?1 AND handled_at IS NULL AND (claimed_by IS NULL OR claimed_by = ?2)",
                params![id, kf_id, now, answer],
            )
            .map(|n| n == 1)
    }

    /// See [`crate::store::Store::recall`].
    pub fn recall(&self, user_id: &str, sender: &str, client_msg_id: &str, by: &str, now: i64, window_ms: i64) -> rusqlite::Result<Recall> {
        let mut db = self.db();
        let tx = db.transaction()?;
        let row: Option<(i64, i64, Option<i64>, String)> = tx
            .query_row(
                "SELECT id, created_at, recalled_at, content FROM messages WHERE user_id = ?1 AND sender = ?2 AND client_msg_id = ?3
                 AND (sender = 'visitor' OR kf_id = ?4)",
                params![user_id, sender, client_msg_id, by],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((id, created, recalled, content)) = row else { return Ok(Recall::NotFound) };
        if recalled.is_some() {
            return Ok(Recall::Already);
        }
        if now - created > window_ms {
            return Ok(Recall::TooLate);
        }
        tx.execute("INSERT INTO recalls(message_id, content, recalled_by, recalled_at) VALUES (?1, ?2, ?3, ?4)", params![id, content, by, now])?;
        tx.execute("UPDATE messages SET content = '', recalled_at = ?2 WHERE id = ?1", params![id, now])?;
        let seq: Option<i64> = tx
            .query_row("SELECT seq FROM deliveries WHERE recipient = ?1 AND message_id = ?2", params![format!("v:{user_id}"), id], |r| r.get(0))
            .optional()?;
        tx.commit()?;
        Ok(Recall::Done { message_id: id, visitor_seq: seq.map(|s| s as u64) })
    }

    /// See [`crate::store::Store::recalled_originals`].
    pub fn recalled_originals(&self, user_id: &str) -> rusqlite::Result<Vec<(i64, String, String, i64)>> {
        let db = self.db();
        let mut st = db.prepare(
            "SELECT r.message_id, r.content, r.recalled_by, r.recalled_at FROM recalls r JOIN messages m ON m.id = r.message_id
             WHERE m.user_id = ?1 ORDER BY r.message_id",
        )?;
        let rows = st.query_map([user_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect();
        rows
    }

    /// See [`crate::store::Store::meta`].
    pub fn meta(&self, key: &str) -> rusqlite::Result<Option<String>> {
        self.db().query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()
    }

    /// See [`crate::store::Store::set_meta`].
    pub fn set_meta(&self, key: &str, value: &str) -> rusqlite::Result<()> {
        self.db()
            .execute("INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value", params![key, value])
            .map(|_| ())
    }
}
