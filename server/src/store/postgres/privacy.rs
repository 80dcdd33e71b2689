//! Erasure, retention and the audit log on PostgreSQL (see `store/privacy.rs`); uploads live in
//! the store here, so they go in the same transaction.

use super::PgStore;
use crate::store::privacy::{upload_names, AuditEntry, Removed};
use crate::store::Result;

/// The audit table, for [`super::migrate`] (idempotent).
pub(super) const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS audit(id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
        target TEXT NOT NULL, detail TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS audit_at ON audit(at);";

impl PgStore {
    /// See [`crate::store::Store::erase_visitor`].
    pub fn erase_visitor(&self, user_id: &str) -> Result<Removed> {
        let user_id = user_id.to_owned();
        self.run(move |c| {
            let mut tx = c.client()?.transaction()?;
            let texts: Vec<String> = tx.query("SELECT content FROM messages WHERE user_id = $1", &[&user_id])?.iter().map(|r| r.get(0)).collect();
            let originals: Vec<String> = tx
                .query("SELECT r.content FROM recalls r JOIN messages m ON m.id = r.message_id WHERE m.user_id = $1", &[&user_id])?
                .iter()
                .map(|r| r.get(0))
                .collect();
            tx.execute("DELETE FROM recalls WHERE message_id IN (SELECT id FROM messages WHERE user_id = $1)", &[&user_id])?;
            let messages = tx.execute("DELETE FROM messages WHERE user_id = $1", &[&user_id])?;
            let conversations = tx.execute("DELETE FROM conversations WHERE user_id = $1", &[&user_id])?;
            let offline_messages = tx.execute("DELETE FROM offline_messages WHERE user_id = $1", &[&user_id])?;
            tx.execute("DELETE FROM visitor_secrets WHERE user_id = $1", &[&user_id])?;
            tx.execute("DELETE FROM webhook_outbox WHERE user_id = $1", &[&user_id])?;
            let uploads = upload_names(texts.iter().chain(&originals).map(String::as_str));
            tx.execute("DELETE FROM uploads WHERE name = ANY($1)", &[&uploads])?;
            tx.commit()?;
            Ok(Removed { messages, conversations, offline_messages, uploads })
        })
    }

    /// See [`crate::store::Store::purge_before`].
    pub fn purge_before(&self, cutoff: i64) -> Result<Removed> {
        self.run(move |c| {
            let mut tx = c.client()?.transaction()?;
            let texts: Vec<String> = tx.query("SELECT content FROM messages WHERE created_at < $1", &[&cutoff])?.iter().map(|r| r.get(0)).collect();
            tx.execute("DELETE FROM recalls WHERE message_id IN (SELECT id FROM messages WHERE created_at < $1)", &[&cutoff])?;
            let messages = tx.execute("DELETE FROM messages WHERE created_at < $1", &[&cutoff])?;
            let conversations = tx.execute("DELETE FROM conversations WHERE ended_at IS NOT NULL AND ended_at < $1", &[&cutoff])?;
            let offline_messages = tx.execute("DELETE FROM offline_messages WHERE created_at < $1", &[&cutoff])?;
            tx.execute("DELETE FROM webhook_outbox WHERE created_at < $1", &[&cutoff])?;
            tx.execute("DELETE FROM uploads WHERE created_at < $1", &[&cutoff])?;
            tx.commit()?;
            Ok(Removed { messages, conversations, offline_messages, uploads: upload_names(texts.iter().map(String::as_str)) })
        })
    }

    /// See [`crate::store::Store::audit`].
    pub fn audit(&self, actor: &str, action: &str, target: &str, detail: &str, at: i64) -> Result<()> {
        let (actor, action, target, detail) = (actor.to_owned(), action.to_owned(), target.to_owned(), detail.to_owned());
        self.run(move |c| {
            c.client()?
                .execute("INSERT INTO audit(at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)", &[&at, &actor, &action, &target, &detail])
                .map(|_| ())
        })
    }

    /// See [`crate::store::Store::audit_log`].
    pub fn audit_log(&self, from: i64, to: i64, limit: u32) -> Result<Vec<AuditEntry>> {
        self.run(move |c| {
            let rows = c.client()?.query(
                "SELECT id, at, actor, action, target, detail FROM audit WHERE at >= $1 AND at < $2 ORDER BY id DESC LIMIT $3",
                &[&from, &to, &(limit as i64)],
            )?;
            Ok(rows.iter().map(|r| AuditEntry { id: r.get(0), at: r.get(1), actor: r.get(2), action: r.get(3), target: r.get(4), detail: r.get(5) }).collect())
        })
    }
}
