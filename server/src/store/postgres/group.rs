//! Group commit: chat messages handed over by the hub (under its lock, in the order it decided
//! them) are written by one thread on a connection of its own, as many as are waiting in one
//! transaction, so a commit's fsync is shared by every message that arrived during the last one
//! (no waiting added when the desk is quiet). Each message's [`Ticket`] is resolved in order after
//! its commit; the sender's ack and the recipients' frames wait for it. A batch is one statement
//! (`unnest` of its columns), so its cost hardly grows with its size. Delivery numbers come with
//! the message (the hub numbers each recipient's deliveries), so a batch decides nothing itself.

use super::Conn;
use crate::store::ticket::{Outcome, Ticket};
use crate::store::Sender;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};

/// Most messages in one transaction.
const MAX_BATCH: usize = 500;

/// Ids for a batch, taken from the messages' own sequence (so they ascend in the hub's order).
const IDS: &str = "SELECT nextval('messages_id_seq') FROM generate_series(1, $1::BIGINT)";

/// A batch in one statement: the messages (those whose `client_msg_id` is new), then the
/// deliveries of the ones written; answers the ids written.
const ADD_ALL: &str = "WITH ins AS (
    INSERT INTO messages(id, user_id, user_name, kf_id, sender, content, created_at, client_msg_id)
    SELECT * FROM unnest($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::BIGINT[], $8::TEXT[])
    ON CONFLICT DO NOTHING RETURNING id),
  d AS (
    INSERT INTO deliveries(recipient, seq, message_id)
    SELECT r, s, i FROM unnest($9::TEXT[], $10::BIGINT[], $1::BIGINT[]) AS t(r, s, i)
    WHERE r IS NOT NULL AND i IN (SELECT id FROM ins))
  SELECT id FROM ins";

/// Called with a message's row id after its commit, in commit order (before its ticket resolves).
pub type OnStored = Box<dyn FnOnce(i64) + Send>;

/// A chat message to write.
pub struct GroupMessage {
    /// The customer.
    pub user_id: String,
    /// Their name.
    pub user_name: String,
    /// The agent, if one.
    pub kf_id: Option<String>,
    /// Who wrote it.
    pub sender: Sender,
    /// The text.
    pub content: String,
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// The sender's id for it.
    pub client_msg_id: Option<String>,
    /// The recipient and the number of this delivery.
    pub delivery: Option<(String, u64)>,
    /// What to do once it is committed (the `message.created` webhook event).
    pub on_stored: Option<OnStored>,
}

/// Handed over, committed: how far the writer has got.
#[derive(Default)]
struct Progress {
    handed: u64,
    done: u64,
    /// Transactions committed.
    batches: u64,
    /// Messages stored by them (a resend already stored is not one).
    stored: u64,
}

/// The writer thread's handle.
pub struct GroupWriter {
    jobs: Mutex<mpsc::Sender<(GroupMessage, Ticket)>>,
    progress: Arc<(Mutex<Progress>, Condvar)>,
    /// Held by [`GroupWriter::hold`] (tests): the writer waits before taking a batch.
    gate: Arc<Mutex<()>>,
}

impl GroupWriter {
    /// Starts the writer on its own connection to `url`.
    pub(super) fn start(url: &str) -> std::io::Result<GroupWriter> {
        let (tx, rx) = mpsc::channel::<(GroupMessage, Ticket)>();
        let progress: Arc<(Mutex<Progress>, Condvar)> = Arc::default();
        let mut conn = Conn { url: url.to_owned(), client: None, statements: Default::default() };
        let p = progress.clone();
        let gate: Arc<Mutex<()>> = Arc::default();
        let g = gate.clone();
        std::thread::Builder::new().name("kefu-pg-group".into()).spawn(move || {
            while let Ok(first) = rx.recv() {
                drop(g.lock());
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(j) => batch.push(j),
                        Err(_) => break,
                    }
                }
                let n = batch.len() as u64;
                let (commits, stored) = write(&mut conn, batch);
                let (lock, cv) = &*p;
                if let Ok(mut g) = lock.lock() {
                    g.done += n;
                    g.batches += commits;
                    g.stored += stored;
                }
                cv.notify_all();
            }
        })?;
        Ok(GroupWriter { jobs: Mutex::new(tx), progress, gate })
    }

    /// Hands `m` over; its ticket resolves after its commit.
    pub fn submit(&self, m: GroupMessage) -> Ticket {
        let ticket = Ticket::default();
        if let Ok(mut g) = self.progress.0.lock() {
            g.handed += 1;
        }
        let sent = self.jobs.lock().map(|j| j.send((m, ticket.clone())).is_ok()).unwrap_or(false);
        if !sent {
            ticket.resolve(Outcome::Failed("the store's writer stopped".into()));
            if let Ok(mut g) = self.progress.0.lock() {
                g.done += 1;
            }
        }
        ticket
    }

    /// Holds the writer before its next batch while the guard lives (tests: what is handed over
    /// meanwhile goes in one transaction).
    #[doc(hidden)]
    pub fn hold(&self) -> std::sync::MutexGuard<'_, ()> {
        self.gate.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Transactions committed and messages stored by them, since start (`/metrics`).
    pub fn stats(&self) -> (u64, u64) {
        self.progress.0.lock().map(|g| (g.batches, g.stored)).unwrap_or_default()
    }

    /// Waits until everything handed over so far is committed (or failed): before a store call
    /// that numbers deliveries itself or reads them back.
    pub fn flush(&self) {
        let (lock, cv) = &*self.progress;
        crate::sync::blocking(|| {
            let Ok(mut g) = lock.lock() else { return };
            let target = g.handed;
            while g.done < target {
                g = match cv.wait(g) {
                    Ok(g) => g,
                    Err(_) => return,
                };
            }
        })
    }
}

