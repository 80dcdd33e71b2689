//! Group commit: chat messages handed over by the hub (under its lock, in the order it decided
//! them) are written by one thread on a connection of its own, as many as are waiting in one
//! transaction, so a commit's fsync is shared by every message that arrived during the last one
//! (no waiting added when the desk is quiet; a busy writer gathers for [`LINGER`] first). Each
//! message's [`Ticket`] is resolved in order after its commit; the sender's ack and the
//! recipients' frames wait for it. A batch is one statement (`unnest` of its columns,
//! `message_batch.rs`), so its cost hardly grows with its size. Delivery numbers come with the
//! message (the hub numbers each recipient's deliveries), so a batch decides nothing itself.
//! Routing's own writes ([`Write`]: an end, a customer who gave up, …) go to a second writer of
//! the same kind, on its own connection (`PgStore::routing`), so the messages never wait for them.
//! The partitions a node routes share one writer of each kind ([`GroupWriter::sibling`]): fewer,
//! larger transactions; each partition's handle retires on its own.

use super::message_batch::{add_messages, ADD_MESSAGES};
use super::Conn;
use crate::store::ticket::{Outcome, Ticket};
use crate::store::{Sender, Write};
use std::sync::mpsc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

/// Most messages in one transaction.
const MAX_BATCH: usize = 500;

/// How long a busy writer (more came during its last commit, or right after it) gathers a batch
/// before it commits: fewer, larger transactions under load — each costs PostgreSQL about as
/// much whatever its size — for at most this much more latency. A quiet writer commits at once.
/// 3 ms: measured against 1 and 5 ms (docs/performance.md, "fourth pass").
const LINGER: std::time::Duration = std::time::Duration::from_millis(3);

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

/// What the writer is handed: a chat message or a routing write.
enum Job {
    Message(GroupMessage),
    /// With what to do once it is committed, in commit order (an accept's webhook event).
    Write(Write, Option<OnStored>),
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

/// A job, its ticket, and whether the handle that sent it has retired.
type Handed = (Job, Ticket, Arc<AtomicBool>);

/// The writer thread, as its handles share it.
struct Thread {
    jobs: Mutex<mpsc::Sender<Handed>>,
    progress: Arc<(Mutex<Progress>, Condvar)>,
    /// Held by [`GroupWriter::hold`] (tests): the writer waits before taking a batch.
    gate: Arc<Mutex<()>>,
}

/// A handle on a writer thread (one store's; siblings share the thread).
pub struct GroupWriter {
    thread: Arc<Thread>,
    /// Set by [`GroupWriter::retire`]: what this handle handed over and is taken from now on
    /// fails unwritten.
    retired: Arc<AtomicBool>,
}

impl GroupWriter {
    /// Starts a writer named `name` on its own connection to `url`.
    pub(super) fn start(url: &str, name: &str) -> std::io::Result<GroupWriter> {
        let (tx, rx) = mpsc::channel::<Handed>();
        let progress: Arc<(Mutex<Progress>, Condvar)> = Arc::default();
        let mut conn = Conn::new(url, super::WRITER_SESSION);
        let p = progress.clone();
        let gate: Arc<Mutex<()>> = Arc::default();
        let g = gate.clone();
        std::thread::Builder::new().name(name.into()).spawn(move || {
            let mut idle_since = std::time::Instant::now() - LINGER;
            let mut busy = false;
            while let Ok(first) = rx.recv() {
                let arrived = std::time::Instant::now();
                busy |= arrived - idle_since < LINGER;
                drop(g.lock());
                let batch = gather(&rx, first, if busy { arrived + LINGER } else { arrived });
                busy = batch.len() > 1;
                let n = batch.len() as u64;
                let (dead, live): (Vec<Handed>, Vec<Handed>) = batch.into_iter().partition(|(_, _, retired)| retired.load(Ordering::SeqCst));
                for (_, t, _) in dead {
                    t.resolve(Outcome::Failed("routing moved to another node".into()));
                }
                let (commits, stored) = if live.is_empty() { (0, 0) } else { write(&mut conn, live.into_iter().map(|(j, t, _)| (j, t)).collect()) };
                let (lock, cv) = &*p;
                if let Ok(mut g) = lock.lock() {
                    g.done += n;
                    g.batches += commits;
                    g.stored += stored;
                }
                cv.notify_all();
                idle_since = std::time::Instant::now();
            }
        })?;
        Ok(GroupWriter { thread: Arc::new(Thread { jobs: Mutex::new(tx), progress, gate }), retired: Arc::default() })
    }

