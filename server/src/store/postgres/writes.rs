//! The statements of [`Write`] on PostgreSQL, on a connection or inside the group writer's
//! transaction (one source for both). Writes of one kind go in one statement however many there
//! are (a burst of pages closing lets hundreds go at once); the ends, the customers who gave up
//! and the freed claims touch rows nothing else in a batch does, so they are done after the
//! batch's messages, and only the hand-overs of a conversation keep their order among themselves.

use crate::store::Write;
use postgres::GenericClient;

/// Ends conversations with their close-out: ids, when, outcomes, tags (JSON), comments.
const END: &str = "UPDATE conversations c SET ended_at = t.e, outcome = t.o, tags = t.g, comment = t.m
    FROM unnest($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::TEXT[]) AS t(i, e, o, g, m) WHERE c.id = t.i";
/// Customers who gave up in the queue, as conversations with no agent; answers their ids.
pub(super) const ABANDONED: &str = "INSERT INTO conversations(user_id, user_name, kf_id, started_at, ended_at, outcome, department)
    SELECT u, n, '', s, e, 'abandoned', d FROM unnest($1::TEXT[], $2::TEXT[], $3::BIGINT[], $4::BIGINT[], $5::TEXT[]) AS t(u, n, s, e, d) RETURNING id";
/// Moves a conversation to agent `$2` (and department `$3`, when given), keeping the chain.
const REASSIGN: &str = "UPDATE conversations SET agents = COALESCE(agents, kf_id) || ',' || $2, kf_id = $2, department = COALESCE($3, department) WHERE id = $1";

/// Does `w` on `c`; answers the rows it touched.
pub(super) fn apply(c: &mut impl GenericClient, w: &Write) -> Result<u64, postgres::Error> {
    apply_all(c, &[w])
}

/// Does `writes` on `c` (see the module's doc for the order); answers the rows they touched.
pub(super) fn apply_all(c: &mut impl GenericClient, writes: &[&Write]) -> Result<u64, postgres::Error> {
    let (mut rows, mut ends, mut gave_up, mut freed) = (0, Vec::new(), Vec::new(), Vec::new());
    for w in writes {
        match w {
            Write::End { .. } => ends.push(*w),
            Write::Abandoned { .. } => gave_up.push(*w),
            Write::ForgetSilent { user_id } => freed.push(user_id.clone()),
            Write::Reassign { conversation, kf_id, department } => rows += c.execute(REASSIGN, &[conversation, kf_id, department])?,
        }
    }
    if !ends.is_empty() {
        let mut cols = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for w in ends {
            if let Write::End { conversation, at, outcome, tags, comment } = w {
                cols.0.push(*conversation);
                cols.1.push(*at);
                cols.2.push(outcome.clone());
                cols.3.push(serde_json::to_string(tags).unwrap_or_else(|_| "[]".into()));
                cols.4.push(comment.clone());
            }
        }
        rows += c.execute(END, &[&cols.0, &cols.1, &cols.2, &cols.3, &cols.4])?;
    }
    if !gave_up.is_empty() {
        let mut cols = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for w in gave_up {
            if let Write::Abandoned { user_id, user_name, since, at, department } = w {
                cols.0.push(user_id.clone());
                cols.1.push(user_name.clone());
                cols.2.push(*since);
                cols.3.push(*at);
                cols.4.push(department.clone());
            }
        }
        rows += c.query(ABANDONED, &[&cols.0, &cols.1, &cols.2, &cols.3, &cols.4])?.len() as u64;
    }
    if !freed.is_empty() {
        rows += c.execute(&format!("DELETE FROM visitor_secrets WHERE user_id = ANY($1) AND {}", super::queries::SILENT), &[&freed])?;
    }
    Ok(rows)
}
