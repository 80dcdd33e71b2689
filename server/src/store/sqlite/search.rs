//! Search on SQLite: an FTS5 index with the trigram tokenizer over the messages' text (an external
//! content table kept in step by triggers, built once for an older store), queried with one
//! quoted phrase per term of three characters or more; shorter terms by `LIKE`.

use super::SqliteStore;
use crate::store::search::{self, Arg, SearchQuery};
use crate::store::StoredMessage;
use rusqlite::{Connection, OptionalExtension};

/// Creates the index and its triggers; fills it from the messages the first time.
pub(super) fn migrate(db: &Connection) -> rusqlite::Result<()> {
    db.execute_batch(
        "CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(content, content='messages', content_rowid='id', tokenize='trigram');
         CREATE TRIGGER IF NOT EXISTS messages_fts_insert AFTER INSERT ON messages BEGIN
             INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content); END;
         CREATE TRIGGER IF NOT EXISTS messages_fts_delete AFTER DELETE ON messages BEGIN
             INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content); END;
         CREATE TRIGGER IF NOT EXISTS messages_fts_update AFTER UPDATE OF content ON messages BEGIN
             INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
             INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content); END;
         CREATE INDEX IF NOT EXISTS messages_created ON messages(created_at);",
    )?;
    let built: Option<String> = db.query_row("SELECT value FROM meta WHERE key = 'fts'", [], |r| r.get(0)).optional()?;
    if built.is_none() {
        db.execute_batch("INSERT INTO messages_fts(messages_fts) VALUES ('rebuild'); INSERT INTO meta(key, value) VALUES ('fts', '1');")?;
    }
    Ok(())
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