    /// Another handle on the same writer thread, which retires on its own.
    pub(super) fn sibling(&self) -> GroupWriter {
        GroupWriter { thread: self.thread.clone(), retired: Arc::default() }
    }

    /// Writes nothing more of this handle's (a partition handed to another node): what it handed
    /// over and is taken from now on fails unwritten; returns once what was handed over before
    /// (by any handle) is committed.
    pub fn retire(&self) {
        self.retired.store(true, Ordering::SeqCst);
        self.flush();
    }

    /// Hands `m` over; its ticket resolves after its commit.
    pub fn submit(&self, m: GroupMessage) -> Ticket {
        self.hand_over(Job::Message(m))
    }

    /// Hands `w` over, after everything handed over before it; its ticket resolves after its
    /// commit (`Stored(0)`), `on_stored` called just before.
    pub fn submit_write(&self, w: Write, on_stored: Option<OnStored>) -> Ticket {
        self.hand_over(Job::Write(w, on_stored))
    }

    fn hand_over(&self, job: Job) -> Ticket {
        let ticket = Ticket::default();
        let t = &self.thread;
        if let Ok(mut g) = t.progress.0.lock() {
            g.handed += 1;
        }
        let sent = t.jobs.lock().map(|j| j.send((job, ticket.clone(), self.retired.clone())).is_ok()).unwrap_or(false);
        if !sent {
            ticket.resolve(Outcome::Failed("the store's writer stopped".into()));
            if let Ok(mut g) = t.progress.0.lock() {
                g.done += 1;
            }
        }
        ticket
    }

    /// Holds the writer before its next batch while the guard lives (tests: what is handed over
    /// meanwhile goes in one transaction).
    #[doc(hidden)]
    pub fn hold(&self) -> std::sync::MutexGuard<'_, ()> {
        self.thread.gate.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Transactions committed and messages stored by them, since start, by the writer thread
    /// (its siblings' too; `/metrics`).
    pub fn stats(&self) -> (u64, u64) {
        self.thread.progress.0.lock().map(|g| (g.batches, g.stored)).unwrap_or_default()
    }

    /// Whether something handed over is not committed yet (a [`GroupWriter::flush`] would wait).
    pub fn pending(&self) -> bool {
        let (lock, _) = &*self.thread.progress;
        lock.lock().is_ok_and(|g| g.done < g.handed)
    }

    /// Waits until everything handed over so far is committed (or failed): before a store call
    /// that numbers deliveries itself or reads them back.
    pub fn flush(&self) {
        let (lock, cv) = &*self.thread.progress;
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

/// Writes `jobs` in one transaction: messages alone in one statement, sent on its own (one round
/// trip however many; `message_batch.rs`); else the messages and accepts in segments, then the
/// routing writes, one statement per kind (`writes.rs`).
fn transaction(conn: &mut Conn, jobs: &[&Job]) -> Result<(Vec<Outcome>, super::writes::Delivered), postgres::Error> {
    let st = conn.statement(ADD_MESSAGES)?;
    let mut delivered = super::writes::Delivered::new();
    let ids = if jobs.iter().all(|j| matches!(j, Job::Message(_))) {
        let messages: Vec<&GroupMessage> = jobs.iter().filter_map(|j| if let Job::Message(m) = j { Some(m) } else { None }).collect();
        add_messages(conn.client()?, &st, &messages)?
    } else {
        let mut tx = conn.client()?.transaction()?;
        let mut ids = Vec::new();
        for (batch, accepts) in segments(jobs) {
            if !batch.is_empty() {
                ids.extend(add_messages(&mut tx, &st, &batch)?);
            }
            if !accepts.is_empty() {
                super::writes::accept_all(&mut tx, &accepts, &mut delivered)?;
            }
        }
        let rest: Vec<&Write> = jobs.iter().filter_map(|j| if let Job::Write(w, _) = j { Some(w) } else { None }).filter(|w| !matches!(w, Write::Accept { .. })).collect();
        if !rest.is_empty() {
            super::writes::apply_all(&mut tx, &rest)?; // after the messages and accepts (writes.rs)
        }
        tx.commit()?;
        ids
    };
    // The segments keep the messages in the batch's order: one id (or none) for each, in turn.
    let mut ids = ids.into_iter();
    let outcomes = jobs
        .iter()
        .map(|j| match j {
            Job::Message(_) => ids.next().flatten().map_or(Outcome::Duplicate, Outcome::Stored),
            Job::Write(..) => Outcome::Stored(0),
        })
        .collect();
    Ok((outcomes, delivered))
}

/// A batch's messages and accepts in segments, written in turn, each segment's messages before
/// its accepts (an accept takes the customer's messages written before it). A message starts a new
/// segment only when an accept of the same customer came before it in the current one, so an
/// accept never takes a message written after it (an end, a new question and a second accept
/// inside one batch), and a busy batch stays one or two statements.
fn segments<'a>(jobs: &[&'a Job]) -> Vec<(Vec<&'a GroupMessage>, Vec<&'a Write>)> {
    let mut out: Vec<(Vec<&GroupMessage>, Vec<&Write>)> = vec![(Vec::new(), Vec::new())];
    let mut accepted: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for j in jobs {
        let user = match j {
            Job::Message(m) => m.user_id.as_str(),
            Job::Write(Write::Accept { user_id, .. }, _) => user_id.as_str(),
            Job::Write(..) => continue,
        };
        if accepted.contains(user) {
            out.push((Vec::new(), Vec::new()));
            accepted.clear();
        }
        let last = out.last_mut().expect("one at least");
        match j {
            Job::Message(m) => last.0.push(m),
            Job::Write(w, _) => {
                last.1.push(w);
                accepted.insert(user);
            }
        }
    }
    out
}

/// A batch: `first`, what waits behind it, and what comes until `until` (at most [`MAX_BATCH`]).
fn gather<T>(rx: &mpsc::Receiver<T>, first: T, until: std::time::Instant) -> Vec<T> {
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(j) => batch.push(j),
            Err(mpsc::TryRecvError::Disconnected) => break,
            Err(mpsc::TryRecvError::Empty) => match rx.recv_timeout(until.saturating_duration_since(std::time::Instant::now())) {
                Ok(j) => batch.push(j),
                Err(_) => break,
            },
        }
    }
    batch
}

