//! The PostgreSQL store, for a cluster of nodes (or one node that wants it). The sync `postgres`
//! client (the blocking face of tokio-postgres) runs on a few threads of its own, each with one
//! connection and its prepared statements, and a call waits for its answer. Routing hands its
//! writes to the group writers and reads before it takes its lock; a call made under that lock
//! anyway is counted by name (`under_lock`, `kefu_store_waits_under_lock`). A connection that
//! broke is opened again on the next call.

mod group;
mod lifecycle;
mod message_batch;
mod queries;
mod outbox;
mod privacy;
mod reports;
mod search;
mod writes;

use super::seed::{DEFAULT_AGENTS, DEFAULT_PHRASES};
use super::{Result, StoreError};
use postgres::{Client, NoTls, Statement};
use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

/// Connections (and threads) per store.
const CONNECTIONS: usize = 4;

/// Serializes the migrations of nodes starting together (a `pg_advisory_xact_lock` key).
const MIGRATION_LOCK: i64 = 0x6b65_6675_0001;

/// One connection and the statements prepared on it.
pub(super) struct Conn {
    url: String,
    client: Option<Client>,
    statements: HashMap<&'static str, Statement>,
    /// Run on each (re)connect: the session's settings.
    settings: &'static str,
}

/// A writer's session: its statements are planned once, not at each call. PostgreSQL plans a
/// prepared statement with array parameters again at every call by default (a custom plan each
/// time: measured 0.65 against 0.49 ms of CPU for a batch of four messages, docs/performance.md,
/// "fifth pass"); a writer's statements insert what they are given, so the generic plan is the
/// same plan.
pub(super) const WRITER_SESSION: &str = "SET plan_cache_mode = force_generic_plan";

impl Conn {
    /// A connection to `url`, opened at its first use, with `settings` run on each (re)connect
    /// (`""`: none).
    pub(super) fn new(url: &str, settings: &'static str) -> Conn {
        Conn { url: url.to_owned(), client: None, statements: HashMap::new(), settings }
    }

    /// The connection, opened again if it broke.
    pub(super) fn client(&mut self) -> std::result::Result<&mut Client, postgres::Error> {
        if self.client.as_ref().is_none_or(|c| c.is_closed()) {
            self.statements.clear();
            let mut client = Client::connect(&self.url, NoTls)?;
            if !self.settings.is_empty() {
                client.batch_execute(self.settings)?;
            }
            self.client = Some(client);
        }
        Ok(self.client.as_mut().expect("just set"))
    }

    /// `sql`, prepared once per connection.
    pub(super) fn statement(&mut self, sql: &'static str) -> std::result::Result<Statement, postgres::Error> {
        if let Some(s) = self.statements.get(sql) {
            if self.client.as_ref().is_some_and(|c| !c.is_closed()) {
                return Ok(s.clone());
            }
        }
        let s = self.client()?.prepare(sql)?;
        self.statements.insert(sql, s.clone());
        Ok(s)
    }
}

type Job = Box<dyn FnOnce(&mut Conn) + Send>;

pub use group::{GroupMessage, GroupWriter, OnStored};

/// Why a store call failed on its thread.
enum Failed {
    Db(postgres::Error),
    Retired,
}
use Failed::Retired;

/// The PostgreSQL store.
pub struct PgStore {
    jobs: mpsc::Sender<Job>,
    epoch: String,
    /// Chat messages, committed in groups (`group.rs`).
    group: GroupWriter,
    /// Routing's own writes (`store/write.rs`), committed in groups on a connection of their own,
    /// so a slow one holds up neither the hub nor the messages.
    routing: GroupWriter,
    /// Round trips made while this thread held routing's lock, by call (`crate::sync::Routing`).
    under_lock: Mutex<HashMap<&'static str, u64>>,
    /// Set by [`PgStore::retire`]; each store call holds it for reading while it runs.
    retired: Arc<std::sync::RwLock<bool>>,
}

