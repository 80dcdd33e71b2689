//! The statements of [`Write`] on PostgreSQL, on a connection or inside the group writer's
//! transaction (one source for both). Writes of one kind go in one statement however many there
//! are (a burst of pages closing lets hundreds go at once); the ends, the customers who gave up
//! and the freed claims touch rows nothing else in a batch does, so they are done after the
//! batch's messages and accepts (the group writer writes those in their order per customer:
//! `group.rs`, `segments`); the hand-overs keep their order among themselves, and of an agent's
//! presences in a batch the last is written.

use crate::store::{Delivery, Write};
use postgres::GenericClient;

/// Ends conversations with their close-out: ids, when, outcomes, tags (JSON), comments.
const END: &str = "UPDATE conversations c SET ended_at = t.e, outcome = t.o, tags = t.g, comment = t.m
    FROM unnest($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::TEXT[]) AS t(i, e, o, g, m) WHERE c.id = t.i";
/// Customers who gave up in the queue, as conversations with no agent; answers their ids.
pub(super) const ABANDONED: &str = "INSERT INTO conversations(user_id, user_name, kf_id, started_at, ended_at, outcome, department)
    SELECT u, n, '', s, e, 'abandoned', d FROM unnest($1::TEXT[], $2::TEXT[], $3::BIGINT[], $4::BIGINT[], $5::TEXT[]) AS t(u, n, s, e, d) RETURNING id";
/// Agents' presences: ids, presences (one per agent: the batch's last).
const PRESENCE: &str = "UPDATE agents a SET presence = t.p FROM unnest($1::TEXT[], $2::TEXT[]) AS t(i, p) WHERE a.id = t.i";
/// Lines of the audit log: when, who, what, to whom, detail.
const AUDIT: &str = "INSERT INTO audit(at, actor, action, target, detail)
    SELECT a, w, x, g, d FROM unnest($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[]) WITH ORDINALITY AS t(a, w, x, g, d, n) ORDER BY n";
/// Moves a conversation to agent `$2` (and department `$3`, when given), keeping the chain.
const REASSIGN: &str = "UPDATE conversations SET agents = COALESCE(agents, kf_id) || ',' || $2, kf_id = $2, department = COALESCE($3, department) WHERE id = $1";

/// Accepts, one per customer: each conversation starts and its customer's messages no agent had
/// go to its agent, the first `cnt` of them numbered from `first`; answers each of those messages
/// (its conversation, whether it was delivered, its number, the message as the frame needs it).
const ACCEPT: &str = "WITH a AS (SELECT * FROM unnest($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::BIGINT[], $6::TEXT[], $7::BIGINT[], $8::BIGINT[])
        AS t(conv, uid, uname, kf, at, dept, first, cnt)),
    w AS (SELECT m.id, m.user_id, row_number() OVER (PARTITION BY m.user_id ORDER BY m.id) AS n FROM messages m
        WHERE m.user_id = ANY($2::TEXT[]) AND m.sender = 'visitor' AND m.kf_id IS NULL),
    c AS (INSERT INTO conversations(id, user_id, user_name, kf_id, started_at, department) SELECT conv, uid, uname, kf, at, dept FROM a),
    u AS (UPDATE messages m SET kf_id = a.kf FROM w JOIN a ON a.uid = w.user_id WHERE m.id = w.id),
    d AS (INSERT INTO deliveries(recipient, seq, message_id) SELECT 'kf:' || a.kf, a.first + w.n - 1, w.id FROM w JOIN a ON a.uid = w.user_id WHERE w.n <= a.cnt)
    SELECT a.conv, w.n <= a.cnt, a.first + w.n - 1, m.id, m.sender, m.user_id, m.user_name, a.kf, m.content, m.created_at, m.recalled_at, m.client_msg_id
    FROM w JOIN a ON a.uid = w.user_id JOIN messages m ON m.id = w.id ORDER BY w.user_id, w.n";

/// What the accepts of a batch delivered, by conversation.
pub(super) type Delivered = std::collections::HashMap<i64, Vec<Delivery>>;

/// `accepts`, of different customers (the group writer's `segments`), in one statement; what
/// each delivered goes into `delivered`.
pub(super) fn accept_all(c: &mut impl GenericClient, accepts: &[&Write], delivered: &mut Delivered) -> Result<(), postgres::Error> {
    let mut cols = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for w in accepts {
        if let Write::Accept { conversation, user_id, user_name, kf_id, at, department, first_seq, count } = w {
            cols.0.push(*conversation);
            cols.1.push(user_id.clone());
            cols.2.push(user_name.clone());
            cols.3.push(kf_id.clone());
            cols.4.push(*at);
            cols.5.push(department.clone());
            cols.6.push(*first_seq as i64);
            cols.7.push(*count as i64);
        }
    }
    for r in c.query(ACCEPT, &[&cols.0, &cols.1, &cols.2, &cols.3, &cols.4, &cols.5, &cols.6, &cols.7])? {
        let message = super::queries::stored_message(&r, 3);
        if !r.get::<_, bool>(1) {
            tracing::warn!(user_id = message.user_id, "accept: more waiting messages than counted; this one is in the history only");
            continue;
        }
        delivered.entry(r.get(0)).or_default().push(Delivery { seq: r.get::<_, i64>(2) as u64, message });
    }
    Ok(())
}

/// Does `w` on `c`; answers the rows it touched.
pub(super) fn apply(c: &mut impl GenericClient, w: &Write) -> Result<u64, postgres::Error> {
    apply_all(c, &[w])
}

/// Does `writes` on `c` (see the module's doc for the order; accepts are not among them: the
/// group writer writes those with the messages, [`accept_all`]); answers the rows they touched.
pub(super) fn apply_all(c: &mut impl GenericClient, writes: &[&Write]) -> Result<u64, postgres::Error> {
    let (mut rows, mut ends, mut gave_up, mut freed) = (0, Vec::new(), Vec::new(), Vec::new());
    let mut audit = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut presences: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
    for w in writes {
        match w {
            Write::End { .. } => ends.push(*w),
            Write::Abandoned { .. } => gave_up.push(*w),
            Write::ForgetSilent { user_id } => freed.push(user_id.clone()),
            Write::Reassign { conversation, kf_id, department } => rows += c.execute(REASSIGN, &[conversation, kf_id, department])?,
            Write::Presence { kf_id, presence } => {
                presences.insert(kf_id, presence); // the last one counts
            }
            Write::Audit { at, actor, action, target, detail } => {
                audit.0.push(*at);
                audit.1.push(actor.as_str());
                audit.2.push(action.as_str());
                audit.3.push(target.as_str());
                audit.4.push(detail.as_str());
            }
            Write::Accept { .. } => {} // with the messages
        }
    }
    if !audit.0.is_empty() {
        rows += c.execute(AUDIT, &[&audit.0, &audit.1, &audit.2, &audit.3, &audit.4])?;
    }
    if !presences.is_empty() {
        let (ids, values): (Vec<&str>, Vec<&str>) = presences.into_iter().unzip();
        rows += c.execute(PRESENCE, &[&ids, &values])?;
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
