//! Report rows on PostgreSQL.

use super::PgStore;
use crate::store::ReportRow;
use crate::store::Result;

impl PgStore {
    /// See [`crate::store::Store::history_after`].
    pub fn history_after(&self, user_id: &str, after: i64, limit: u32) -> Result<Vec<crate::store::StoredMessage>> {
        let sql = super::search::numbered(crate::store::reports::HISTORY_AFTER);
        let user_id = user_id.to_owned();
        self.run(move |c| {
            let rows = c.client()?.query(&sql, &[&user_id, &after, &(limit as i64)])?;
            Ok(rows.iter().map(|r| super::queries::stored_message(r, 0)).collect())
        })
    }

    /// See [`crate::store::Store::messages_between`].
    pub fn messages_between(&self, from: i64, to: i64, after: i64, limit: u32) -> Result<Vec<crate::store::StoredMessage>> {
        let sql = super::search::numbered(crate::store::reports::MESSAGES_BETWEEN);
        self.run(move |c| {
            let rows = c.client()?.query(&sql, &[&from, &to, &after, &(limit as i64)])?;
            Ok(rows.iter().map(|r| super::queries::stored_message(r, 0)).collect())
        })
    }

    /// See [`crate::store::Store::report_rows`].
    pub fn report_rows(&self, from: i64, to: i64) -> Result<Vec<ReportRow>> {
        let sql = super::search::numbered(crate::store::reports::REPORT_ROWS);
        self.run(move |c| {
            let rows = c.client()?.query(&sql, &[&from, &to])?;
            Ok(rows.iter().map(|r| ReportRow { c: super::lifecycle::summary(r), first_reply_at: r.get(11), department: r.get(12) }).collect())
        })
    }
}
