//! Erasure, retention and the audit log on SQLite (see `store/privacy.rs`).

use super::SqliteStore;
use crate::store::privacy::{upload_names, AuditEntry, Removed};
use rusqlite::{params, Connection};

/// The audit table.
pub(super) fn migrate(db: &Connection) -> rusqlite::Result<()> {
    db.execute_batch(
        "CREATE TABLE IF NOT EXISTS audit(id INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
             target TEXT NOT NULL, detail TEXT NOT NULL);
         CREATE INDEX IF NOT EXISTS audit_at ON audit(at);",
    )
}

impl SqliteStore {
    /// See [`crate::store::Store::erase_visitor`].
    pub fn erase_visitor(&self, user_id: &str) -> rusqlite::Result<Removed> {
        let mut db = self.db();
        let tx = db.transaction()?;
        let texts: Vec<String> = tx.prepare("SELECT content FROM messages WHERE user_id = ?1")?.query_map([user_id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        let originals: Vec<String> = tx
            .prepare("SELECT r.content FROM recalls r JOIN messages m ON m.id = r.message_id WHERE m.user_id = ?1")?
            .query_map([user_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        tx.execute("DELETE FROM recalls WHERE message_id IN (SELECT id FROM messages WHERE user_id = ?1)", [user_id])?;
        let messages = tx.execute("DELETE FROM messages WHERE user_id = ?1", [user_id])? as u64;
        let conversations = tx.execute("DELETE FROM conversations WHERE user_id = ?1", [user_id])? as u64;
        let offline_messages = tx.execute("DELETE FROM offline_messages WHERE user_id = ?1", [user_id])? as u64;
        tx.execute("DELETE FROM visitor_secrets WHERE user_id = ?1", [user_id])?;
        tx.execute("DELETE FROM webhook_outbox WHERE user_id = ?1", [user_id])?;
        tx.commit()?;
        let uploads = upload_names(texts.iter().chain(&originals).map(String::as_str));
        Ok(Removed { messages, conversations, offline_messages, uploads })
    }

    /// See [`crate::store::Store::purge_before`].
    pub fn purge_before(&self, cutoff: i64) -> rusqlite::Result<Removed> {
        let mut db = self.db();
        let tx = db.transaction()?;
        let texts: Vec<String> = tx.prepare("SELECT content FROM messages WHERE created_at < ?1")?.query_map([cutoff], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        tx.execute("DELETE FROM recalls WHERE message_id IN (SELECT id FROM messages WHERE created_at < ?1)", [cutoff])?;
        let messages = tx.execute("DELETE FROM messages WHERE created_at < ?1", [cutoff])? as u64;
        let conversations = tx.execute("DELETE FROM conversations WHERE ended_at IS NOT NULL AND ended_at < ?1", [cutoff])? as u64;
        let offline_messages = tx.execute("DELETE FROM offline_messages WHERE created_at < ?1", [cutoff])? as u64;
        tx.execute("DELETE FROM webhook_outbox WHERE created_at < ?1", [cutoff])?;
        tx.commit()?;
        Ok(Removed { messages, conversations, offline_messages, uploads: upload_names(texts.iter().map(String::as_str)) })
    }

    /// See [`crate::store::Store::audit`].
    pub fn audit(&self, actor: &str, action: &str, target: &str, detail: &str, at: i64) -> rusqlite::Result<()> {
        self.db()
            .execute("INSERT INTO audit(at, actor, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)", params![at, actor, action, target, detail])
            .map(|_| ())
    }

    /// See [`crate::store::Store::audit_log`].
    pub fn audit_log(&self, from: i64, to: i64, limit: u32) -> rusqlite::Result<Vec<AuditEntry>> {
        let db = self.db();
        let mut st = db.prepare("SELECT id, at, actor, action, target, detail FROM audit WHERE at >= ?1 AND at < ?2 ORDER BY id DESC LIMIT ?3")?;
        let rows = st
            .query_map(params![from, to, limit], |r| {
                Ok(AuditEntry { id: r.get(0)?, at: r.get(1)?, actor: r.get(2)?, action: r.get(3)?, target: r.get(4)?, detail: r.get(5)? })
            })?
            .collect();
        rows
    }
}
