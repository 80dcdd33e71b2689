//! The webhooks' outbox on SQLite (see `store/outbox.rs`).

use super::SqliteStore;
use crate::store::outbox::PendingEvent;
use rusqlite::{params, Connection};

/// The outbox table.
pub(super) fn migrate(db: &Connection) -> rusqlite::Result<()> {
    db.execute_batch(
        "CREATE TABLE IF NOT EXISTS webhook_outbox(url TEXT NOT NULL, id INTEGER NOT NULL, event TEXT NOT NULL,
             body TEXT NOT NULL, user_id TEXT, created_at INTEGER NOT NULL, PRIMARY KEY(url, id));
         CREATE INDEX IF NOT EXISTS webhook_outbox_user ON webhook_outbox(user_id);",
    )
}

impl SqliteStore {
    /// See [`crate::store::Store::outbox_keep`].
    pub fn outbox_keep(&self, url: &str, events: &[PendingEvent]) -> rusqlite::Result<()> {
        let mut db = self.db();
        let tx = db.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO webhook_outbox(url, id, event, body, user_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for e in events {
                insert.execute(params![url, e.id as i64, e.event, e.body, e.user_id, e.created_at])?;
            }
        }
        tx.commit()
    }

    /// See [`crate::store::Store::outbox_pending`].
    pub fn outbox_pending(&self, url: &str) -> rusqlite::Result<Vec<PendingEvent>> {
        let db = self.db();
        let mut q = db.prepare_cached("SELECT id, event, body, user_id, created_at FROM webhook_outbox WHERE url = ?1 ORDER BY id")?;
        let rows = q.query_map([url], |r| {
            Ok(PendingEvent { id: r.get::<_, i64>(0)? as u64, event: r.get(1)?, body: r.get(2)?, user_id: r.get(3)?, created_at: r.get(4)? })
        })?;
        rows.collect()
    }

    /// See [`crate::store::Store::outbox_done`].
    pub fn outbox_done(&self, url: &str, ids: &[u64]) -> rusqlite::Result<()> {
        let mut db = self.db();
        let tx = db.transaction()?;
        {
            let mut delete = tx.prepare_cached("DELETE FROM webhook_outbox WHERE url = ?1 AND id = ?2")?;
            for id in ids {
                delete.execute(params![url, *id as i64])?;
            }
        }
        tx.commit()
    }

    /// See [`crate::store::Store::outbox_forget_others`].
    pub fn outbox_forget_others(&self, urls: &[String]) -> rusqlite::Result<u64> {
        let db = self.db();
        let known = serde_json::to_string(urls).unwrap_or_else(|_| "[]".into());
        let n = db.execute("DELETE FROM webhook_outbox WHERE url NOT IN (SELECT value FROM json_each(?1))", [known])?;
        Ok(n as u64)
    }
}