/// Writes `messages` in one transaction: three round trips, however many there are.
fn transaction(conn: &mut Conn, messages: &[&GroupMessage]) -> Result<Vec<Outcome>, postgres::Error> {
    let (ids_st, add_st) = (conn.statement(IDS)?, conn.statement(ADD_ALL)?);
    let mut tx = conn.client()?.transaction()?;
    let mut ids: Vec<i64> = tx.query(&ids_st, &[&(messages.len() as i64)])?.iter().map(|r| r.get(0)).collect();
    ids.sort_unstable();
    let col = |f: &dyn Fn(&GroupMessage) -> Option<String>| messages.iter().map(|m| f(m)).collect::<Vec<Option<String>>>();
    let (user_ids, names, kf_ids) = (col(&|m| Some(m.user_id.clone())), col(&|m| Some(m.user_name.clone())), col(&|m| m.kf_id.clone()));
    let (senders, contents, client_ids) = (col(&|m| Some(m.sender.as_str().to_owned())), col(&|m| Some(m.content.clone())), col(&|m| m.client_msg_id.clone()));
    let recipients = col(&|m| m.delivery.as_ref().map(|(r, _)| r.clone()));
    let at: Vec<i64> = messages.iter().map(|m| m.at_ms).collect();
    let seqs: Vec<Option<i64>> = messages.iter().map(|m| m.delivery.as_ref().map(|(_, s)| *s as i64)).collect();
    let written: std::collections::HashSet<i64> =
        tx.query(&add_st, &[&ids, &user_ids, &names, &kf_ids, &senders, &contents, &at, &client_ids, &recipients, &seqs])?.iter().map(|r| r.get(0)).collect();
    tx.commit()?;
    Ok(ids.into_iter().map(|id| if written.contains(&id) { Outcome::Stored(id) } else { Outcome::Duplicate }).collect())
}

/// One transaction for the batch; if it fails, each message in a transaction of its own, so one
/// bad message (or a lost connection, opened again) fails only itself. Answers the transactions
/// committed and the messages they stored.
fn write(conn: &mut Conn, batch: Vec<(GroupMessage, Ticket)>) -> (u64, u64) {
    let all: Vec<&GroupMessage> = batch.iter().map(|(m, _)| m).collect();
    let (commits, outcomes): (u64, Vec<Outcome>) = match transaction(conn, &all) {
        Ok(outcomes) => (1, outcomes),
        Err(e) => {
            tracing::warn!(error = %e, messages = batch.len(), "group commit failed; writing one by one");
            let one_by_one: Vec<Result<Outcome, String>> = all.iter().map(|m| transaction(conn, &[m]).map(|mut o| o.remove(0)).map_err(|e| e.to_string())).collect();
            (one_by_one.iter().filter(|r| r.is_ok()).count() as u64, one_by_one.into_iter().map(|r| r.unwrap_or_else(Outcome::Failed)).collect())
        }
    };
    let stored = outcomes.iter().filter(|o| matches!(o, Outcome::Stored(_))).count() as u64;
    for ((m, t), o) in batch.into_iter().zip(outcomes) {
        if let (Outcome::Stored(id), Some(f)) = (&o, m.on_stored) {
            f(*id);
        }
        t.resolve(o);
    }
    (commits, stored)
}
