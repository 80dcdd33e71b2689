//! A reconnect storm (issue 27: a failover's clients all come back at once), run by
//! `scripts/bench.sh`: `CUSTOMERS` customers served by `AGENTS` agents, each customer with
//! `HISTORY` messages from their agent, all reconnect at the same moment asking for everything
//! since 0 (`lastSeq=0`, as after a routing node's death), while a probe conversation beside them
//! keeps writing every 5 ms; by default the server is killed and started again first, as when a
//! routing node dies and another restores routing from the store (`RESTART=0`: not). Prints how long until every customer had their replay, and the probe's
//! relay latency during the storm: what the rest of the desk feels while replays are read.
//!
//! Starts the release `kefu-server` (`KEFU_SERVER_BIN`) on SQLite, or on the PostgreSQL at
//! `KEFU_BENCH_PG` (where a replay is a round trip to the database).

mod common;
use common::free_port;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn env_or(key: &str, default: u64) -> u64 {
    std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn login(base: &str, kf: &str) -> String {
    let body: Value = reqwest::Client::new().post(format!("http://{base}/auth/login")).json(&json!({"kfId": kf, "password": kf})).send().await.expect("login").json().await.expect("answer");
    body["data"]["token"].as_str().expect("token (the server runs with --open-registration)").to_owned()
}

type Sink = Arc<tokio::sync::Mutex<futures_util::stream::SplitSink<Ws, Message>>>;

/// When the probe's messages arrive: (sent at, latency), µs since the clock's start.
type Probe = (Instant, Arc<Mutex<Vec<(u64, u64)>>>);

/// An agent that accepts every offer, answers the hello as a legacy client and times the probe's
/// messages it gets.
async fn agent(base: &str, kf: &str, probe: Probe) -> Sink {
    let token = login(base, kf).await;
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
async fn customer(base: &str, id: &str) -> (Ws, String, String) {
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

#[tokio::main]
async fn main() {
    let (agents, customers, history) = (env_or("AGENTS", 50), env_or("CUSTOMERS", 1000), env_or("HISTORY", 20));
    let port = free_port();
    let data = tempfile::tempdir().expect("temp dir");
    let bin = std::env::var("KEFU_SERVER_BIN").expect("KEFU_SERVER_BIN: path of the release kefu-server");
    let store = std::env::var("KEFU_BENCH_PG").ok();
    let start = || {
        std::process::Command::new(&bin)
            .args(["--bind", &format!("127.0.0.1:{port}"), "--data-dir", data.path().to_str().unwrap(), "--www-dir", data.path().to_str().unwrap()])
            .args(store.as_deref().map(|s| vec!["--store", s]).unwrap_or_default())
            .args(["--max-conversations", &(customers / agents + 2).to_string(), "--max-msgs-per-sec", "100000", "--open-registration"])
            .args(["--max-visitor-sockets-per-address", "1000000", "--max-new-visitors-per-address", "1000000"])
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start kefu-server")
    };
    let mut server = start();
    let base = format!("127.0.0.1:{port}");
    let up = |base: String| async move {
        while tokio::net::TcpStream::connect(&base).await.is_err() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    up(base.clone()).await;
    let run = std::process::id();
    let clock = Instant::now();
    let latencies = Arc::new(Mutex::new(Vec::<(u64, u64)>::new()));
    let mut desks = std::collections::HashMap::new();
    for a in 0..agents {
        let kf = format!("st{run}-a{a}");
        desks.insert(kf.clone(), agent(&base, &kf, (clock, latencies.clone())).await);
    }
    // Every customer served, then written to `history` times by their agent.
    let mut served = Vec::new();
    let mut sockets = Vec::new();
    for c in 0..customers {
        let id = format!("st{run}-c{c}");
        let (ws, kf, resume) = customer(&base, &id).await;
        for k in 0..history {
            let f = json!({"kfId": kf, "kfName": kf, "userId": id, "userName": "V", "content": format!("history {k}")});
            desks[&kf].lock().await.send(Message::Text(f.to_string().into())).await.expect("agent send");
        }
        sockets.push(ws);
        served.push((id, resume));
    }
    for ws in sockets.iter_mut() {
        let mut got = 0;
        while got < history {
            if let Some(Ok(Message::Text(t))) = ws.next().await {
                got += u64::from(serde_json::from_str::<Value>(&t).is_ok_and(|f| f["type"] == "message"));
            }
        }
    }
    // As after a routing node's death (`RESTART=0`: the same server): killed and started again on
    // the same store, its routing restored from it; the agents come back (no replay: legacy).
    if env_or("RESTART", 1) == 1 {
        let _ = server.kill();
        let _ = server.wait();
        drop(sockets);
        sockets = Vec::new();
        server = start();
        up(base.clone()).await;
        for a in 0..agents {
            let kf = format!("st{run}-a{a}");
            desks.insert(kf.clone(), agent(&base, &kf, (clock, latencies.clone())).await);
        }
    }
    // The probe: one more customer (served by whoever is least busy), writing every 5 ms throughout.
    let (mut probe, _, _) = customer(&base, &format!("st{run}-probe-c")).await;
    let stop = Arc::new(AtomicU64::new(0));
    let stop2 = stop.clone();
    let prober = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(5));
        while stop2.load(Ordering::Relaxed) == 0 {
            tick.tick().await;
            let f = json!({"type": "message", "content": format!("t={}", clock.elapsed().as_micros())});
            if probe.send(Message::Text(f.to_string().into())).await.is_err() {
                break;
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The storm: every customer drops and comes back at once, asking for everything since 0.
    let storm_at = clock.elapsed().as_micros() as u64;
    drop(sockets);
    let began = Instant::now();
    let mut back = Vec::new();
    for (id, resume) in &served {
        let (base, id, resume) = (base.clone(), id.clone(), resume.clone());
        back.push(tokio::spawn(async move {
            let url = format!("ws://{base}/websocket/visitor/{id}?userName=V&lastSeq=0&resume={resume}");
            let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("reconnect");
            let mut got = 0;
            while got < history {
                match ws.next().await {
                    Some(Ok(Message::Text(t))) => got += u64::from(serde_json::from_str::<Value>(&t).is_ok_and(|f| f["type"] == "message")),
                    Some(Ok(_)) => {}
                    _ => break,
                }
            }
            got
        }));
    }
    let mut replayed = 0;
    for b in back {
        replayed += b.await.unwrap_or(0);
    }
    let storm = began.elapsed();
    let storm_end = clock.elapsed().as_micros() as u64;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(1, Ordering::Relaxed);
    let _ = prober.await;
    let _ = server.kill();
    let _ = server.wait();
    let mut during: Vec<u64> = latencies.lock().unwrap().iter().filter(|(t, _)| *t >= storm_at && *t <= storm_end).map(|(_, l)| *l).collect();
    during.sort_unstable();
    let pct = |p: f64| during.get(((during.len() as f64 * p) as usize).min(during.len().saturating_sub(1))).map_or(0.0, |v| *v as f64 / 1000.0);
    let on = if store.is_some() { "PostgreSQL" } else { "SQLite" };
    println!("| reconnect storm ({on}): {customers} customers back at once, {history} messages each replayed | every replay done in {:.0} ms ({replayed} of {} messages) |", storm.as_secs_f64() * 1000.0, customers * history);
    println!("| reconnect storm ({on}): a probe conversation's relay latency meanwhile | p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} messages) |", pct(0.5), pct(0.99), pct(1.0), during.len());
}
