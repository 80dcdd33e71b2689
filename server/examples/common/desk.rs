//! What the desk benchmarks share: agents that accept every offer and time a probe's messages,
//! customers who write and wait to be served, the probe that writes every 5 ms, percentiles.
#![allow(dead_code)] // each benchmark uses some of these

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// `key` from the environment as a number, or `default`.
pub fn env_or(key: &str, default: u64) -> u64 {
    std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The waits for the store the server made under routing's lock, from its `/metrics`
/// (`call=n` pairs; `none` when there were none).
pub async fn waits_under_lock(base: &str) -> String {
    let text = match reqwest::get(format!("http://{base}/metrics")).await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(e) => return format!("metrics unavailable: {e}"),
    };
    let waits: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("kefu_store_waits_under_lock{call=\""))
        .map(|l| l.replacen("\"} ", "=", 1))
        .collect();
    if waits.is_empty() { "none".into() } else { waits.join(", ") }
}

/// A token for agent `kf` (the server runs with `--open-registration`).
pub async fn login(base: &str, kf: &str) -> String {
    let body: Value = reqwest::Client::new().post(format!("http://{base}/auth/login")).json(&json!({"kfId": kf, "password": kf})).send().await.expect("login").json().await.expect("answer");
    body["data"]["token"].as_str().expect("token (the server runs with --open-registration)").to_owned()
}

/// An agent socket's sending half.
pub type Sink = Arc<tokio::sync::Mutex<futures_util::stream::SplitSink<Ws, Message>>>;

/// When the probe's messages arrive: (sent at, latency), µs since the clock's start.
pub type Probe = (Instant, Arc<Mutex<Vec<(u64, u64)>>>);

/// An agent that accepts every offer, answers the hello as a legacy client and times the probe's
/// messages it gets.
pub async fn agent(base: &str, kf: &str, probe: Probe) -> Sink {
    let token = login(base, kf).await;
    agent_with(base, kf, &token, probe).await
}

/// [`agent`] signed in already, with `token`.
pub async fn agent_with(base: &str, kf: &str, token: &str, probe: Probe) -> Sink {
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{base}/websocket/{kf}?token={token}")).await.expect("agent socket");
    let (tx, mut rx) = ws.split();
    let tx: Sink = Arc::new(tokio::sync::Mutex::new(tx));
    let (answer, kf) = (tx.clone(), kf.to_owned());
    tokio::spawn(async move {
        while let Some(Ok(m)) = rx.next().await {
            let Message::Text(t) = m else { continue };
            let v: Value = serde_json::from_str(&t).unwrap_or(Value::Null);
            let reply = match v["status"].as_i64() {
                Some(100) => Some(json!({"respStatus": 100, "features": []})),
                Some(2) => Some(json!({"respStatus": 2, "kfId": kf, "userId": v["data"]["id"], "userName": v["data"]["userName"]})),
                _ => None,
            };
            if let Some(r) = reply {
                let _ = answer.lock().await.send(Message::Text(r.to_string().into())).await;
            }
            if let Some(t) = v["data"]["content"].as_str().and_then(|c| c.strip_prefix("t=")).and_then(|c| c.parse::<u64>().ok()) {
                let now = probe.0.elapsed().as_micros() as u64;
                probe.1.lock().unwrap().push((t, now.saturating_sub(t)));
            }
        }
    });
    tx
}

/// A customer who writes once and waits to be served: their socket, their agent and the secret
/// that lets them come back as themselves.
pub async fn customer(base: &str, id: &str) -> (Ws, String, String) {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{base}/websocket/visitor/{id}?userName=V")).await.expect("visitor socket");
    ws.send(Message::Text(json!({"type": "message", "content": "hello"}).to_string().into())).await.expect("send");
    let mut resume = String::new();
    while let Some(Ok(m)) = ws.next().await {
        let Message::Text(t) = m else { continue };
        let f: Value = serde_json::from_str(&t).unwrap_or(Value::Null);
        if let Some(r) = f["resume"].as_str() {
            resume = r.to_owned();
        }
        if f["type"] == "status" && f["state"] == "assigned" {
            return (ws, f["kfId"].as_str().unwrap_or_default().to_owned(), resume);
        }
    }
    panic!("customer {id} never served");
}

/// The probe: writes `{"type":"message","content":"t=<µs>"}` on `ws` every 5 ms until the
/// returned flag is set; the agent serving it times each one ([`agent`]).
pub fn start_probe(mut ws: Ws, clock: Instant) -> (Arc<AtomicU64>, tokio::task::JoinHandle<()>) {
    let stop = Arc::new(AtomicU64::new(0));
    let stop2 = stop.clone();
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(5));
        while stop2.load(Ordering::Relaxed) == 0 {
            tick.tick().await;
            let f = json!({"type": "message", "content": format!("t={}", clock.elapsed().as_micros())});
            if ws.send(Message::Text(f.to_string().into())).await.is_err() {
                break;
            }
        }
    });
    (stop, task)
}

/// The probe latencies (ms) of the messages sent between `from` and `to` (µs on the clock), sorted.
pub fn latencies_between(probe: &Mutex<Vec<(u64, u64)>>, from: u64, to: u64) -> Vec<f64> {
    let mut during: Vec<f64> = probe.lock().unwrap().iter().filter(|(t, _)| *t >= from && *t <= to).map(|(_, l)| *l as f64 / 1000.0).collect();
    during.sort_by(f64::total_cmp);
    during
}