/// One transaction for the batch; if it fails, each job in a transaction of its own, so one bad
/// message or write (or a lost connection, opened again) fails only itself. Answers the
/// transactions committed and the messages they stored.
fn write(conn: &mut Conn, batch: Vec<(Job, Ticket)>) -> (u64, u64) {
    let all: Vec<&Job> = batch.iter().map(|(j, _)| j).collect();
    let mut delivered = super::writes::Delivered::new();
    let (commits, outcomes): (u64, Vec<Outcome>) = match transaction(conn, &all) {
        Ok((outcomes, d)) => {
            delivered = d;
            (1, outcomes)
        }
        Err(e) => {
            tracing::warn!(error = %e, jobs = batch.len(), "group commit failed; writing one by one");
            let mut one_by_one = Vec::new();
            for j in &all {
                one_by_one.push(transaction(conn, &[j]).map(|(mut o, d)| {
                    delivered.extend(d);
                    o.remove(0)
                }));
            }
            (one_by_one.iter().filter(|r| r.is_ok()).count() as u64, one_by_one.into_iter().map(|r| r.unwrap_or_else(|e| Outcome::Failed(e.to_string()))).collect())
        }
    };
    let mut stored = 0;
    for ((job, t), o) in batch.into_iter().zip(outcomes) {
        match (job, &o) {
            (Job::Message(m), Outcome::Stored(id)) => {
                stored += 1;
                if let Some(f) = m.on_stored {
                    f(*id);
                }
            }
            (Job::Write(w, on_stored), Outcome::Stored(_)) => {
                if let Write::Accept { conversation, .. } = &w {
                    t.set_deliveries(delivered.remove(conversation).unwrap_or_default());
                }
                if let Some(f) = on_stored {
                    f(0);
                }
            }
            (Job::Write(w, _), Outcome::Failed(e)) => tracing::error!(error = %e, write = ?w, "a routing write failed"),
            _ => {}
        }
        t.resolve(o);
    }
    (commits, stored)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn a_quiet_writer_takes_what_waits_and_a_busy_one_also_what_comes_until_its_deadline() {
        let (tx, rx) = mpsc::channel();
        for i in 1..=3 {
            tx.send(i).unwrap();
        }
        assert_eq!(gather(&rx, 0, Instant::now()), [0, 1, 2, 3], "what waits goes in the batch");
        let late = tx.clone();
        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            late.send(4).unwrap();
        });
        assert_eq!(gather(&rx, 0, Instant::now()), [0], "a quiet writer does not wait");
        sender.join().unwrap();
        assert_eq!(rx.try_recv(), Ok(4));
        let late = tx.clone();
        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            late.send(5).unwrap();
        });
        assert_eq!(gather(&rx, 0, Instant::now() + Duration::from_millis(500)), [0, 5], "a busy writer waits for more until its deadline");
        sender.join().unwrap();
        drop(tx);
        assert_eq!(gather(&rx, 0, Instant::now() + Duration::from_secs(5)), [0], "and stops when nobody can send");
    }
}
