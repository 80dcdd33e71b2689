//! Server configuration from flags and environment variables, with sane defaults.

use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// kefu-server: the reference chat server for kefu-agent consoles and visitors.
#[derive(Parser, Debug, Clone)]
#[command(version, about)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "KEFU_BIND", default_value = "127.0.0.1:9981")]
    pub bind: SocketAddr,
    /// Directory for the database and uploads (created on first run).
    #[arg(long, env = "KEFU_DATA_DIR", default_value = ".kefu-data")]
    pub data_dir: PathBuf,
    /// The store: `sqlite` (the default: `kefu.db` in the data directory) or a PostgreSQL URL
    /// (`postgres://user:password@host:port/database`), which the nodes of a cluster share.
    #[arg(long, env = "KEFU_STORE", default_value = "sqlite")]
    pub store: String,
    /// Cluster mode: the NATS server the nodes talk through (`nats://127.0.0.1:4222`). Needs a
    /// PostgreSQL `--store`. Unset: one node, as before.
    #[arg(long, env = "KEFU_NATS")]
    pub nats: Option<String>,
    /// This node's name in the cluster (logs, metrics); a random one if unset.
    #[arg(long, env = "KEFU_NODE_ID")]
    pub node_id: Option<String>,
    /// Cluster mode: route each partition (a group of departments linked by shared agents, and
    /// `default`) on a node of its own, elected per partition, instead of all on one node
    /// (docs/deployment.md, "Partitioned routing").
    #[arg(long, env = "KEFU_PARTITIONED")]
    pub partitioned: bool,
    /// Comma-separated addresses of proxies (the load balancer) whose `X-Forwarded-For` names the
    /// client (for the login throttle); unset, the direct peer is the client.
    #[arg(long, env = "KEFU_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Directory of static files (console, visitor page, wasm package, patched LayIM).
    #[arg(long, env = "KEFU_WWW_DIR", default_value = "www")]
    pub www_dir: PathBuf,
    /// Milliseconds an agent (or a visitor) who dropped keeps their conversations; frames for
    /// them are held and delivered on reconnect.
    #[arg(long, env = "KEFU_GRACE_MS", default_value_t = 60_000)]
    pub grace_ms: u64,
    /// Milliseconds of silence after which a socket is dropped (agents ping every 30 s).
    #[arg(long, env = "KEFU_IDLE_TIMEOUT_MS", default_value_t = 90_000)]
    pub idle_timeout_ms: u64,
    /// Largest WebSocket frame accepted, in bytes (larger: closed with 1009).
    #[arg(long, env = "KEFU_MAX_FRAME_BYTES", default_value_t = 64 * 1024)]
    pub max_frame_bytes: usize,
    /// Milliseconds a client has to send its request headers; a slower one is disconnected (so
    /// slow-header connections cannot pile up).
    #[arg(long, env = "KEFU_HEADER_READ_TIMEOUT_MS", default_value_t = 10_000)]
    pub header_read_timeout_ms: u64,
    /// Longest chat message, in characters.
    #[arg(long, env = "KEFU_MAX_MESSAGE_CHARS", default_value_t = 5000)]
    pub max_message_chars: usize,
    /// Largest image upload, in bytes.
    #[arg(long, env = "KEFU_MAX_UPLOAD_BYTES", default_value_t = 5 * 1024 * 1024)]
    pub max_upload_bytes: usize,
    /// Most simultaneous conversations per agent (open offers count): nobody is offered to an agent
    /// at the cap, and a transfer to them fails as busy.
    #[arg(long, env = "KEFU_MAX_CONVERSATIONS", default_value_t = 20)]
    pub max_conversations: usize,
    /// Minutes an agent's sign-in token is valid (a shift); the console asks to sign in again after.
    #[arg(long, env = "KEFU_TOKEN_TTL_MINS", default_value_t = 600)]
    pub token_ttl_mins: u64,
    /// Demo mode: seeded agents without a password get their id as password (printed at start).
    /// Never in production.
    #[arg(long, env = "KEFU_DEMO", default_value_t = false)]
    pub demo: bool,
    /// Seed the demo departments (set by the binary with `--demo`; tests start without them).
    #[arg(skip)]
    pub demo_departments: bool,
    /// Let agents connect and call the API without signing in, as any agent (legacy demos only;
    /// logged loudly). Customers still own their conversations.
    #[arg(long, env = "KEFU_INSECURE_NO_AUTH", default_value_t = false)]
    pub insecure_no_auth: bool,
    /// The host site's key for signed visitor ids: a visitor socket with `?sig=` = hex
    /// HMAC-SHA256(key, userId) is that customer (for sites with their own signed-in users).
    #[arg(long, env = "KEFU_VISITOR_ID_SECRET", hide_env_values = true)]
    pub visitor_id_secret: Option<String>,
    /// Comma-separated origins allowed to open sockets and call the API (browsers send `Origin`).
    /// Unset: any origin.
    #[arg(long, env = "KEFU_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,
    /// Most chat messages per second one socket may send (burst: twice that); beyond it the
    /// socket is closed with 1008 (policy violation).
    #[arg(long, env = "KEFU_MAX_MSGS_PER_SEC", default_value_t = 100)]
    pub max_msgs_per_sec: u32,
    /// Password checks (argon2, ~19 MiB each) running at once; a login beyond them waits up to
    /// 2 s, then is refused with 503 without hashing, so a burst of logins cannot exhaust memory.
    #[arg(long, env = "KEFU_MAX_PASSWORD_CHECKS", default_value_t = 2)]
    pub max_password_checks: usize,
    /// Most visitor sockets open at once from one client address (an office behind one NAT
    /// shares an address); beyond it a new visitor socket is refused with 429.
    #[arg(long, env = "KEFU_MAX_VISITOR_SOCKETS_PER_ADDRESS", default_value_t = 100)]
    pub max_visitor_sockets_per_address: usize,
    /// Most new visitor ids one client address may claim per hour; beyond it 429.
    #[arg(long, env = "KEFU_MAX_NEW_VISITORS_PER_ADDRESS", default_value_t = 200)]
    pub max_new_visitors_per_address: u32,
    /// Offer customers to agents as soon as their page connects, before they have said anything
    /// (the original's behaviour). Off by default: a customer joins the queue with their first
    /// message, so silent sockets take no agent's slot and nobody's place in the queue.
    #[arg(long, env = "KEFU_OFFER_SILENT_VISITORS", default_value_t = false)]
    pub offer_silent_visitors: bool,
    /// Let customers' `img[…]` from other sites load in the console (the CSP's img-src then allows
    /// http(s)); off by default: remote images show as links, so a customer cannot learn an
    /// agent's address or when a message was read.
    #[arg(long, env = "KEFU_ALLOW_REMOTE_IMAGES", default_value_t = false)]
    pub allow_remote_images: bool,
    /// Comma-separated base URLs of chat servers the console served here may talk to besides this
    /// server itself (`?server=` outside them is refused before any sign-in form is shown; the
    /// CSP's connect-src lists exactly these). Unset: this server only.
    #[arg(long, env = "KEFU_CHAT_SERVERS", value_delimiter = ',')]
    pub chat_servers: Vec<String>,
    /// Sneak peek: agents see what a customer is typing before it is sent (at most one update a
    /// second; never stored). It reveals text the customer may never send: off unless set.
    #[arg(long, env = "KEFU_SNEAK_PEEK", default_value_t = false)]
    pub sneak_peek: bool,
    /// Seconds an offer waits for the agent to accept before it moves to the next agent not yet
    /// tried (the agent sees the countdown). 0: offers wait for ever (the original).
    #[arg(long, env = "KEFU_OFFER_TIMEOUT_SECS", default_value_t = 60)]
    pub offer_timeout_secs: u64,
    /// Seconds a customer may wait for a reply before the conversation's timer turns red on the
    /// console and the board (amber at half of it).
    #[arg(long, env = "KEFU_REPLY_ALARM_SECS", default_value_t = 120)]
    pub reply_alarm_secs: u64,
    /// Seconds without a message from either side after which a conversation is inactive: it no
    /// longer counts against the agent's cap (a message makes it active again). 0: never.
    #[arg(long, env = "KEFU_INACTIVE_SECS", default_value_t = 600)]
    pub inactive_secs: u64,
    /// Seconds without a message from either side after which a conversation is closed, with a
    /// polite line to the customer. 0: never.
    #[arg(long, env = "KEFU_IDLE_CLOSE_SECS", default_value_t = 1800)]
    pub idle_close_secs: u64,
    /// Seconds before that close when the customer (and the agent) are warned.
    #[arg(long, env = "KEFU_IDLE_WARN_SECS", default_value_t = 120)]
    pub idle_warn_secs: u64,
    /// Seconds after sending within which an agent or a customer may recall (撤回) a message.
    #[arg(long, env = "KEFU_RECALL_SECS", default_value_t = 120)]
    pub recall_secs: u64,
    /// Comma-separated origins of the sites that may embed the customer widget (`widget.js`
    /// frames `visitor.html`); unset: any site. Every other page is framed only by this server.
    #[arg(long, env = "KEFU_WIDGET_ORIGINS", value_delimiter = ',')]
    pub widget_origins: Vec<String>,
    /// Receivers of the desk's events (several allowed, comma-separated or repeated): signed
    /// JSON POSTs, retried, in order (docs/protocol.md, "Webhooks").
    #[arg(long = "webhook-url", env = "KEFU_WEBHOOK_URL", value_delimiter = ',')]
    pub webhook_urls: Vec<String>,
    /// The secret each `--webhook-url` is signed with, by position (one secret serves them all).
    #[arg(long = "webhook-secret", env = "KEFU_WEBHOOK_SECRET", value_delimiter = ',', hide_env_values = true)]
    pub webhook_secrets: Vec<String>,
    /// Milliseconds before a webhook's first retry (doubling, at most a minute).
    #[arg(long, env = "KEFU_WEBHOOK_RETRY_MS", default_value_t = 1000)]
    pub webhook_retry_ms: u64,
    /// Days messages, conversations, messages left and uploads are kept; older ones are removed
    /// (at start and every hour). 0: kept for ever.
    #[arg(long, env = "KEFU_RETENTION_DAYS", default_value_t = 0)]
    pub retention_days: u64,
    /// Register unknown agents on their first login, with the password they give (tests only).
    #[arg(long, env = "KEFU_OPEN_REGISTRATION", default_value_t = false)]
    pub open_registration: bool,
    /// Enable /test/* endpoints (push raw frames, drop or stall sockets). Never in production.
    #[arg(long, env = "KEFU_TEST_HOOKS", default_value_t = false)]
    pub test_hooks: bool,
    /// A command instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Commands besides serving.
