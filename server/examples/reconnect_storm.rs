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
use common::desk::*;
use common::free_port;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

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
    let (probe, _, _) = customer(&base, &format!("st{run}-probe-c")).await;
    let (stop, prober) = start_probe(probe, clock);
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
    let during = latencies_between(&latencies, storm_at, storm_end);
    let on = if store.is_some() { "PostgreSQL" } else { "SQLite" };
    println!("| reconnect storm ({on}): {customers} customers back at once, {history} messages each replayed | every replay done in {:.0} ms ({replayed} of {} messages) |", storm.as_secs_f64() * 1000.0, customers * history);
    println!("| reconnect storm ({on}): a probe conversation's relay latency meanwhile | p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} messages) |", pct(&during, 0.5), pct(&during, 0.99), pct(&during, 1.0), during.len());
}