impl PgStore {
    /// Connects, migrates and seeds. The connections are opened on the store's threads (the sync
    /// client runs a small runtime of its own, which cannot start inside the server's).
    pub fn connect(url: &str) -> Result<PgStore> {
        let (jobs, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..CONNECTIONS {
            let rx = rx.clone();
            let mut conn = Conn::new(url, "");
            std::thread::Builder::new()
                .name(format!("kefu-pg-{i}"))
                .spawn(move || loop {
                    let job = match rx.lock() {
                        Ok(r) => r.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(&mut conn),
                        Err(_) => return, // the store was dropped
                    }
                })
                .map_err(|e| StoreError(format!("cannot start a store thread: {e}")))?;
        }
        let writer = |name: &str| GroupWriter::start(url, name).map_err(|e| StoreError(format!("cannot start the store's writer: {e}")));
        let (group, routing) = (writer("kefu-pg-group")?, writer("kefu-pg-routing")?);
        let store = PgStore { jobs, epoch: String::new(), group, routing, under_lock: Mutex::default(), retired: Arc::default() };
        store.run(|c| migrate(c.client()?))?;
        let epoch = store.meta_or_insert("epoch", &new_epoch())?;
        Ok(PgStore { epoch, ..store })
    }

    /// As [`PgStore::connect`], but sharing the threads, their connections and the two writers
    /// with every store this process opened this way on `url` (the partitions a node routes:
    /// fewer connections, fewer and larger commits, no second migration when a partition moves
    /// here). Each store still retires alone.
    pub fn connect_shared(url: &str) -> Result<PgStore> {
        static SHARED: std::sync::LazyLock<Mutex<HashMap<String, PgStore>>> = std::sync::LazyLock::new(Mutex::default);
        let mut shared = crate::sync::blocking(|| SHARED.lock()).unwrap_or_else(std::sync::PoisonError::into_inner);
        let first = match shared.get(url) {
            Some(first) => first,
            None => shared.entry(url.to_owned()).or_insert(PgStore::connect(url)?),
        };
        Ok(PgStore {
            jobs: first.jobs.clone(),
            epoch: first.epoch.clone(),
            group: first.group.sibling(),
            routing: first.routing.sibling(),
            under_lock: Mutex::default(),
            retired: Arc::default(),
        })
    }

    /// Runs `f` on a store thread and waits for its answer.
    pub(super) fn run<T: Send + 'static, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut Conn) -> std::result::Result<T, postgres::Error> + Send + 'static,
    {
        self.count_under_lock(call_name(std::any::type_name::<F>()));
        let (tx, rx) = mpsc::sync_channel(1);
        let retired = self.retired.clone();
        self.jobs
            .send(Box::new(move |c| {
                let guard = retired.read().unwrap_or_else(std::sync::PoisonError::into_inner);
                if *guard {
                    let _ = tx.send(Err(Retired));
                    return;
                }
                let _ = tx.send(f(c).map_err(Failed::Db));
            }))
            .map_err(|_| StoreError("the store's threads stopped".into()))?;
        match crate::sync::blocking(|| rx.recv()).map_err(|_| StoreError("a store thread stopped".into()))? {
            Ok(v) => Ok(v),
            Err(Failed::Db(e)) => Err(StoreError::from(e)),
            Err(Retired) => Err(StoreError("routing moved to another node: this store is retired".into())),
        }
    }

    /// Writes and reads nothing more (a partition handed to another node): every call from now
    /// on fails; returns once the calls and commits under way are done.
    pub fn retire(&self) {
        *crate::sync::blocking(|| self.retired.write()).unwrap_or_else(std::sync::PoisonError::into_inner) = true;
        self.group.retire();
        self.routing.retire();
    }

    /// Counts a wait for the database (`call`) if this thread holds routing's lock.
    pub(super) fn count_under_lock(&self, call: &'static str) {
        if crate::sync::routing_held() {
            tracing::debug!(call, "waited for the store under routing's lock");
            *self.under_lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner).entry(call).or_default() += 1;
        }
    }

    /// The waits for the database made under routing's lock since start, by call.
    pub fn under_lock(&self) -> Vec<(&'static str, u64)> {
        let mut v: Vec<_> = self.under_lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner).iter().map(|(k, n)| (*k, *n)).collect();
        v.sort_unstable();
        v
    }

    /// Identifies this store: delivery sequence numbers are only comparable within one epoch.
    pub fn epoch(&self) -> &str {
        &self.epoch
    }

    /// The group writer.
    pub fn group(&self) -> &GroupWriter {
        &self.group
    }

    /// The writer of routing's own writes.
    pub fn routing(&self) -> &GroupWriter {
        &self.routing
    }

    /// See [`crate::store::Store::conversation_ids`].
    pub fn conversation_ids(&self, n: u32) -> Result<Vec<i64>> {
        self.run(move |c| Ok(c.client()?.query("SELECT nextval('conversations_id_seq') FROM generate_series(1, $1::BIGINT)", &[&i64::from(n)])?.iter().map(|r| r.get(0)).collect()))
    }

    /// See [`crate::store::Store::customer_counts`].
    pub fn customer_counts(&self, user_id: &str) -> Result<(u64, u64)> {
        let user_id = user_id.to_owned();
        self.run(move |c| {
            let st = c.statement(
                "SELECT (SELECT COUNT(*) FROM messages WHERE user_id = $1 AND sender = 'visitor' AND kf_id IS NULL),
                        (SELECT COALESCE(MAX(seq), 0) FROM deliveries WHERE recipient = 'v:' || $1)",
            )?;
            let row = c.client()?.query_one(&st, &[&user_id])?;
            Ok((row.get::<_, i64>(0) as u64, row.get::<_, i64>(1) as u64))
        })
    }

    /// The highest delivery number `recipient` has.
    pub fn last_seq(&self, recipient: &str) -> Result<u64> {
        let recipient = recipient.to_owned();
        self.run(move |c| {
            let st = c.statement("SELECT COALESCE(MAX(seq), 0) FROM deliveries WHERE recipient = $1")?;
            Ok(c.client()?.query_one(&st, &[&recipient])?.get::<_, i64>(0) as u64)
        })
    }

    /// The highest delivery number of each of `recipients` (0 for one with none).
    pub fn last_seqs(&self, recipients: &[String]) -> Result<std::collections::HashMap<String, u64>> {
        let recipients = recipients.to_vec();
        self.run(move |c| {
            let st = c.statement("SELECT recipient, MAX(seq) FROM deliveries WHERE recipient = ANY($1) GROUP BY recipient")?;
            let mut last: std::collections::HashMap<String, u64> = recipients.iter().map(|r| (r.clone(), 0)).collect();
            for row in c.client()?.query(&st, &[&recipients])? {
                last.insert(row.get(0), row.get::<_, i64>(1) as u64);
            }
            Ok(last)
        })
    }
}