/// The `p` quantile of sorted `v` (0 when empty).
pub fn pct(v: &[f64], p: f64) -> f64 {
    v.get(((v.len() as f64 * p) as usize).min(v.len().saturating_sub(1))).copied().unwrap_or(0.0)
}

/// Makes each statement on the conversations, the claims and the messages take `ms` more (0: as
/// they are), once the server has made the tables.
pub async fn slow_store(url: &str, ms: u64) {
    let (db, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.expect("the bench's store");
    tokio::spawn(conn);
    while !db.query_one("SELECT to_regclass('visitor_secrets') IS NOT NULL", &[]).await.expect("store").get::<_, bool>(0) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut sql = format!("CREATE OR REPLACE FUNCTION bench_slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep({}); RETURN NULL; END $$;", ms as f64 / 1000.0);
    for table in ["conversations", "visitor_secrets", "messages"] {
        sql += &format!("DROP TRIGGER IF EXISTS bench_slow ON {table};");
        if ms > 0 {
            sql += &format!("CREATE TRIGGER bench_slow AFTER INSERT OR UPDATE OR DELETE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bench_slow();");
        }
    }
    db.batch_execute(&sql).await.expect("bench triggers");
}

/// `url` with a schema of this run's own (the server makes it), so every run starts from an
/// empty store: the schema's name and the URL.
pub fn own_schema(url: &str) -> (String, String) {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let schema = format!("bench_{}_{}", std::process::id(), nanos % 1_000_000_000);
    let sep = if url.contains('?') { '&' } else { '?' };
    (schema.clone(), format!("{url}{sep}options=-c%20search_path%3D{schema}"))
}

/// Drops `schema` (the run's own) from the database at `url`.
pub async fn drop_schema(url: &str, schema: &str) {
    if let Ok((db, conn)) = tokio_postgres::connect(url, tokio_postgres::NoTls).await {
        tokio::spawn(conn);
        let _ = db.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await;
    }
}

/// A release `kefu-server` (`KEFU_SERVER_BIN`) started for a desk benchmark: on SQLite in a
/// temporary directory, or on a schema of its own at `KEFU_BENCH_PG` (every statement on the
/// conversations, claims and messages `STORE_MS` ms slower), with `args` and no rate limits.
pub struct Bench {
    /// The server's process.
    pub server: std::process::Child,
    /// Its `host:port`.
    pub base: String,
    /// How the store is described in the printed rows.
    pub on: String,
    /// The benchmark's clock.
    pub clock: Instant,
    /// When the probe's messages arrived ([`Probe`]).
    pub latencies: Arc<Mutex<Vec<(u64, u64)>>>,
    data: tempfile::TempDir,
    schema: Option<(String, String)>,
}

impl Bench {
    /// Starts the server and waits until it listens.
    pub async fn start(args: &[&str]) -> Bench {
        let port = super::free_port();
        let data = tempfile::tempdir().expect("temp dir");
        let bin = std::env::var("KEFU_SERVER_BIN").expect("KEFU_SERVER_BIN: path of the release kefu-server");
        let base_url = std::env::var("KEFU_BENCH_PG").ok();
        let own = base_url.as_deref().map(own_schema);
        let store = own.as_ref().map(|(_, url)| url.clone());
        let server = std::process::Command::new(&bin)
            .args(["--bind", &format!("127.0.0.1:{port}"), "--data-dir", data.path().to_str().unwrap(), "--www-dir", data.path().to_str().unwrap()])
            .args(store.as_deref().map(|s| vec!["--store", s]).unwrap_or_default())
            .args(args)
            .args(["--max-msgs-per-sec", "100000", "--open-registration", "--max-visitor-sockets-per-address", "1000000", "--max-new-visitors-per-address", "1000000"])
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start kefu-server");
        let base = format!("127.0.0.1:{port}");
        while tokio::net::TcpStream::connect(&base).await.is_err() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let ms = env_or("STORE_MS", 0);
        if let Some(url) = &store {
            slow_store(url, ms).await;
        }
        let on = match (&store, ms) {
            (None, _) => "SQLite".to_owned(),
            (Some(_), 0) => "PostgreSQL".to_owned(),
            (Some(_), ms) => format!("PostgreSQL, each statement {ms} ms slower"),
        };
        Bench { server, base, on, clock: Instant::now(), latencies: Arc::default(), data, schema: base_url.zip(own.map(|(s, _)| s)) }
    }

    /// The probe's clock and latencies, for an [`agent`] to time the probe's messages.
    pub fn probe_timing(&self) -> Probe {
        (self.clock, self.latencies.clone())
    }

    /// The probe conversation: agent `{prefix}-probe-a` (on first, so it serves the probe) and
    /// its customer's socket, for [`start_probe`].
    pub async fn probe(&self, prefix: &str) -> (Sink, Ws) {
        let desk = agent(&self.base, &format!("{prefix}-probe-a"), self.probe_timing()).await;
        let (ws, _, _) = customer(&self.base, &format!("{prefix}-probe")).await;
        (desk, ws)
    }

    /// Stops the server and drops its schema.
    pub async fn stop(mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
        if let Some((url, schema)) = &self.schema {
            drop_schema(url, schema).await;
        }
        drop(self.data);
    }
}
