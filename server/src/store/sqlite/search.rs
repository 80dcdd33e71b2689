//! Search on SQLite: an FTS5 index with the trigram tokenizer over the messages' text (an external
//! content table, built once for an older store), queried with one quoted phrase per term of three
//! characters or more; shorter terms by `LIKE`.
//!
//! New messages are indexed off the message path: a thread of its own indexes them in small
//! batches twenty times a second (indexing inside each message's transaction doubled the relay's
//! p99, bench item 7), and a search first indexes whatever is still pending, so it never misses a
//! message. `fts_progress` says how far the index goes; the triggers that keep it right when a
//! message changes (recall) or goes (erasure, retention) act only on rows already indexed.

use super::SqliteStore;
use crate::store::search::{self, Arg, SearchQuery};
use crate::store::StoredMessage;
use rusqlite::{Connection, OptionalExtension};

/// Creates the index and its triggers; fills it from the messages the first time.
pub(super) fn migrate(db: &Connection) -> rusqlite::Result<()> {
    db.execute_batch(
        "CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(content, content='messages', content_rowid='id', tokenize='trigram');
         CREATE TABLE IF NOT EXISTS fts_progress(id INTEGER NOT NULL);
         INSERT INTO fts_progress(id) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM fts_progress);
         DROP TRIGGER IF EXISTS messages_fts_insert;
         CREATE TRIGGER IF NOT EXISTS messages_fts_delete AFTER DELETE ON messages
             WHEN old.id <= (SELECT id FROM fts_progress) BEGIN
             INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content); END;
         CREATE TRIGGER IF NOT EXISTS messages_fts_update AFTER UPDATE OF content ON messages
             WHEN old.id <= (SELECT id FROM fts_progress) BEGIN
             INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
             INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content); END;
         CREATE INDEX IF NOT EXISTS messages_created ON messages(created_at);",
    )?;
    let built: Option<String> = db.query_row("SELECT value FROM meta WHERE key = 'fts'", [], |r| r.get(0)).optional()?;
    if built.is_none() {
        db.execute_batch(
            "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');
             UPDATE fts_progress SET id = (SELECT COALESCE(MAX(id), 0) FROM messages);
             INSERT INTO meta(key, value) VALUES ('fts', '1');",
        )?;
    }
    Ok(())
}

/// Indexes up to `batch` messages not indexed yet, in one transaction; returns how many.
pub(super) fn index_pending(db: &Connection, batch: u32) -> rusqlite::Result<usize> {
    db.execute_batch("BEGIN IMMEDIATE")?;
    let done = (|| {
        let from: i64 = db.query_row("SELECT id FROM fts_progress", [], |r| r.get(0))?;
        // The batch's last id, from the messages (on an external-content index, MAX(rowid) would
        // read the messages too, not what is indexed).
        let upto: Option<i64> = db.query_row(
            "SELECT MAX(id) FROM (SELECT id FROM messages WHERE id > ?1 ORDER BY id LIMIT ?2)",
            rusqlite::params![from, batch],
            |r| r.get(0),
        )?;
        let Some(upto) = upto else { return Ok(0) };
        let n = db.execute("INSERT INTO messages_fts(rowid, content) SELECT id, content FROM messages WHERE id > ?1 AND id <= ?2", rusqlite::params![from, upto])?;
        db.execute("UPDATE fts_progress SET id = ?1", [upto])?;
        Ok(n)
    })();
    db.execute_batch(if done.is_ok() { "COMMIT" } else { "ROLLBACK" })?;
    done
}

/// Indexes new messages on a thread of its own, twenty times a second, through the store's own
/// connection in batches of at most 200: a message's commit waits for one at most a couple of
/// milliseconds, in turn on the mutex (a second connection would make it wait in SQLite's busy
/// handler, whose sleeps tripled the relay's p99).
pub(super) fn spawn_indexer(db: std::sync::Weak<std::sync::Mutex<Connection>>) -> Option<std::sync::mpsc::Sender<()>> {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("kefu-fts".into())
        .spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(std::time::Duration::from_millis(50)) {
                let Some(db) = db.upgrade() else { return };
                loop {
                    let n = match db.lock() {
                        Ok(c) => index_pending(&c, 200).unwrap_or(0),
                        Err(_) => return,
                    };
                    if n < 200 {
                        break;
                    }
                }
            }
        })
        .ok()?;
    Some(tx)
}

impl SqliteStore {
    /// See [`crate::store::Store::search`].
    pub fn search(&self, q: &SearchQuery) -> rusqlite::Result<Vec<StoredMessage>> {
        let (sql, args) = search::sql(q, |t| {
            if t.chars().count() >= 3 {
                ("m.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)".into(), Arg::Text(format!("\"{}\"", t.replace('"', "\"\""))))
            } else {
                ("m.content LIKE ? ESCAPE '\\'".into(), Arg::Text(search::like_escaped(t)))
            }
        });
        let db = self.db();
        while index_pending(&db, 5000)? == 5000 {} // whatever the indexer has not reached yet
        let mut st = db.prepare(&sql)?;
        let params: Vec<Box<dyn rusqlite::ToSql>> = args
            .into_iter()
            .map(|a| match a {
                Arg::Text(s) => Box::new(s) as Box<dyn rusqlite::ToSql>,
                Arg::Int(n) => Box::new(n),
            })
            .collect();
        let rows = st.query_map(rusqlite::params_from_iter(params.iter()), |r| super::stored_message(r, 0))?.collect();
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewMessage, Sender};

    #[test]
    fn messages_indexed_in_several_batches_are_all_found() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("kefu.db")).unwrap();
        for i in 0..450 {
            let text = format!("第{i}条 message-{i:04}");
            let m = NewMessage { user_id: "u", user_name: "U", kf_id: None, sender: Sender::Visitor, content: &text, at_ms: i, client_msg_id: None, deliver_to: None };
            store.add_and_deliver(&m).unwrap();
        }
        {
            // In batches of 200 (here, or by the indexer's thread meanwhile): each goes on where
            // the last stopped, so nothing is left out.
            let db = store.db();
            while index_pending(&db, 200).unwrap() > 0 {}
        }
        for needle in ["message-0000", "message-0201", "message-0449"] {
            let q = SearchQuery { terms: vec![needle.into()], limit: 5, ..Default::default() };
            assert_eq!(store.search(&q).unwrap().len(), 1, "{needle}");
        }
    }
}
