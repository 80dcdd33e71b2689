//! [`Hub`]: who is online, who waits, who talks to whom. All routing decisions live here, behind
//! one mutex that is never held across an `.await`; sockets get their frames through channels.
//!
//! By job: `state` (the slots and how a frame reaches a socket), `agents` (agent sockets and
//! their frames), `visitors` (visitor sockets and messages; a customer is queued with their first
//! message), `routing` (offers, accepting only what was offered, transfers, ending), `presence`
//! (online/busy/away, caps, the waiting list), `signals` (typing, read receipts, the visitor's
//! context). Test-only controls live outside, in `crate::test_hooks`.

mod accept;
mod agents;
mod presence;
mod routing;
mod signals;
mod state;
mod board;
mod board_partitions;
mod closeout;
mod lifecycle;
mod offline;
mod privacy;
mod recall;
mod settings;
mod departments;
pub mod partition_map;
mod relay;
mod replay;
mod history;
mod grace;
mod ids;
mod desk;
mod join;
mod monitor;
mod notes;
mod reassign;
mod visitors;

pub use presence::{Presence, WaitingCustomer};
pub use signals::VisitorContext;
pub use board::{Board, BoardAgent, BoardConversation, BoardWaiting};
pub use settings::CloseOutSettings;
pub use relay::Relayed;
pub use replay::Replay;
pub use departments::{partition_map_of, saved_departments, DEPARTMENTS_KEY, seed_demo as seed_demo_departments, Department, DepartmentSettings, UrlRule};

use crate::store::{OpenConversation, Store};
use state::{AgentSlot, State, VState, VisitorSlot};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc::UnboundedSender;

/// What a socket task is told to do.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Out {
    /// Send this text frame.
    Text(String),
    /// Close with this code and reason.
    Close(u16, String),
    /// A chat frame, sent once its message is committed (PostgreSQL's group writer), dropped if it
    /// is not (a duplicate, a failed write). Never crosses the wire between nodes: the routing node
    /// waits for the commit first.
    #[serde(skip)]
    Durable(String, crate::store::ticket::Ticket),
    /// A reconnect's replay, read from the store when the socket's writer gets here (`replay.rs`).
    /// Never crosses the wire between nodes: the routing node reads it first.
    #[serde(skip)]
    Replay(replay::Replay),
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// A refused request, with the HTTP status it maps to.
#[derive(Debug, Clone, PartialEq)]
pub struct HubError {
    /// 400, 404 or 409.
    pub status: u16,
    /// Human message (shown by the console).
    pub msg: String,
}

pub(crate) fn err(status: u16, msg: impl Into<String>) -> HubError {
    HubError { status, msg: msg.into() }
}

/// An online agent, for the transfer picker.
#[derive(serde::Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct OnlineAgent {
    /// kfId.
    pub id: String,
    /// Name.
    pub name: String,
    /// Conversations in progress.
    pub conversations: usize,
    /// `online`, `busy` or `away`.
    pub presence: Presence,
    /// Its conversation cap (its own, else the server default).
    pub max_conversations: usize,
    /// The departments it is in.
    pub departments: Vec<String>,
}

/// The routing hub.
pub struct Hub {
    state: Mutex<State>,
    store: Arc<Store>,
    grace: Duration,
    /// The store's identity; delivery sequence numbers are durable within it.
    epoch: String,
    /// `--sneak-peek`: agents that ask (`peek`) see customers' unsent text.
    sneak_peek: bool,
    /// What `/metrics` exports.
    metrics: Arc<crate::metrics::Metrics>,
    /// What the board's pushes have sent (`board.rs`).
    board_pushes: Mutex<board::BoardPushes>,
    /// Close-out tags and business hours, as supervisors set them (`settings.rs`).
    settings: std::sync::RwLock<settings::DeskSettings>,
    /// The desk's events for other systems (`--webhook-url`).
    pub(crate) webhooks: Arc<crate::webhooks::Webhooks>,
    /// The routing partitions, for `/healthz` (kept apart: a health check never waits for routing).
    partitions: std::sync::RwLock<Vec<String>>,
    /// The grace periods running (`grace.rs`).
    graces: grace::GraceQueue,
    /// Conversation ids taken ahead (PostgreSQL; `ids.rs`).
    ids: Arc<ids::IdPool>,
}

impl Hub {
    /// A hub over `store`, with the routing settings of `cfg` (grace period, default cap, sneak
    /// peek, whether silent visitors are offered).
    pub fn new(store: Arc<Store>, cfg: &crate::config::Config) -> Arc<Hub> {
        let epoch = store.epoch().to_owned();
        let metrics = Arc::new(crate::metrics::Metrics::default());
        let state = State {
            max_conversations: cfg.max_conversations,
            offer_silent: cfg.offer_silent_visitors,
            offers: metrics.offers.clone(),
            rules: lifecycle::Rules::of(cfg),
            departments: departments::Departments::load(&store),
            ..State::default()
        };
        let settings = std::sync::RwLock::new(settings::DeskSettings::load(&store));
        let partitions = std::sync::RwLock::new(departments::partitions_of(&state.departments.settings));
        let ids = Arc::new(ids::IdPool::default());
        ids.fill(&store);
        Arc::new(Hub {
            state: Mutex::new(state),
            store,
            grace: cfg.grace(),
            epoch,
            sneak_peek: cfg.sneak_peek,
            metrics,
            board_pushes: Mutex::default(),
            settings,
            webhooks: Arc::new(crate::webhooks::Webhooks::new(cfg)),
            partitions,
            graces: Default::default(),
            ids,
        })
    }

