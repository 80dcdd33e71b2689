//! The store: agents, canned phrases, conversations and every message, behind one interface with
//! two backends — embedded SQLite (the default, one node) and PostgreSQL (`--store postgres://…`,
//! shared by the nodes of a cluster). Both give the same guarantees: per-recipient delivery
//! sequence numbers, de-duplication by message id, a message and its delivery in one transaction,
//! migrations applied at start. See docs/deployment.md.

/// Calls the same method on whichever backend this is (defined before the modules below, so
/// each face of the store uses it).
macro_rules! on_backend {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {
        match $self {
            $crate::store::Store::Sqlite(s) => s.$method($($arg),*).map_err($crate::store::StoreError::from),
            $crate::store::Store::Postgres(s) => s.$method($($arg),*),
        }
    };
}

mod lifecycle;
pub mod outbox;
mod postgres;
pub mod privacy;
pub(crate) mod reports;
pub mod search;
mod seed;
mod sqlite;
mod types;
mod write;

pub use postgres::{GroupMessage, GroupWriter, OnStored, PgStore};
pub mod ticket;
pub use seed::DEFAULT_AGENTS;
pub use sqlite::SqliteStore;
pub(crate) use lifecycle::{chain, tags_of};
pub use write::Write;
pub use types::{Agent, ConversationSummary, Credentials, Delivery, History, NewMessage, OfflineMessage, OpenConversation, Phrase, Recall, ReportRow, RoutedMessage, Sender, StoredMessage};

use std::path::Path;

/// A store call that failed: the database's own message.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError(e.to_string())
    }
}

impl From<::postgres::Error> for StoreError {
    fn from(e: ::postgres::Error) -> Self {
        StoreError(e.to_string())
    }
}

/// A store result.
pub type Result<T> = std::result::Result<T, StoreError>;

/// The store, on either backend. Cheap to share behind an `Arc`.
pub enum Store {
    /// Embedded SQLite (the default).
    Sqlite(SqliteStore),
    /// PostgreSQL.
    Postgres(PgStore),
}

impl Store {
    /// PostgreSQL's group writer for chat messages (`postgres/group.rs`); `None` on SQLite, which
    /// commits each message in place (no fsync in WAL mode: nothing to share).
    pub fn group(&self) -> Option<&GroupWriter> {
        match self {
            Store::Postgres(s) => Some(s.group()),
            Store::Sqlite(_) => None,
        }
    }

    /// Stops using the store for routing that moved to another node (PostgreSQL; a partition
    /// handed over): every call fails from now on; returns once those under way are done.
    pub fn retire(&self) {
        if let Store::Postgres(s) = self {
            s.retire();
        }
    }

    /// The highest delivery number `recipient` has (on PostgreSQL the hub numbers the group
    /// writer's deliveries from it; SQLite numbers in place).
    pub fn last_seq(&self, recipient: &str) -> Result<u64> {
        on_backend!(self.last_seq(recipient))
    }

    /// [`Store::last_seq`] of each of `recipients` at once (PostgreSQL): one round trip for all
    /// the clients a restored routing node expects back.
    pub fn last_seqs(&self, recipients: &[String]) -> Result<std::collections::HashMap<String, u64>> {
        match self {
            Store::Postgres(s) => s.last_seqs(recipients),
            Store::Sqlite(_) => Err(StoreError("last_seqs is asked of PostgreSQL only".into())),
        }
    }

    /// Opens (creating if needed) the SQLite database at `path` and seeds a new one.
    pub fn open(path: &Path) -> Result<Store> {
        Ok(Store::Sqlite(SqliteStore::open(path)?))
    }

    /// Connects to PostgreSQL at `url` (`postgres://user:password@host:port/db`), applies the
    /// migrations and seeds a new database.
    pub fn connect(url: &str) -> Result<Store> {
        Ok(Store::Postgres(PgStore::connect(url)?))
    }

