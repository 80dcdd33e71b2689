//! Server memory under customer churn (issue: customers who left are forgotten): starts the real
//! `kefu-server` binary, reads its resident memory, lets N customers come, write, get served by an
//! agent that accepts everyone, and leave, waits out the grace period, and reads it again.
//!
//! `cargo run --release -p kefu-server --example visitor_churn -- [customers] [server binary]`
//! (scripts/bench.sh runs it with 10 000). Prints table rows.

mod common;
use common::{free_port, rss_kib};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

/// An agent that accepts every customer offered and greets them.
async fn agent(base: String) {
    let (mut ws, _) = connect_async(format!("ws://{base}/websocket/xiaoming")).await.expect("agent socket");
    while let Some(Ok(m)) = ws.next().await {
        let Message::Text(t) = m else { continue };
        let f: Value = serde_json::from_str(&t).unwrap_or_default();
        if f["status"] == 2 {
            let u = f["data"]["id"].clone();
            let _ = ws.send(Message::Text(json!({"respStatus": 2, "kfId": "xiaoming", "userId": u, "userName": "V"}).to_string().into())).await;
            let _ = ws.send(Message::Text(json!({"kfId": "xiaoming", "kfName": "A", "userId": u, "userName": "V", "content": "您好"}).to_string().into())).await;
        }
    }
}

/// One customer: connects, writes, waits for the agent's greeting (at most 2 s), and leaves.
/// Returns whether they were greeted.
async fn customer(base: &str, i: usize) -> bool {
    let Ok((mut ws, _)) = connect_async(format!("ws://{base}/websocket/visitor/churn-{i}?userName=V{i}")).await else { return false };
    let _ = ws.send(Message::Text(json!({"type": "message", "content": format!("question {i}")}).to_string().into())).await;
    let greeted = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(Ok(m)) = ws.next().await {
            if matches!(&m, Message::Text(t) if t.contains("\"type\":\"message\"")) {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    let _ = ws.close(None).await;
    greeted
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let bin = args.next().unwrap_or_else(|| "target/release/kefu-server".into());
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("127.0.0.1:{port}");
    let grace_ms = 300;
    let mut server = Command::new(&bin)
        .args(["--bind", &base, "--data-dir"])
        .arg(dir.path())
        .args(["--insecure-no-auth", "--max-conversations", "1000000", "--max-msgs-per-sec", "1000000", "--grace-ms", &grace_ms.to_string()])
        .args(["--offer-silent-visitors", "--max-visitor-sockets-per-address", "1000000", "--max-new-visitors-per-address", "1000000"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start {bin}: {e}"));
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http.get(format!("http://{base}/agents/online")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = server.id();
    tokio::spawn(agent(base.clone()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let start = rss_kib(pid);
    let t0 = Instant::now();
    let concurrency = 50;
    let (mut next, mut greeted) = (0, 0);
    while next < n {
        let batch: Vec<_> = (next..(next + concurrency).min(n)).map(|i| {
            let base = base.clone();
            tokio::spawn(async move { customer(&base, i).await })
        }).collect();
        next += batch.len();
        for b in batch {
            greeted += usize::from(b.await.unwrap_or(false));
        }
    }
    let churn = t0.elapsed();
    let peak = rss_kib(pid);
    tokio::time::sleep(Duration::from_millis(grace_ms + 2_000)).await;
    let after = rss_kib(pid);
    let online: Value = http.get(format!("http://{base}/agents/online")).send().await.unwrap().json().await.unwrap_or_default();
    let queue: Value = http.get(format!("http://{base}/queue")).send().await.unwrap().json().await.unwrap_or_default();
    let conversations = online["data"][0]["conversations"].as_u64().unwrap_or(0);
    let waiting = queue["data"].as_array().map_or(0, |a| a.len());
    println!("| server RSS at start (one agent connected) | {:.1} MiB |", start as f64 / 1024.0);
    println!(
        "| right after {n} customers came, wrote, were served ({greeted} greeted) and left ({:.1} s) | {:.1} MiB |",
        churn.as_secs_f64(),
        peak as f64 / 1024.0
    );
    println!("| after the grace period ({grace_ms} ms) | {:.1} MiB; open conversations {conversations}, waiting {waiting} |", after as f64 / 1024.0);
    let _ = server.kill();
    let _ = server.wait();
}