#[derive(clap::Subcommand, Debug, Clone)]
pub enum Command {
    /// Sets an agent's password (creating the agent if needed), read from `KEFU_PASSWORD` or the
    /// first line of standard input; the store keeps only its argon2 hash.
    Passwd {
        /// The agent's id (kfId).
        kf_id: String,
        /// Display name for a new agent (default: the id).
        #[arg(long)]
        name: Option<String>,
        /// `agent` or `supervisor` (default: unchanged, `agent` for a new agent).
        #[arg(long, value_parser = ["agent", "supervisor"])]
        role: Option<String>,
    },
}

/// Makes `path` readable by its owner only (`mode`: 0o700 for a directory, 0o600 for a file): the
/// database holds password hashes and every conversation.
pub fn private(path: &std::path::Path, mode: u32) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|e| format!("cannot restrict {path:?}: {e}"))
}

/// The site key [`Config::for_tests`] sets for signed visitor ids.
pub const TEST_VISITOR_ID_SECRET: &str = "test-site-key";

impl Config {
    /// Grace period.
    pub fn grace(&self) -> Duration {
        Duration::from_millis(self.grace_ms)
    }
    /// Whether the store is PostgreSQL.
    pub fn postgres(&self) -> bool {
        self.store.starts_with("postgres://") || self.store.starts_with("postgresql://")
    }
    /// Opens the configured store (creating the data directory for SQLite).
    pub fn open_store(&self) -> Result<crate::store::Store, String> {
        if self.postgres() {
            // The partitions a node routes share one store's connections and writers.
            let open = if self.partitioned { crate::store::Store::connect_shared } else { crate::store::Store::connect };
            return open(&self.store).map_err(|e| format!("cannot open the PostgreSQL store: {e}"));
        }
        if self.store != "sqlite" {
            return Err(format!("--store must be `sqlite` or a postgres:// URL, not {:?}", self.store));
        }
        std::fs::create_dir_all(&self.data_dir).map_err(|e| format!("cannot create {:?}: {e}", self.data_dir))?;
        private(&self.data_dir, 0o700)?;
        let db = self.data_dir.join("kefu.db");
        let store = crate::store::Store::open(&db).map_err(|e| format!("cannot open the store: {e}"))?;
        for f in ["kefu.db", "kefu.db-wal", "kefu.db-shm"] {
            let path = self.data_dir.join(f);
            if path.exists() {
                private(&path, 0o600)?;
            }
        }
        Ok(store)
    }
    /// Idle timeout.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_millis(self.idle_timeout_ms)
    }
    /// Defaults for tests: a temp data dir, open registration, demo passwords, test hooks on,
    /// silent visitors offered (the protocol suites script offers directly), and the test site key
    /// [`TEST_VISITOR_ID_SECRET`] for signed visitor ids. Authentication stays on.
    pub fn for_tests(data_dir: PathBuf) -> Config {
        let mut c = Config::parse_from(["kefu-server"]);
        c.data_dir = data_dir;
        c.open_registration = true;
        c.demo = true;
        c.test_hooks = true;
        c.visitor_id_secret = Some(TEST_VISITOR_ID_SECRET.into());
        c.offer_silent_visitors = true;
        c
    }
}
