//! Canned phrases (常用语): text, a category, and an optional shortcut an agent types after `/`.

use crate::store::seed::DEFAULT_PHRASES;
use super::SqliteStore;
use crate::store::Phrase;
use rusqlite::{params, Connection};


/// Adds the shortcut column to a store created before it existed, and gives the seeded phrases
/// theirs.
pub(super) fn migrate(db: &Connection) -> rusqlite::Result<()> {
    let exists = db.prepare("SELECT 1 FROM pragma_table_info('phrases') WHERE name = 'shortcut'")?.exists([])?;
    if !exists {
        db.execute_batch("ALTER TABLE phrases ADD COLUMN shortcut TEXT NOT NULL DEFAULT ''")?;
        for (content, _, shortcut) in DEFAULT_PHRASES {
            db.execute("UPDATE phrases SET shortcut = ?2 WHERE content = ?1 AND shortcut = ''", params![content, shortcut])?;
        }
    }
    Ok(())
}

impl SqliteStore {
    /// Canned phrases whose text or shortcut contains `search` (all when empty) in `source` (all
    /// when empty), paged from 1. Returns the page and the total count.
    pub fn phrases(&self, search: &str, source: &str, page: u32, per_page: u32) -> rusqlite::Result<(Vec<Phrase>, i64)> {
        let db = self.db();
        let pattern = format!("%{}%", search.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        let where_ = "WHERE (content LIKE ?1 ESCAPE '\\' OR shortcut LIKE ?1 ESCAPE '\\') AND (?2 = '' OR source = ?2)";
        let total: i64 = db.query_row(&format!("SELECT COUNT(*) FROM phrases {where_}"), params![pattern, source], |r| r.get(0))?;
        let mut st = db.prepare(&format!("SELECT id, content, source, shortcut FROM phrases {where_} ORDER BY id LIMIT ?3 OFFSET ?4"))?;
        let offset = (page.max(1) - 1) as i64 * per_page as i64;
        let rows = st
            .query_map(params![pattern, source, per_page as i64, offset], |r| {
                Ok(Phrase { id: r.get(0)?, content: r.get(1)?, source: r.get(2)?, shortcut: r.get(3)? })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((rows, total))
    }

    /// Adds a canned phrase; returns its id.
    pub fn add_phrase(&self, content: &str, source: &str, shortcut: &str) -> rusqlite::Result<i64> {
        let db = self.db();
        db.execute("INSERT INTO phrases(content, source, shortcut) VALUES (?1, ?2, ?3)", params![content, source, shortcut])?;
        Ok(db.last_insert_rowid())
    }
}
