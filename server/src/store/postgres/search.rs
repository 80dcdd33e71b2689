//! Search on PostgreSQL: a `pg_trgm` GIN index over the messages' text, so `ILIKE '%term%'` is
//! answered from the index (the extension lives in `public`, so every schema of a shared database
//! finds its operator class).

use super::PgStore;
use crate::store::search::{self, Arg, SearchQuery};
use crate::store::{Result, StoredMessage};

/// The extension and the index, for [`super::migrate`] (idempotent).
pub(super) const SCHEMA: &str = "
    CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
    CREATE INDEX IF NOT EXISTS messages_content_trgm ON messages USING gin (content public.gin_trgm_ops);
    CREATE INDEX IF NOT EXISTS messages_created ON messages(created_at);";

/// `?` placeholders as `$1`, `$2`, … (the shared queries are written with `?`).
pub(super) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

impl PgStore {
    /// See [`crate::store::Store::search`].
    pub fn search(&self, q: &SearchQuery) -> Result<Vec<StoredMessage>> {
        let (sql, args) = search::sql(q, |t| ("m.content ILIKE ?".into(), Arg::Text(search::like_escaped(t))));
        let sql = numbered(&sql);
        self.run(move |c| {
            let params: Vec<Box<dyn postgres::types::ToSql + Sync>> = args
                .into_iter()
                .map(|a| match a {
                    Arg::Text(s) => Box::new(s) as Box<dyn postgres::types::ToSql + Sync>,
                    Arg::Int(n) => Box::new(n),
                })
                .collect();
            let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = params.iter().map(|p| p.as_ref()).collect();
            let rows = c.client()?.query(&sql, &refs)?;
            Ok(rows.iter().map(|r| super::queries::stored_message(r, 0)).collect())
        })
    }
}