    /// The server's metrics.
    pub fn metrics(&self) -> &crate::metrics::Metrics {
        &self.metrics
    }

    /// Connected agents, connected customers, and customers waiting (for `/metrics`).
    pub fn gauges(&self) -> (usize, usize, usize) {
        let st = self.st();
        let agents = st.agents.values().filter(|a| a.conn.is_some()).count();
        let visitors = st.visitors.values().filter(|v| v.conn.is_some()).count();
        (agents, visitors, st.queue.len())
    }

    /// A store failure, counted, as the error a request gets.
    pub(crate) fn store_failed(&self, e: impl std::fmt::Display) -> HubError {
        self.metrics.store_errors.inc();
        tracing::error!(error = %e, "store error");
        err(500, e.to_string())
    }

    /// Whether customers' unsent text is shown to agents (`--sneak-peek`).
    pub fn sneak_peek(&self) -> bool {
        self.sneak_peek
    }
    fn st(&self) -> crate::sync::Routing<'_, State> {
        crate::sync::Routing::lock(&self.state)
    }
    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The store, shared (for blocking work off the async threads).
    pub fn store_arc(&self) -> Arc<Store> {
        self.store.clone()
    }

    /// Whether customer `user_id` is known to routing now (waiting, talking, or restored).
    pub fn visitor_known(&self, user_id: &str) -> bool {
        self.st().visitors.contains_key(user_id)
    }
    /// After a restart: open conversations from the store become assignments again, with their
    /// agents and visitors disconnected. Returns `(kfId, epoch)` pairs whose grace timers the
    /// caller must start, so agents who never come back hand their customers on.
    pub fn restore(&self, open: Vec<OpenConversation>) -> Vec<(String, u64)> {
        // What the store is asked, asked before the lock: the agents' names and (PostgreSQL) the
        // last delivery number of everyone restored, who is expected back asking for a replay
        // bounded by it — one query now, not one round trip each under the lock then.
        let mut names: std::collections::HashMap<String, String> = std::collections::HashMap::new();
        for c in &open {
            names.entry(c.kf_id.clone()).or_insert_with(|| self.store.agent_name(&c.kf_id));
        }
        let last = self.store.group().map(|_| {
            let recipients: Vec<String> = names.keys().map(|k| format!("kf:{k}")).chain(open.iter().map(|c| format!("v:{}", c.user_id))).collect();
            self.store.last_seqs(&recipients)
        });
        let mut st = self.st();
        let mut restored: Vec<String> = Vec::new();
        for OpenConversation { id: conversation, user_id, user_name, kf_id } in open {
            // A customer with two open rows (crash between end and start): keep the newest.
            let name = names.get(&kf_id).cloned().unwrap_or_default();
            let slot = st.agents.entry(kf_id.clone()).or_insert_with(|| AgentSlot { epoch: 1, ..AgentSlot::new(name) });
            slot.conversations.insert(user_id.clone());
            if !restored.contains(&kf_id) {
                restored.push(kf_id.clone());
            }
            if let Some(old) = st.visitors.get(&user_id) {
                if let VState::Assigned { kf_id: prev, .. } = &old.state {
                    let prev = prev.clone();
                    if let Some(a) = st.agents.get_mut(&prev) {
                        a.conversations.remove(&user_id);
                    }
                }
            }
            let mut slot = VisitorSlot::new(user_name, 1, VState::Assigned { kf_id, conversation });
            slot.spoke = true;
            st.visitors.insert(user_id, slot);
        }
        match last {
            Some(Ok(last)) => st.next_seq.extend(last.into_iter().map(|(r, n)| (r, n + 1))),
            Some(Err(e)) => tracing::warn!(error = %e, "delivery numbers not read ahead; read one by one instead"),
            None => {}
        }
        tracing::info!(conversations = st.visitors.len(), agents = restored.len(), "routing restored from the store");
        restored.into_iter().map(|k| (k, 1)).collect()
    }
    /// The grace period, for the socket tasks' timers.
    pub fn grace(&self) -> Duration {
        self.grace
    }
    /// Agents online now.
    pub fn online_agents(&self) -> Vec<OnlineAgent> {
        let st = self.st();
        let mut v: Vec<OnlineAgent> = st
            .agents
            .iter()
            .filter(|(_, a)| a.conn.is_some())
            .map(|(id, a)| OnlineAgent {
                id: id.clone(),
                name: a.name.clone(),
                conversations: a.conversations.len(),
                presence: a.presence,
                max_conversations: st.cap_of(id),
                departments: st.departments.of_agent(id),
            })
            .collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }
    /// Closes every socket with 1001 (server going away) and stops sending webhooks, for graceful shutdown.
    pub fn shutdown(&self) {
        self.close_all(1001, "server shutting down");
    }

    /// Closes every socket with `code` and stops sending webhooks: the server stops, or (1012)
    /// a partition's routing moves to another node, where the clients come back at once.
    pub fn close_all(&self, code: u16, reason: &str) {
        self.webhooks.stop(); // what is pending stays in the outbox for the next start
        let st = self.st();
        for c in st.agents.values().filter_map(|a| a.conn.as_ref()).chain(st.visitors.values().filter_map(|v| v.conn.as_ref())) {
            let _ = c.tx.send(Out::Close(code, reason.into()));
        }
    }

    /// The channel of agent `kf_id`'s socket, when connected (for the test hooks).
    pub(crate) fn agent_socket(&self, kf_id: &str) -> Option<UnboundedSender<Out>> {
        self.st().agents.get(kf_id).and_then(|a| a.conn.as_ref()).map(|c| c.tx.clone())
    }
}
