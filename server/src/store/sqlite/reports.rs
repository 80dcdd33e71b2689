//! Report rows on SQLite.

use super::SqliteStore;
use crate::store::ReportRow;
use rusqlite::params;

impl SqliteStore {
    /// See [`crate::store::Store::history_after`].
    pub fn history_after(&self, user_id: &str, after: i64, limit: u32) -> rusqlite::Result<Vec<crate::store::StoredMessage>> {
        let db = self.db();
        let mut st = db.prepare(crate::store::reports::HISTORY_AFTER)?;
        let rows = st.query_map(params![user_id, after, limit], |r| super::stored_message(r, 0))?.collect();
        rows
    }

    /// See [`crate::store::Store::messages_between`].
    pub fn messages_between(&self, from: i64, to: i64, after: i64, limit: u32) -> rusqlite::Result<Vec<crate::store::StoredMessage>> {
        let db = self.db();
        let mut st = db.prepare(crate::store::reports::MESSAGES_BETWEEN)?;
        let rows = st.query_map(params![from, to, after, limit], |r| super::stored_message(r, 0))?.collect();
        rows
    }

    /// See [`crate::store::Store::report_rows`].
    pub fn report_rows(&self, from: i64, to: i64) -> rusqlite::Result<Vec<ReportRow>> {
        let db = self.db();
        let mut st = db.prepare(crate::store::reports::REPORT_ROWS)?;
        let rows = st.query_map(params![from, to], |r| Ok(ReportRow { c: super::lifecycle::summary(r)?, first_reply_at: r.get(11)?, department: r.get(12)? }))?.collect();
        rows
    }
}
