//! Accounts in the store: agents' password hashes, roles and logout times, the customers'
//! resume secrets (as SHA-256 hashes), and who served whom (for chat-log rights).

use super::SqliteStore;
use crate::store::Credentials;
use rusqlite::{params, Connection, OptionalExtension};


/// Adds the account columns and tables to a store created before they existed.
pub(super) fn migrate(db: &Connection) -> rusqlite::Result<()> {
    for (column, ddl) in [
        ("password_hash", "ALTER TABLE agents ADD COLUMN password_hash TEXT"),
        ("role", "ALTER TABLE agents ADD COLUMN role TEXT NOT NULL DEFAULT 'agent'"),
        ("tokens_after", "ALTER TABLE agents ADD COLUMN tokens_after INTEGER NOT NULL DEFAULT 0"),
        ("presence", "ALTER TABLE agents ADD COLUMN presence TEXT NOT NULL DEFAULT 'online'"),
        ("max_conversations", "ALTER TABLE agents ADD COLUMN max_conversations INTEGER"),
    ] {
        let exists = db.prepare("SELECT 1 FROM pragma_table_info('agents') WHERE name = ?1")?.exists([column])?;
        if !exists {
            db.execute_batch(ddl)?;
        }
    }
    db.execute_batch(
        "CREATE TABLE IF NOT EXISTS visitor_secrets(user_id TEXT PRIMARY KEY, secret_sha256 TEXT NOT NULL, created_at INTEGER NOT NULL);
         CREATE INDEX IF NOT EXISTS conversations_kf_user ON conversations(kf_id, user_id);",
    )
}

impl SqliteStore {
    /// The agent's credentials, if the agent exists.
    pub fn credentials(&self, kf_id: &str) -> rusqlite::Result<Option<Credentials>> {
        self.db()
            .query_row("SELECT password_hash, role, tokens_after FROM agents WHERE id = ?1", [kf_id], |r| {
                Ok(Credentials { password_hash: r.get(0)?, role: r.get(1)?, tokens_after: r.get(2)? })
            })
            .optional()
    }

    /// Creates or updates an agent with a password hash (and a role, when given).
    pub fn set_password(&self, kf_id: &str, name: &str, hash: &str, role: Option<&str>) -> rusqlite::Result<()> {
        self.db()
            .execute(
                "INSERT INTO agents(id, name, password_hash, role) VALUES (?1, ?2, ?3, COALESCE(?4, 'agent'))
                 ON CONFLICT(id) DO UPDATE SET password_hash = excluded.password_hash, role = COALESCE(?4, agents.role)",
                params![kf_id, name, hash, role],
            )
            .map(|_| ())
    }

    /// Agents without a password (demo mode gives them one).
    pub fn agents_without_password(&self) -> rusqlite::Result<Vec<String>> {
        let db = self.db();
        let mut st = db.prepare("SELECT id FROM agents WHERE password_hash IS NULL ORDER BY id")?;
        let rows = st.query_map([], |r| r.get(0))?.collect();
        rows
    }

    /// Voids every token the agent holds (logout).
    pub fn void_tokens(&self, kf_id: &str, now_ms: i64) -> rusqlite::Result<()> {
        self.db().execute("UPDATE agents SET tokens_after = ?2 WHERE id = ?1", params![kf_id, now_ms]).map(|_| ())
    }

    /// Whether agent `kf_id` ever had a conversation with customer `user_id`.
    pub fn served(&self, kf_id: &str, user_id: &str) -> rusqlite::Result<bool> {
        self.db().prepare("SELECT 1 FROM conversations WHERE kf_id = ?1 AND user_id = ?2")?.exists([kf_id, user_id])
    }

    /// The SHA-256 (hex) of the customer's resume secret, if one was issued.
    pub fn visitor_secret(&self, user_id: &str) -> rusqlite::Result<Option<String>> {
        self.db().query_row("SELECT secret_sha256 FROM visitor_secrets WHERE user_id = ?1", [user_id], |r| r.get(0)).optional()
    }

    /// Records the customer's resume secret hash, only if the id is new to the store (no secret, no
    /// message, no conversation). Returns false when the id is already someone's.
    pub fn claim_visitor(&self, user_id: &str, secret_sha256: &str, now_ms: i64) -> rusqlite::Result<bool> {
        let db = self.db();
        let known = db.prepare("SELECT 1 FROM messages WHERE user_id = ?1 LIMIT 1")?.exists([user_id])?
            || db.prepare("SELECT 1 FROM conversations WHERE user_id = ?1 LIMIT 1")?.exists([user_id])?;
        if known {
            return Ok(false);
        }
        let n = db.execute(
            "INSERT INTO visitor_secrets(user_id, secret_sha256, created_at) VALUES (?1, ?2, ?3) ON CONFLICT(user_id) DO NOTHING",
            params![user_id, secret_sha256, now_ms],
        )?;
        Ok(n == 1)
    }
}

impl SqliteStore {
    /// See [`crate::store::Store::forget_silent_visitor`].
    pub fn forget_silent_visitor(&self, user_id: &str) -> rusqlite::Result<bool> {
        let n = self.db().execute(&format!("DELETE FROM visitor_secrets WHERE user_id = ?1 AND {SILENT}"), [user_id])?;
        Ok(n > 0)
    }

    /// See [`crate::store::Store::forget_silent_visitors`].
    pub fn forget_silent_visitors(&self, before_ms: i64) -> rusqlite::Result<u64> {
        let n = self.db().execute(&format!("DELETE FROM visitor_secrets WHERE created_at < ?1 AND {SILENT}"), [before_ms])?;
        Ok(n as u64)
    }
}

/// A claim whose customer never spoke.
const SILENT: &str = "NOT EXISTS (SELECT 1 FROM messages m WHERE m.user_id = visitor_secrets.user_id) \
    AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.user_id = visitor_secrets.user_id)";

impl SqliteStore {
    /// When customer `user_id` was first seen (their first message or conversation, ms) and how
    /// many conversations they have had.
    pub fn visitor_history(&self, user_id: &str) -> rusqlite::Result<(Option<i64>, i64)> {
        self.db().query_row(
            "SELECT MIN(t), (SELECT COUNT(*) FROM conversations WHERE user_id = ?1) FROM (
               SELECT MIN(created_at) AS t FROM messages WHERE user_id = ?1
               UNION ALL SELECT MIN(started_at) FROM conversations WHERE user_id = ?1)",
            [user_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }
}