    /// PostgreSQL at `url`, sharing its connections and writers with the other stores this
    /// process opened so (a partitioned node's partitions: [`PgStore::connect_shared`]).
    pub fn connect_shared(url: &str) -> Result<Store> {
        Ok(Store::Postgres(PgStore::connect_shared(url)?))
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Identifies this store: delivery sequence numbers are only comparable within one epoch.
    pub fn epoch(&self) -> &str {
        match self {
            Store::Sqlite(s) => s.epoch(),
            Store::Postgres(s) => s.epoch(),
        }
    }

    /// Stores a message and, in the same transaction, its delivery to `deliver_to`: a crash can
    /// never leave a stored message that no recipient will be sent. Returns `None` for a resend
    /// of a stored `client_msg_id`, else the message id and the delivery seq.
    #[allow(clippy::too_many_arguments)]
    pub fn add_and_deliver(&self, m: &NewMessage<'_>) -> Result<Option<(i64, Option<u64>)>> {
        on_backend!(self.add_and_deliver(m))
    }

    /// Starts a conversation and, in one transaction, routes the messages the visitor wrote while
    /// waiting to the agent (`kf:<id>` deliveries). Returns the conversation id and those
    /// messages with their delivery seqs: from `first_seq` when the caller counts the agent's
    /// deliveries (the group writer may hold some not committed yet), else after the stored ones.
    /// `department`: the one the customer came for (reports count by it).
    pub fn start_conversation_and_deliver(&self, user_id: &str, user_name: &str, kf_id: &str, now: i64, first_seq: Option<u64>, department: Option<&str>) -> Result<(i64, Vec<RoutedMessage>)> {
        match self {
            Store::Sqlite(s) => s.start_conversation_and_deliver(user_id, user_name, kf_id, now, department).map_err(StoreError::from),
            Store::Postgres(s) => s.start_conversation_and_deliver(user_id, user_name, kf_id, now, first_seq, department),
        }
    }

    /// Deliveries to `recipient` after `after_seq`, in order (at most `limit`).
    pub fn replay(&self, recipient: &str, after_seq: u64, limit: u32) -> Result<Vec<Delivery>> {
        on_backend!(self.replay(recipient, after_seq, limit))
    }

    /// The agent `id`, if registered.
    pub fn agent(&self, id: &str) -> Result<Option<Agent>> {
        on_backend!(self.agent(id))
    }

    /// Agent `id`'s name, or the id itself when the agent is unknown or the store does not answer
    /// (for frames that must name the agent all the same).
    pub fn agent_name(&self, id: &str) -> String {
        self.agent(id).ok().flatten().map_or_else(|| id.to_owned(), |a| a.name)
    }

    /// Registers (or renames) an agent.
    pub fn upsert_agent(&self, id: &str, name: &str) -> Result<()> {
        on_backend!(self.upsert_agent(id, name))
    }

    /// Moves a conversation to another agent (and, for a transfer to a department, into it).
    pub fn reassign_conversation(&self, conversation: i64, kf_id: &str, department: Option<&str>) -> Result<()> {
        on_backend!(self.reassign_conversation(conversation, kf_id, department))
    }

    /// A customer's history, oldest first, paged from the newest end: page 1 is the latest
    /// `per_page` messages; with `before` (a message id), the latest `per_page` older than it
    /// (pages that do not shift while new messages arrive).
    pub fn history(&self, user_id: &str, page: u32, per_page: u32, before: Option<i64>) -> Result<History> {
        on_backend!(self.history(user_id, page, per_page, before))
    }

    /// Conversations not ended, oldest first (to resume routing after a restart).
    pub fn open_conversations(&self) -> Result<Vec<OpenConversation>> {
        on_backend!(self.open_conversations())
    }

    /// Whether the database answers (the health check).
    pub fn ping(&self) -> Result<()> {
        on_backend!(self.ping())
    }

    /// Flushes SQLite's WAL into the main file (on shutdown); nothing to do on PostgreSQL.
    pub fn checkpoint(&self) {
        if let Store::Sqlite(s) = self {
            s.checkpoint()
        }
    }

    /// The agent's credentials, if the agent exists.
    pub fn credentials(&self, kf_id: &str) -> Result<Option<Credentials>> {
        on_backend!(self.credentials(kf_id))
    }

    /// Creates or updates an agent with a password hash (and a role, when given).
    pub fn set_password(&self, kf_id: &str, name: &str, hash: &str, role: Option<&str>) -> Result<()> {
        on_backend!(self.set_password(kf_id, name, hash, role))
    }

    /// Agents without a password (demo mode gives them one).
    pub fn agents_without_password(&self) -> Result<Vec<String>> {
        on_backend!(self.agents_without_password())
    }

    /// Voids every token the agent holds (logout).
    pub fn void_tokens(&self, kf_id: &str, now_ms: i64) -> Result<()> {
        on_backend!(self.void_tokens(kf_id, now_ms))
    }

    /// Whether agent `kf_id` ever had a conversation with customer `user_id`.
    pub fn served(&self, kf_id: &str, user_id: &str) -> Result<bool> {
        on_backend!(self.served(kf_id, user_id))
    }

    /// The SHA-256 (hex) of the customer's resume secret, if one was issued.
    pub fn visitor_secret(&self, user_id: &str) -> Result<Option<String>> {
        on_backend!(self.visitor_secret(user_id))
    }

    /// Records the customer's resume secret hash, only if the id is new to the store (no secret, no
    /// message, no conversation). Returns false when the id is already someone's.
    pub fn claim_visitor(&self, user_id: &str, secret_sha256: &str, now_ms: i64) -> Result<bool> {
        on_backend!(self.claim_visitor(user_id, secret_sha256, now_ms))
    }

    /// Forgets the claim on `user_id` if it never spoke (no message, no conversation): the id is
    /// free again. Returns whether it was forgotten.
    pub fn forget_silent_visitor(&self, user_id: &str) -> Result<bool> {
        on_backend!(self.forget_silent_visitor(user_id))
    }

    /// Forgets every claim made before `before_ms` whose customer never spoke; returns how many.
    pub fn forget_silent_visitors(&self, before_ms: i64) -> Result<u64> {
        on_backend!(self.forget_silent_visitors(before_ms))
    }

    /// When customer `user_id` was first seen (their first message or conversation, ms) and how
    /// many conversations they have had.
    pub fn visitor_history(&self, user_id: &str) -> Result<(Option<i64>, i64)> {
        on_backend!(self.visitor_history(user_id))
    }

    /// Canned phrases whose text or shortcut contains `search` (all when empty) in `source` (all
    /// when empty), paged from 1. Returns the page and the total count.
    pub fn phrases(&self, search: &str, source: &str, page: u32, per_page: u32) -> Result<(Vec<Phrase>, i64)> {
        on_backend!(self.phrases(search, source, page, per_page))
    }

    /// Adds a canned phrase; returns its id.
    pub fn add_phrase(&self, content: &str, source: &str, shortcut: &str) -> Result<i64> {
        on_backend!(self.add_phrase(content, source, shortcut))
    }

    /// The agent's saved presence and cap override (`None`: the server default); `None` for an
    /// agent the store does not know.
    pub fn presence(&self, kf_id: &str) -> Result<Option<(String, Option<i64>)>> {
        on_backend!(self.presence(kf_id))
    }

    /// Saves the agent's presence; false for an agent the store does not know.
    pub fn set_presence(&self, kf_id: &str, presence: &str) -> Result<bool> {
        on_backend!(self.set_presence(kf_id, presence))
    }

    /// Saves the agent's cap override (`None`: back to the server default); false for an agent
    /// the store does not know.
    pub fn set_max_conversations(&self, kf_id: &str, max: Option<i64>) -> Result<bool> {
        on_backend!(self.set_max_conversations(kf_id, max))
    }

    /// A value kept in the store's `meta` table, created with `make()` by the first caller (the
    /// nodes of a cluster share their token key this way). Atomic on both backends.
    pub fn meta_or_insert(&self, key: &str, make: impl FnOnce() -> String) -> Result<String> {
        let value = make();
        on_backend!(self.meta_or_insert(key, &value))
    }
}
