//! The webhooks' outbox on PostgreSQL (see `store/outbox.rs`): shared by the cluster's nodes, so
//! the node that routes after a failover sends what the dead one had pending.

use super::PgStore;
use crate::store::outbox::PendingEvent;
use crate::store::Result;

/// The outbox table, for [`super::migrate`] (idempotent).
pub(super) const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS webhook_outbox(url TEXT NOT NULL, id BIGINT NOT NULL, event TEXT NOT NULL,
        body TEXT NOT NULL, user_id TEXT, created_at BIGINT NOT NULL, PRIMARY KEY(url, id));
    CREATE INDEX IF NOT EXISTS webhook_outbox_user ON webhook_outbox(user_id);";

impl PgStore {
    /// See [`crate::store::Store::outbox_keep`].
    pub fn outbox_keep(&self, url: &str, events: &[PendingEvent]) -> Result<()> {
        let url = url.to_owned();
        let ids: Vec<i64> = events.iter().map(|e| e.id as i64).collect();
        let kinds: Vec<String> = events.iter().map(|e| e.event.clone()).collect();
        let bodies: Vec<String> = events.iter().map(|e| e.body.clone()).collect();
        let users: Vec<Option<String>> = events.iter().map(|e| e.user_id.clone()).collect();
        let made: Vec<i64> = events.iter().map(|e| e.created_at).collect();
        self.run(move |c| {
            c.client()?.execute(
                "INSERT INTO webhook_outbox(url, id, event, body, user_id, created_at)
                 SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[])
                 ON CONFLICT DO NOTHING",
                &[&url, &ids, &kinds, &bodies, &users, &made],
            )?;
            Ok(())
        })
    }

    /// See [`crate::store::Store::outbox_pending`].
    pub fn outbox_pending(&self, url: &str) -> Result<Vec<PendingEvent>> {
        let url = url.to_owned();
        self.run(move |c| {
            let rows = c.client()?.query("SELECT id, event, body, user_id, created_at FROM webhook_outbox WHERE url = $1 ORDER BY id", &[&url])?;
            Ok(rows
                .iter()
                .map(|r| PendingEvent { id: r.get::<_, i64>(0) as u64, event: r.get(1), body: r.get(2), user_id: r.get(3), created_at: r.get(4) })
                .collect())
        })
    }

    /// See [`crate::store::Store::outbox_done`].
    pub fn outbox_done(&self, url: &str, ids: &[u64]) -> Result<()> {
        let url = url.to_owned();
        let ids: Vec<i64> = ids.iter().map(|id| *id as i64).collect();
        self.run(move |c| {
            c.client()?.execute("DELETE FROM webhook_outbox WHERE url = $1 AND id = ANY($2)", &[&url, &ids])?;
            Ok(())
        })
    }

    /// See [`crate::store::Store::outbox_forget_others`].
    pub fn outbox_forget_others(&self, urls: &[String]) -> Result<u64> {
        let urls = urls.to_vec();
        self.run(move |c| c.client()?.execute("DELETE FROM webhook_outbox WHERE url <> ALL($1)", &[&urls]))
    }
}
