//! Page views leaving at once (issue 27: no store round trip under the hub's lock), run by
//! `scripts/bench.sh`: a site with the widget has `PAGES` pages open that never say a word and
//! `GAVE_UP` customers who wrote and still wait (`AGENTS` agents at their cap); all of them leave
//! at the same moment, and when their grace period ends routing lets each go — the silent page's
//! claim freed, the customer who gave up recorded for the reports — while a probe conversation
//! beside them writes every 5 ms. Prints the probe's relay latency over that second: what the
//! rest of the desk feels while routing's own writes are made.
//!
//! Starts the release `kefu-server` (`KEFU_SERVER_BIN`) on SQLite, or on the PostgreSQL at
//! `KEFU_BENCH_PG` (where each of those writes is a round trip to the database). `STORE_MS=n`
//! (PostgreSQL) makes every statement on those tables and on the messages take `n` ms more (a
//! statement trigger that sleeps), as with a database across a network or a slow disk.

mod common;
use common::desk::*;
use futures_util::SinkExt;
use serde_json::json;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// The grace period the server runs with (ms): how long after a page closes routing lets it go.
const GRACE_MS: u64 = 1_000;

#[tokio::main]
async fn main() {
    let (pages, gave_up) = (env_or("PAGES", 2000), env_or("GAVE_UP", 200));
    let bench = Bench::start(&["--max-conversations", "1", "--grace-ms", &GRACE_MS.to_string()]).await;
    let base = bench.base.clone();
    let run = std::process::id();
    let (clock, latencies) = (bench.clock, bench.latencies.clone());
    // One agent, at its cap of one with the probe: everyone else who writes waits.
    let (_desk, probe) = bench.probe(&format!("pc{run}")).await;
    let mut leaving = Vec::new();
    for i in 0..gave_up {
        let url = format!("ws://{base}/websocket/visitor/pc{run}-w{i}?userName=W");
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("customer socket");
        ws.send(Message::Text(json!({"type": "message", "content": "有人吗"}).to_string().into())).await.expect("send");
        leaving.push(ws);
    }
    for i in 0..pages {
        let url = format!("ws://{base}/websocket/visitor/pc{run}-p{i}?userName=P");
        leaving.push(tokio_tungstenite::connect_async(url).await.expect("page socket").0);
    }
    let (stop, prober) = start_probe(probe, clock);
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Every page closes; a grace period later routing lets them all go.
    let gone_at = clock.elapsed().as_micros() as u64 + GRACE_MS * 1000;
    for mut ws in leaving {
        let _ = ws.close(None).await;
    }
    tokio::time::sleep(Duration::from_millis(GRACE_MS + 1500)).await;
    stop.store(1, Ordering::Relaxed);
    let _ = prober.await;
    let on = bench.on.clone();
    let waits = waits_under_lock(&bench.base).await;
    bench.stop().await;
    let during = latencies_between(&latencies, gone_at, gone_at + 1_000_000);
    println!(
        "| pages leaving ({on}): {pages} silent pages and {gave_up} waiting customers let go at once | a probe conversation's relay latency over that second: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} messages); waits for the store under the lock: {waits} |",
        pct(&during, 0.5),
        pct(&during, 0.99),
        pct(&during, 1.0),
        during.len()
    );
}