/// The store method a job's closure was written in (`…::PgStore::last_seq::{{closure}}` →
/// `last_seq`), to name a round trip.
fn call_name(closure: &'static str) -> &'static str {
    let mut path = closure;
    while let Some(p) = path.strip_suffix("::{{closure}}") {
        path = p;
    }
    path.rsplit("::").next().unwrap_or(path)
}

fn new_epoch() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{nanos:x}{:x}", std::process::id())
}

/// Creates the schema (idempotent, one node at a time) and seeds a new database.
fn migrate(client: &mut Client) -> std::result::Result<(), postgres::Error> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    // A URL may name a schema of its own (`?options=-c search_path=desk1`): created if missing.
    let search_path: String = tx.query_one("SHOW search_path", &[])?.get(0);
    let first = search_path.split(',').next().unwrap_or("").trim().trim_matches('"').to_owned();
    if !first.is_empty() && first != "$user" && first != "public" {
        let quoted: String = tx.query_one("SELECT quote_ident($1)", &[&first])?.get(0);
        tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {quoted}"))?;
    }
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS agents(id TEXT PRIMARY KEY, name TEXT NOT NULL, image TEXT NOT NULL DEFAULT '',
             password_hash TEXT, role TEXT NOT NULL DEFAULT 'agent', tokens_after BIGINT NOT NULL DEFAULT 0,
             presence TEXT NOT NULL DEFAULT 'online', max_conversations BIGINT);
         CREATE TABLE IF NOT EXISTS phrases(id BIGSERIAL PRIMARY KEY, content TEXT NOT NULL, source TEXT NOT NULL DEFAULT '',
             shortcut TEXT NOT NULL DEFAULT '');
         CREATE TABLE IF NOT EXISTS conversations(id BIGSERIAL PRIMARY KEY, user_id TEXT NOT NULL, user_name TEXT NOT NULL,
             kf_id TEXT NOT NULL, started_at BIGINT NOT NULL, ended_at BIGINT);
         CREATE INDEX IF NOT EXISTS conversations_kf_user ON conversations(kf_id, user_id);
         CREATE INDEX IF NOT EXISTS conversations_open ON conversations(id) WHERE ended_at IS NULL;
         CREATE TABLE IF NOT EXISTS messages(id BIGSERIAL PRIMARY KEY, user_id TEXT NOT NULL, user_name TEXT NOT NULL,
             kf_id TEXT, sender TEXT NOT NULL, content TEXT NOT NULL, created_at BIGINT NOT NULL, client_msg_id TEXT);
         CREATE INDEX IF NOT EXISTS messages_user ON messages(user_id, id);
         CREATE UNIQUE INDEX IF NOT EXISTS messages_client_id ON messages(user_id, sender, client_msg_id)
             WHERE client_msg_id IS NOT NULL;
         CREATE TABLE IF NOT EXISTS deliveries(recipient TEXT NOT NULL, seq BIGINT NOT NULL, message_id BIGINT NOT NULL,
             PRIMARY KEY(recipient, seq));
         CREATE TABLE IF NOT EXISTS visitor_secrets(user_id TEXT PRIMARY KEY, secret_sha256 TEXT NOT NULL, created_at BIGINT NOT NULL);
         CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS uploads(name TEXT PRIMARY KEY, content_type TEXT NOT NULL, bytes BYTEA NOT NULL,
             created_at BIGINT NOT NULL);",
    )?;
    tx.batch_execute(lifecycle::SCHEMA)?;
    tx.batch_execute(search::SCHEMA)?;
    tx.batch_execute(privacy::SCHEMA)?;
    tx.batch_execute(outbox::SCHEMA)?;
    let seeded = tx.query_opt("SELECT value FROM meta WHERE key = 'seeded'", &[])?.is_some();
    if !seeded {
        for (id, name, role) in DEFAULT_AGENTS {
            tx.execute("INSERT INTO agents(id, name, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", &[id, name, role])?;
        }
        for (content, source, shortcut) in DEFAULT_PHRASES {
            tx.execute("INSERT INTO phrases(content, source, shortcut) VALUES ($1, $2, $3)", &[content, source, shortcut])?;
        }
        tx.execute("INSERT INTO meta(key, value) VALUES ('seeded', '1')", &[])?;
    }
    tx.commit()
}
