//! A queue taken at once (issue 27: no store round trip under the hub's lock), run by
//! `scripts/bench.sh`: `CUSTOMERS` customers wait with `WRITTEN` messages each, then `AGENTS`
//! agents come on shift at the same moment and accept everyone offered (cap 10), while a probe
//! conversation beside them writes every 5 ms. Prints how long until every customer was served
//! and the probe's relay latency meanwhile: what the desk feels while accepts are stored.
//!
//! Starts the release `kefu-server` (`KEFU_SERVER_BIN`) on SQLite, or on the PostgreSQL at
//! `KEFU_BENCH_PG`; `STORE_MS=n` makes each statement on the conversations and messages `n` ms
//! slower (see `page_churn.rs`).

mod common;
use common::desk::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

#[tokio::main]
async fn main() {
    let (agents, customers, written) = (env_or("AGENTS", 50), env_or("CUSTOMERS", 450), env_or("WRITTEN", 3));
    let bench = Bench::start(&["--max-conversations", "10"]).await;
    let base = bench.base.clone();
    let run = std::process::id();
    let (clock, latencies) = (bench.clock, bench.latencies.clone());
    // The probe's agent serves the probe (and, at its cap, nine customers more).
    let (_probe_desk, probe) = bench.probe(&format!("qr{run}")).await;
    let mut waiting = Vec::new();
    for c in 0..customers {
        let url = format!("ws://{base}/websocket/visitor/qr{run}-c{c}?userName=C");
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("customer socket");
        for k in 0..written {
            ws.send(Message::Text(json!({"type": "message", "content": format!("question {k}"), "msgId": format!("q{k}")}).to_string().into())).await.expect("send");
        }
        waiting.push(ws);
    }
    tokio::time::sleep(Duration::from_millis(500)).await; // every question stored
    let (stop, prober) = start_probe(probe, clock);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The shift starts: every agent at once; each accepts whoever it is offered.
    let mut tokens = Vec::new();
    for a in 0..agents.saturating_sub(1) {
        let kf = format!("qr{run}-a{a}");
        tokens.push((login(&base, &kf).await, kf)); // signed in before: the rush is the sockets
    }
    let rush_at = clock.elapsed().as_micros() as u64;
    let began = Instant::now();
    let mut desks = Vec::new();
    for (token, kf) in tokens {
        let (base, lat) = (base.clone(), latencies.clone());
        desks.push(tokio::spawn(async move { agent_with(&base, &kf, &token, (clock, lat)).await }));
    }
    let mut served = 0;
    for mut ws in waiting {
        let assigned = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(Ok(m)) = ws.next().await {
                if let Message::Text(t) = m {
                    let f: Value = serde_json::from_str(&t).unwrap_or(Value::Null);
                    if f["type"] == "status" && f["state"] == "assigned" {
                        return true;
                    }
                }
            }
            false
        });
        served += u64::from(assigned.await.unwrap_or(false));
    }
    let rush = began.elapsed();
    let rush_end = clock.elapsed().as_micros() as u64;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(1, Ordering::Relaxed);
    let _ = prober.await;
    let on = bench.on.clone();
    let waits = waits_under_lock(&base).await;
    bench.stop().await;
    let during = latencies_between(&latencies, rush_at, rush_end);
    println!(
        "| queue rush ({on}): {customers} customers with {written} messages each, {agents} agents on at once | {served} served in {:.0} ms; a probe conversation's relay latency meanwhile: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} messages); waits for the store under the lock: {waits} |",
        rush.as_secs_f64() * 1000.0,
        pct(&during, 0.5),
        pct(&during, 0.99),
        pct(&during, 1.0),
        during.len()
    );
}
