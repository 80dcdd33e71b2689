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
    /// Longest chat message, in characters.
    #[arg(long, env = "KEFU_MAX_MESSAGE_CHARS", default_value_t = 5000)]
    pub max_message_chars: usize,
    /// Largest image upload, in bytes.
    #[arg(long, env = "KEFU_MAX_UPLOAD_BYTES", default_value_t = 5 * 1024 * 1024)]
    pub max_upload_bytes: usize,
    /// Most simultaneous conversations per agent; a transfer to a fuller agent fails as busy.
    #[arg(long, env = "KEFU_MAX_CONVERSATIONS", default_value_t = 20)]
    pub max_conversations: usize,
    /// Require this token from agents and the HTTP API (`?token=` or `Authorization: Bearer`).
    /// Visitor sockets and static files stay open. Unset: no token needed.
    #[arg(long, env = "KEFU_AUTH_TOKEN")]
    pub auth_token: Option<String>,
    /// Comma-separated origins allowed to open sockets and call the API (browsers send `Origin`).
    /// Unset: any origin.
    #[arg(long, env = "KEFU_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,
    /// Most chat messages per second one socket may send (burst: twice that); beyond it the
    /// socket is closed with 1008 (policy violation).
    #[arg(long, env = "KEFU_MAX_MSGS_PER_SEC", default_value_t = 100)]
    pub max_msgs_per_sec: u32,
    /// Register unknown agent ids on first connection instead of refusing them.
    #[arg(long, env = "KEFU_OPEN_REGISTRATION", default_value_t = false)]
    pub open_registration: bool,
    /// Enable /test/* endpoints (push raw frames, drop or stall sockets). Never in production.
    #[arg(long, env = "KEFU_TEST_HOOKS", default_value_t = false)]
    pub test_hooks: bool,
}

impl Config {
    /// Grace period.
    pub fn grace(&self) -> Duration {
        Duration::from_millis(self.grace_ms)
    }
    /// Idle timeout.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_millis(self.idle_timeout_ms)
    }
    /// Defaults for tests: a temp data dir, open registration, test hooks on.
    pub fn for_tests(data_dir: PathBuf) -> Config {
        let mut c = Config::parse_from(["kefu-server"]);
        c.data_dir = data_dir;
        c.open_registration = true;
        c.test_hooks = true;
        c
    }
}
