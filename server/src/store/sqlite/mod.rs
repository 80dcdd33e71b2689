//! The embedded SQLite store (the default): one connection behind a mutex; every call is a short
//! statement (WAL mode), so history survives a restart and a crash never leaves a half-written row.

mod accounts;
mod lifecycle;
mod outbox;
mod privacy;
mod reports;
mod search;
mod phrases;
mod presence;

use super::seed::{DEFAULT_AGENTS, DEFAULT_PHRASES};
use super::{Agent, Delivery, History, NewMessage, OpenConversation, RoutedMessage, StoredMessage};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::Mutex;
use crate::sync::LockExt;

/// Reads the columns `id, sender, user_id, user_name, kf_id, content, created_at, recalled_at, client_msg_id` starting at `at`.
pub(super) fn stored_message(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<StoredMessage> {
    Ok(StoredMessage {
        id: r.get(at)?,
        sender: r.get(at + 1)?,
        user_id: r.get(at + 2)?,
        user_name: r.get(at + 3)?,
        kf_id: r.get(at + 4)?,
        content: r.get(at + 5)?,
        create_time: r.get(at + 6)?,
        recalled: r.get::<_, Option<i64>>(at + 7)?.is_some(),
        msg_id: r.get(at + 8)?,
    })
}

/// The SQLite store.
pub struct SqliteStore {
    db: std::sync::Arc<Mutex<Connection>>,
    epoch: String,
    /// Next delivery sequence number per recipient (cache of MAX(seq)+1).
    next_seq: Mutex<std::collections::HashMap<String, u64>>,
    /// Dropping it stops the checkpoint thread.
    _checkpointer: Option<std::sync::mpsc::Sender<()>>,
    /// Dropping it stops the search indexer's thread.
    _indexer: Option<std::sync::mpsc::Sender<()>>,
}

/// Moves the WAL into the database file every second on its own connection and thread. SQLite's
/// automatic checkpoint would run inside a message's commit, with an fsync, while the hub waits:
/// that was the whole tail of the relay latency (p99 12–20 ms at any load). A passive checkpoint
/// on another connection never blocks the writer.
fn spawn_checkpointer(path: &Path) -> Option<std::sync::mpsc::Sender<()>> {
    let conn = Connection::open(path).ok()?;
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("kefu-checkpoint".into())
        .spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(std::time::Duration::from_secs(1)) {
                let _ = conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE);");
            }
        })
        .ok()?;
    Some(tx)
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and seeds a new one.
    pub fn open(path: &Path) -> rusqlite::Result<SqliteStore> {
        let db = Connection::open(path)?;
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "synchronous", "NORMAL")?;
        db.execute_batch(
            "CREATE TABLE IF NOT EXISTS agents(id TEXT PRIMARY KEY, name TEXT NOT NULL, image TEXT NOT NULL DEFAULT '');
             CREATE TABLE IF NOT EXISTS phrases(id INTEGER PRIMARY KEY, content TEXT NOT NULL, source TEXT NOT NULL DEFAULT '');
             CREATE TABLE IF NOT EXISTS conversations(id INTEGER PRIMARY KEY, user_id TEXT NOT NULL, user_name TEXT NOT NULL,
                 kf_id TEXT NOT NULL, started_at INTEGER NOT NULL, ended_at INTEGER);
             CREATE TABLE IF NOT EXISTS messages(id INTEGER PRIMARY KEY, user_id TEXT NOT NULL, user_name TEXT NOT NULL,
                 kf_id TEXT, sender TEXT NOT NULL, content TEXT NOT NULL, created_at INTEGER NOT NULL);
             CREATE INDEX IF NOT EXISTS messages_user ON messages(user_id, id);
             CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS deliveries(recipient TEXT NOT NULL, seq INTEGER NOT NULL,
                 message_id INTEGER NOT NULL, PRIMARY KEY(recipient, seq));",
        )?;
        let has_client_id: bool = db
            .prepare("SELECT 1 FROM pragma_table_info('messages') WHERE name = 'client_msg_id'")?
            .exists([])?;
        if !has_client_id {
            db.execute_batch("ALTER TABLE messages ADD COLUMN client_msg_id TEXT;")?;
        }
        db.execute_batch(
            "CREATE UNIQUE INDEX IF NOT EXISTS messages_client_id ON messages(user_id, sender, client_msg_id)
                 WHERE client_msg_id IS NOT NULL;",
        )?;
        let epoch: Option<String> = db.query_row("SELECT value FROM meta WHERE key='epoch'", [], |r| r.get(0)).optional()?;
        let epoch = match epoch {
            Some(e) => e,
            None => {
                let e = format!("{:x}{:x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0), std::process::id());
                db.execute("INSERT INTO meta(key, value) VALUES ('epoch', ?1)", [&e])?;
                e
            }
        };
        accounts::migrate(&db)?;
        phrases::migrate(&db)?;
        lifecycle::migrate(&db)?;
        search::migrate(&db)?;
        privacy::migrate(&db)?;
        outbox::migrate(&db)?;
        let seeded: Option<String> = db.query_row("SELECT value FROM meta WHERE key='seeded'", [], |r| r.get(0)).optional()?;
        if seeded.is_none() {
            for (id, name, role) in DEFAULT_AGENTS {
                db.execute("INSERT OR IGNORE INTO agents(id, name, role) VALUES (?1, ?2, ?3)", params![id, name, role])?;
            }
            for (content, source, shortcut) in DEFAULT_PHRASES {
                db.execute("INSERT INTO phrases(content, source, shortcut) VALUES (?1, ?2, ?3)", params![content, source, shortcut])?;
            }
            db.execute("INSERT INTO meta(key, value) VALUES ('seeded', '1')", [])?;
        }
        let checkpointer = spawn_checkpointer(path);
        if checkpointer.is_some() {
            // The checkpoint thread keeps the WAL short; without it SQLite's own checkpoint stays on.
            db.pragma_update(None, "wal_autocheckpoint", 0)?;
        }
        let db = std::sync::Arc::new(Mutex::new(db));
        let indexer = search::spawn_indexer(std::sync::Arc::downgrade(&db));
        Ok(SqliteStore { db, epoch, next_seq: Mutex::new(Default::default()), _checkpointer: checkpointer, _indexer: indexer })
    }

    pub(super) fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.locked()
    }

    /// Identifies this store: delivery sequence numbers are only comparable within one epoch.
    pub fn epoch(&self) -> &str {
        &self.epoch
    }

    /// Inserts the next delivery row for `recipient` (the caller updates the cache after commit).
    fn insert_delivery(
        db: &Connection,
        cache: &std::collections::HashMap<String, u64>,
        recipient: &str,
        message_id: i64,
    ) -> rusqlite::Result<u64> {
        let next = match cache.get(recipient) {
            Some(n) => *n,
            None => last_seq_in(db, recipient)? + 1,
        };
        // Statements on the message path are prepared once per connection (rusqlite's cache).
        db.prepare_cached("INSERT INTO deliveries(recipient, seq, message_id) VALUES (?1, ?2, ?3)")?.execute(params![recipient, next as i64, message_id])?;
        Ok(next)
    }

    /// Stores a message and, in the same transaction, its delivery to `deliver_to`: a crash can
    /// never leave a stored message that no recipient will be sent. Returns `None` for a resend
    /// of a stored `client_msg_id`, else the message id and the delivery seq.
    #[allow(clippy::too_many_arguments)]
    pub fn add_and_deliver(&self, m: &NewMessage<'_>) -> rusqlite::Result<Option<(i64, Option<u64>)>> {
        let NewMessage { user_id, user_name, kf_id, sender, content, at_ms: now, client_msg_id, deliver_to } = *m;
        let mut cache = self.next_seq.locked();
        let mut db = self.db();
        let tx = db.transaction()?;
        let n = tx
            .prepare_cached(
                "INSERT OR IGNORE INTO messages(user_id, user_name, kf_id, sender, content, created_at, client_msg_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![user_id, user_name, kf_id, sender.as_str(), content, now, client_msg_id])?;
        if n == 0 {
            return Ok(None);
        }
        let id = tx.last_insert_rowid();
        let seq = match deliver_to {
            Some(r) => Some(Self::insert_delivery(&tx, &cache, r, id)?),
            None => None,
        };
        tx.commit()?;
        if let (Some(r), Some(seq)) = (deliver_to, seq) {
            cache.insert(r.to_owned(), seq + 1);
        }
        Ok(Some((id, seq)))
    }

    /// Starts a conversation and, in one transaction, routes the messages the visitor wrote while
    /// waiting to the agent (`kf:<id>` deliveries). Returns the conversation id and those
    /// messages with their delivery seqs: `(id, content, created_at, seq)`.
    pub fn start_conversation_and_deliver(
        &self,
        user_id: &str,
        user_name: &str,
        kf_id: &str,
        now: i64,
        department: Option<&str>,
    ) -> rusqlite::Result<(i64, Vec<RoutedMessage>)> {
        let mut cache = self.next_seq.locked();
        let mut db = self.db();
        let tx = db.transaction()?;
        let waiting: Vec<(i64, String, i64)> = {
            let mut st = tx.prepare(
                "SELECT id, content, created_at FROM messages WHERE user_id = ?1 AND sender = 'visitor' AND kf_id IS NULL ORDER BY id",
            )?;
            let rows = st.query_map([user_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<rusqlite::Result<_>>()?;
            rows
        };
        tx.execute(
            "INSERT INTO conversations(user_id, user_name, kf_id, started_at, department) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![user_id, user_name, kf_id, now, department],
        )?;
        let conversation = tx.last_insert_rowid();
        tx.execute("UPDATE messages SET kf_id = ?2 WHERE user_id = ?1 AND kf_id IS NULL", params![user_id, kf_id])?;
        let recipient = format!("kf:{kf_id}");
        let mut local = cache.clone();
        let mut routed = Vec::new();
        for (id, content, t) in waiting {
            let seq = Self::insert_delivery(&tx, &local, &recipient, id)?;
            local.insert(recipient.clone(), seq + 1);
            routed.push(RoutedMessage { id, content, created_at: t, seq });
        }
        tx.commit()?;
        if let Some(last) = routed.last() {
            cache.insert(recipient, last.seq + 1);
        }
        Ok((conversation, routed))
    }

    /// The highest delivery number `recipient` has (0 for none).
    pub fn last_seq(&self, recipient: &str) -> rusqlite::Result<u64> {
        last_seq_in(&self.db(), recipient)
    }

    /// Deliveries to `recipient` after `after_seq`, in order (at most `limit`).
    pub fn replay(&self, recipient: &str, after_seq: u64, limit: u32) -> rusqlite::Result<Vec<Delivery>> {
        let db = self.db();
        let mut st = db.prepare(
            "SELECT d.seq, m.id, m.sender, m.user_id, m.user_name, m.kf_id, m.content, m.created_at, m.recalled_at, m.client_msg_id
             FROM deliveries d JOIN messages m ON m.id = d.message_id
             WHERE d.recipient = ?1 AND d.seq > ?2 ORDER BY d.seq LIMIT ?3",
        )?;
        let rows = st
            .query_map(params![recipient, after_seq as i64, limit], |r| {
                Ok(Delivery { seq: r.get::<_, i64>(0)? as u64, message: stored_message(r, 1)? })
            })?
            .collect();
        rows
    }

    /// The agent `id`, if registered.
    pub fn agent(&self, id: &str) -> rusqlite::Result<Option<Agent>> {
        self.db()
            .query_row("SELECT id, name, image FROM agents WHERE id = ?1", [id], |r| {
                Ok(Agent { id: r.get(0)?, name: r.get(1)?, image: r.get(2)? })
            })
            .optional()
    }

    /// Registers (or renames) an agent.
    pub fn upsert_agent(&self, id: &str, name: &str) -> rusqlite::Result<()> {
        self.db()
            .execute("INSERT INTO agents(id, name) VALUES (?1, ?2) ON CONFLICT(id) DO UPDATE SET name = excluded.name", params![id, name])
            .map(|_| ())
    }

    /// Moves a conversation to another agent.
    pub fn reassign_conversation(&self, conversation: i64, kf_id: &str, department: Option<&str>) -> rusqlite::Result<()> {
        let moved = "UPDATE conversations SET agents = COALESCE(agents, kf_id) || ',' || ?2, kf_id = ?2, department = COALESCE(?3, department) WHERE id = ?1";
        self.db().execute(moved, params![conversation, kf_id, department]).map(|_| ())
    }

    /// A customer's history, oldest first, paged from the newest end: page 1 is the latest
    /// `per_page` messages. Returns the page and the total.
    pub fn history(&self, user_id: &str, page: u32, per_page: u32, before: Option<i64>) -> rusqlite::Result<History> {
        let db = self.db();
        let total: i64 = db.query_row("SELECT COUNT(*) FROM messages WHERE user_id = ?1", [user_id], |r| r.get(0))?;
        let offset = if before.is_some() { 0 } else { (page.max(1) - 1) as i64 * per_page as i64 };
        let mut st = db.prepare_cached(
            "SELECT id, sender, user_id, user_name, kf_id, content, created_at, recalled_at, client_msg_id FROM messages
             WHERE user_id = ?1 AND id < COALESCE(?4, 9223372036854775807) ORDER BY id DESC LIMIT ?2 OFFSET ?3",
        )?;
        let rows = st.query_map(params![user_id, per_page as i64 + 1, offset, before], |r| stored_message(r, 0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(History::from_newest(rows, per_page, total))
    }

    /// Conversations not ended, oldest first (to resume routing after a restart).
    pub fn open_conversations(&self) -> rusqlite::Result<Vec<OpenConversation>> {
        let db = self.db();
        let mut st = db.prepare("SELECT id, user_id, user_name, kf_id FROM conversations WHERE ended_at IS NULL ORDER BY id")?;
        let rows = st
            .query_map([], |r| Ok(OpenConversation { id: r.get(0)?, user_id: r.get(1)?, user_name: r.get(2)?, kf_id: r.get(3)? }))?
            .collect();
        rows
    }

    /// Whether the database answers (the health check).
    pub fn ping(&self) -> rusqlite::Result<()> {
        self.db().query_row("SELECT 1", [], |_| Ok(()))
    }

    /// Flushes the WAL into the main file (on shutdown).
    pub fn checkpoint(&self) {
        let _ = self.db().execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
    }
}

impl SqliteStore {
    /// The `meta` value for `key`, inserting `value` first if there is none.
    pub fn meta_or_insert(&self, key: &str, value: &str) -> rusqlite::Result<String> {
        let db = self.db();
        db.execute("INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO NOTHING", params![key, value])?;
        db.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
    }
}

/// The highest delivery number `recipient` has on `db` (0 for none).
fn last_seq_in(db: &Connection, recipient: &str) -> rusqlite::Result<u64> {
    let max: Option<i64> = db.prepare_cached("SELECT MAX(seq) FROM deliveries WHERE recipient = ?1")?.query_row([recipient], |r| r.get(0))?;
    Ok(max.unwrap_or(0) as u64)
}
