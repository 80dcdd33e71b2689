//! Server memory per idle connection, agents and visitors apart (issue 28): starts a release
//! kefu-server (`KEFU_SERVER_BIN`), opens `VISITORS` idle visitor sockets (default 10 000), then
//! signs in `AGENTS` agents (default 100; new ones, registered on first sign-in) and opens their
//! sockets, and prints the server's resident memory after each step as Markdown rows.

mod common;
use common::{free_port, rss_kib};
use futures_util::StreamExt;
use std::time::Duration;

fn env_or(key: &str, default: u64) -> u64 {
    std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn settle(pid: u32) -> u64 {
    tokio::time::sleep(Duration::from_millis(700)).await;
    rss_kib(pid)
}

#[tokio::main]
async fn main() {
    let visitors = env_or("VISITORS", 10_000);
    let agents = env_or("AGENTS", 100);
    let bin = std::env::var("KEFU_SERVER_BIN").expect("KEFU_SERVER_BIN: path of the release kefu-server");
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = std::process::Command::new(&bin)
        .args(["--bind", &format!("127.0.0.1:{port}"), "--data-dir", data.path().to_str().unwrap(), "--www-dir", data.path().to_str().unwrap()])
        .args(["--open-registration", "--max-visitor-sockets-per-address", "1000000", "--max-new-visitors-per-address", "1000000"])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start kefu-server");
    let pid = server.id();
    let base = format!("127.0.0.1:{port}");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(&base).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let start = settle(pid).await;
    let mut held = Vec::new();
    for v in 0..visitors {
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{base}/websocket/visitor/idle-v{v}?userName=V")).await.expect("visitor socket");
        let (tx, mut rx) = ws.split();
        let _ = rx.next().await; // its first status: served
        held.push((tx, rx));
    }
    let with_visitors = settle(pid).await;
    // The first sign-ins give each password thread its argon2 memory (~19 MiB, kept for the
    // next): a fixed cost, measured apart from what each agent then adds.
    let warm = agents.min(10);
    let mut with_warm = with_visitors;
    for a in 0..agents {
        if a == warm {
            with_warm = settle(pid).await;
        }
        let kf = format!("idle-agent-{a}");
        let login = serde_json::json!({"kfId": kf, "password": kf});
        let body: serde_json::Value =
            reqwest::Client::new().post(format!("http://{base}/auth/login")).json(&login).send().await.expect("login").json().await.expect("login answer");
        let token = body["data"]["token"].as_str().expect("agent token").to_owned();
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{base}/websocket/{kf}?token={token}")).await.expect("agent socket");
        let (tx, mut rx) = ws.split();
        let _ = rx.next().await; // the hello
        held.push((tx, rx));
    }
    let with_agents = settle(pid).await;
    let per = |after: u64, before: u64, n: u64| after.saturating_sub(before) as f64 / n.max(1) as f64;
    println!("| idle connections | resident memory | per connection |");
    println!("|---|---|---|");
    println!("| none (started) | {start} KiB | — |");
    println!("| {visitors} idle visitor sockets | {with_visitors} KiB | {:.1} KiB |", per(with_visitors, start, visitors));
    println!("| + {warm} agents signed in (password threads' argon2 memory) | {with_warm} KiB | — |");
    println!("| + {} more agents signed in, sockets idle | {with_agents} KiB | {:.1} KiB per agent |", agents - warm, per(with_agents, with_warm, agents - warm));
    drop(held);
    let _ = server.kill();
    let _ = server.wait();
}
