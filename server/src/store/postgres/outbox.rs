//! The webhooks' outbox on PostgreSQL (see `store/outbox.rs`): shared by the cluster's nodes, so
//! the node that routes after a failover sends what the dead one had pending.

use super::PgStore;
use crate::store::outbox::PendingEvent;
use crate::store::Result;

/// The outbox table, for [`super::migrate`] (idempotent).
pub(super) const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS webhook_outbox(url TEXT NOT NULL, id BIGINT NOT NULL, event TEXT NOT NULL,
        body TEXT NOT NULL, PRIMARY KEY(url, id));";

impl PgStore {
    /// See [`crate::store::Store::outbox_keep`].
    pub fn outbox_keep(&self, url: &str, events: &[PendingEvent]) -> Result<()> {
        let url = url.to_owned();
        let ids: Vec<i64> = events.iter().map(|(id, _, _)| *id as i64).collect();
        let kinds: Vec<String> = events.iter().map(|(_, e, _)| e.clone()).collect();
        let bodies: Vec<String> = events.iter().map(|(_, _, b)| b.clone()).collect();
        self.run(move |c| {
            c.client()?.execute(
                "INSERT INTO webhook_outbox(url, id, event, body) SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[])
                 ON CONFLICT DO NOTHING",
                &[&url, &ids, &kinds, &bodies],
            )?;
            Ok(())
        })
    }

    /// See [`crate::store::Store::outbox_pending`].
    pub fn outbox_pending(&self, url: &str) -> Result<Vec<PendingEvent>> {
        let url = url.to_owned();
        self.run(move |c| {
            let rows = c.client()?.query("SELECT id, event, body FROM webhook_outbox WHERE url = $1 ORDER BY id", &[&url])?;
            Ok(rows.iter().map(|r| (r.get::<_, i64>(0) as u64, r.get(1), r.get(2))).collect())
        })
    }

    /// See [`crate::store::Store::outbox_done`].
    pub fn outbox_done(&self, url: &str, id: u64) -> Result<()> {
        let url = url.to_owned();
        self.run(move |c| {
            c.client()?.execute("DELETE FROM webhook_outbox WHERE url = $1 AND id <= $2", &[&url, &(id as i64)])?;
            Ok(())
        })
    }

    /// See [`crate::store::Store::outbox_forget_others`].
    pub fn outbox_forget_others(&self, urls: &[String]) -> Result<u64> {
        let urls = urls.to_vec();
        self.run(move |c| c.client()?.execute("DELETE FROM webhook_outbox WHERE url <> ALL($1)", &[&urls]))
    }
}
