//! Bench row 11 (issue 22): 300 logins at once against a release server, each from its own client
//! address (through `--trusted-proxies`, so no throttle refuses them): the server's peak resident
//! memory over idle and the latency of the answers. Before the fix each argon2 check (~19 MiB) ran
//! at once and the server reached 5.5 GB; the budget is +256 MiB.
//!
//! `KEFU_SERVER_BIN=target/release/kefu-server target/release/examples/login_burst`

mod common;
use common::free_port;
use std::time::{Duration, Instant};

/// Peak resident memory (VmHWM) of a process, in KiB.
fn peak_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let bin = std::env::var("KEFU_SERVER_BIN").expect("KEFU_SERVER_BIN: path of the release kefu-server");
    let n: usize = std::env::var("LOGINS").ok().and_then(|v| v.parse().ok()).unwrap_or(300);
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = std::process::Command::new(&bin)
        .args(["--bind", &format!("127.0.0.1:{port}"), "--data-dir", data.path().to_str().unwrap(), "--www-dir", data.path().to_str().unwrap()])
        .args(["--demo", "--trusted-proxies", "127.0.0.1"])
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start kefu-server");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let login = |from: String, kf: String| {
        let (client, url) = (client.clone(), format!("{base}/auth/login"));
        async move {
            let t = Instant::now();
            let r = client.post(url).header("x-forwarded-for", from).json(&serde_json::json!({"kfId": kf, "password": "wrong guess"})).send().await;
            (r.map(|r| r.status().as_u16()).unwrap_or(0), t.elapsed())
        }
    };
    login("10.255.0.1".into(), "xiaoming".into()).await; // one check first: the idle figure includes a warm server
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle = peak_kib(server.id());
    for (label, account) in [("one existing account", Some("xiaoming")), ("unknown accounts", None)] {
        let burst = (0..n).map(|i| login(format!("10.{}.{}.{}", 1 + i / 62_500, (i / 250) % 250, i % 250 + 1), account.map_or(format!("nobody{i}"), str::to_owned)));
        let t = Instant::now();
        let mut answers = futures_util::future::join_all(burst).await;
        let wall = t.elapsed();
        answers.sort_by_key(|a| a.1);
        let pct = |p: f64| answers[((answers.len() as f64 * p) as usize).min(answers.len() - 1)].1.as_secs_f64() * 1e3;
        let count = |c: u16| answers.iter().filter(|a| a.0 == c).count();
        println!(
            "| 11 | login burst, {n} at once, {label}, each from its own address | peak RSS +{:.1} MiB over idle ({:.1} MiB) | p50 {:.0} ms, p99 {:.0} ms, all in {:.2} s | 401: {}, 429: {}, 503: {} |",
            (peak_kib(server.id()).saturating_sub(idle)) as f64 / 1024.0,
            idle as f64 / 1024.0,
            pct(0.5),
            pct(0.99),
            wall.as_secs_f64(),
            count(401),
            count(429),
            count(503)
        );
    }
    let _ = server.kill();
    let _ = server.wait();
}
