//! Chat messages written in one statement (`unnest` of their columns) that also draws their ids:
//! the group writer's (`group.rs`) batches. Messages alone are sent on their own: PostgreSQL runs
//! the statement as a transaction of its own, so the batch costs one round trip and one commit.
//! Messages among routing writes go inside the writer's transaction, in segments.

use super::group::GroupMessage;

/// A run of messages: those whose `client_msg_id` is new, with ids drawn from the messages' own
/// sequence in the statement (the n-th smallest for the n-th message, so they ascend in the hub's
/// order), then the deliveries of the ones written; answers each written message's place in the
/// run (from 1) and id.
pub(super) const ADD_MESSAGES: &str = "WITH numbered AS (
    SELECT id, row_number() OVER (ORDER BY id) AS ord
    FROM (SELECT nextval('messages_id_seq') AS id FROM generate_series(1, cardinality($1::TEXT[]))) drawn),
  batch AS (
    SELECT * FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::BIGINT[], $7::TEXT[], $8::TEXT[], $9::BIGINT[])
      WITH ORDINALITY AS t(user_id, user_name, kf_id, sender, content, created_at, client_msg_id, recipient, seq, ord)),
  ins AS (
    INSERT INTO messages(id, user_id, user_name, kf_id, sender, content, created_at, client_msg_id)
    SELECT n.id, b.user_id, b.user_name, b.kf_id, b.sender, b.content, b.created_at, b.client_msg_id
    FROM batch b JOIN numbered n ON n.ord = b.ord ORDER BY b.ord
    ON CONFLICT DO NOTHING RETURNING id),
  d AS (
    INSERT INTO deliveries(recipient, seq, message_id)
    SELECT b.recipient, b.seq, i.id FROM ins i JOIN numbered n ON n.id = i.id JOIN batch b ON b.ord = n.ord
    WHERE b.recipient IS NOT NULL)
  SELECT n.ord, i.id FROM ins i JOIN numbered n ON n.id = i.id";

/// The columns of a run of messages, as the statement binds them.
struct Columns {
    user_ids: Vec<Option<String>>,
    names: Vec<Option<String>>,
    kf_ids: Vec<Option<String>>,
    senders: Vec<Option<String>>,
    contents: Vec<Option<String>>,
    at: Vec<i64>,
    client_ids: Vec<Option<String>>,
    recipients: Vec<Option<String>>,
    seqs: Vec<Option<i64>>,
}

impl Columns {
    fn of(messages: &[&GroupMessage]) -> Columns {
        let col = |f: &dyn Fn(&GroupMessage) -> Option<String>| messages.iter().map(|m| f(m)).collect::<Vec<Option<String>>>();
        Columns {
            user_ids: col(&|m| Some(m.user_id.clone())),
            names: col(&|m| Some(m.user_name.clone())),
            kf_ids: col(&|m| m.kf_id.clone()),
            senders: col(&|m| Some(m.sender.as_str().to_owned())),
            contents: col(&|m| Some(m.content.clone())),
            at: messages.iter().map(|m| m.at_ms).collect(),
            client_ids: col(&|m| m.client_msg_id.clone()),
            recipients: col(&|m| m.delivery.as_ref().map(|(r, _)| r.clone())),
            seqs: messages.iter().map(|m| m.delivery.as_ref().map(|(_, s)| *s as i64)).collect(),
        }
    }
}

/// A run of messages in one statement ([`ADD_MESSAGES`]), on a connection (its own transaction)
/// or inside the writer's: each message's id, or `None` for a resend of a stored `client_msg_id`.
pub(super) fn add_messages(client: &mut impl postgres::GenericClient, st: &postgres::Statement, messages: &[&GroupMessage]) -> Result<Vec<Option<i64>>, postgres::Error> {
    let c = Columns::of(messages);
    let rows = client.query(st, &[&c.user_ids, &c.names, &c.kf_ids, &c.senders, &c.contents, &c.at, &c.client_ids, &c.recipients, &c.seqs])?;
    let mut ids = vec![None; messages.len()];
    for r in rows {
        let (ord, id): (i64, i64) = (r.get(0), r.get(1));
        if let Some(slot) = usize::try_from(ord).ok().and_then(|o| o.checked_sub(1)).and_then(|i| ids.get_mut(i)) {
            *slot = Some(id);
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::super::{Conn, PgStore, WRITER_SESSION};
    use super::*;
    use crate::store::Sender;

    fn message(i: usize) -> GroupMessage {
        GroupMessage {
            user_id: format!("plan-v{i}"),
            user_name: "V".into(),
            kf_id: Some("plan-a".into()),
            sender: Sender::Visitor,
            content: format!("hello {i}"),
            at_ms: i as i64,
            client_msg_id: Some(format!("plan-m{i}")),
            delivery: Some(("plan-a".into(), i as u64 + 1)),
            on_stored: None,
        }
    }

    /// How often the batch statement was planned on `conn`: (generic, custom).
    fn plans(conn: &mut Conn) -> (i64, i64) {
        let row = conn.client().unwrap().query_one("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1", &[&ADD_MESSAGES]).unwrap();
        (row.get(0), row.get(1))
    }

    /// PostgreSQL plans a statement with array parameters anew at each call unless told not to:
    /// a writer's session plans its batch once, and again after its connection is opened anew.
    /// Runs where the suites run on PostgreSQL (`KEFU_TEST_PG`).
    #[test]
    fn a_writers_batch_is_planned_once_not_at_every_call() {
        let Ok(base) = std::env::var("KEFU_TEST_PG") else { return };
        let url = format!("{base}?options=-c%20search_path%3Dplans_{}", std::process::id());
        drop(PgStore::connect(&url).expect("the schema"));
        for (settings, expected) in [("", (0, 8)), (WRITER_SESSION, (8, 0))] {
            let mut conn = Conn::new(&url, settings);
            for round in 0..2 {
                let st = conn.statement(ADD_MESSAGES).unwrap();
                for i in 0..8 {
                    let m = message(round * 100 + i + if settings.is_empty() { 0 } else { 1000 });
                    let ids = add_messages(conn.client().unwrap(), &st, &[&m]).unwrap();
                    assert!(ids[0].is_some(), "stored: {ids:?}");
                }
                assert_eq!(plans(&mut conn), expected, "plans (generic, custom) with {settings:?}, connection {round}");
                conn.client = None; // as if it broke: opened again at the next call
            }
        }
    }
}
