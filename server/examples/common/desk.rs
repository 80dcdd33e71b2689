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
    while db.query_opt("SELECT 1 FROM pg_tables WHERE tablename = 'visitor_secrets'", &[]).await.expect("store").is_none() {
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
