//! Issue 22, finding 2: a burst of logins cannot exhaust memory (each argon2 check takes ~19 MiB;
//! before the fix 300 at once took the server to 5.5 GB). One test in its own process, so the
//! peak memory measured is this burst's.

mod support;
use serde_json::{json, Value};
use support::*;

/// Peak resident memory of this process (VmHWM), in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).unwrap()
}

async fn login_from(client: &reqwest::Client, s: &Server, from: &str, kf_id: &str, password: &str) -> u16 {
    let r = client.post(s.http("/auth/login")).header("x-forwarded-for", from).json(&json!({"kfId": kf_id, "password": password})).send().await.unwrap();
    let code = r.status().as_u16();
    let _: Value = r.json().await.unwrap_or(Value::Null);
    code
}

#[tokio::test]
async fn finding_2_a_burst_of_logins_cannot_exhaust_memory() {
    let s = Server::start_with(|c| {
        c.open_registration = false;
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let client = reqwest::Client::new();
    assert_eq!(login_from(&client, &s, "10.0.0.1", "xiaohong", "guess").await, 401); // warm: one check done
    let before = peak_rss_kib();
    // 300 at once for one real account, each from its own address (no throttle applies to the
    // first attempt of an address), and none with the right password.
    let addresses: Vec<String> = (0..300).map(|i| format!("10.1.{}.{}", i / 250, i % 250 + 1)).collect();
    let burst: Vec<_> = addresses.iter().map(|a| login_from(&client, &s, a, "xiaohong", "guess")).collect();
    let answers = futures_util::future::join_all(burst).await;
    let grown_mib = (peak_rss_kib().saturating_sub(before)) / 1024;
    assert!(answers.iter().all(|c| matches!(c, 401 | 429 | 503)), "every attempt answered");
    let count = |c: u16| answers.iter().filter(|&&a| a == c).count();
    println!("login burst: 300 at once, peak memory +{grown_mib} MiB; 401: {}, 429: {}, 503: {}", count(401), count(429), count(503));
    assert!(grown_mib <= 256, "peak memory grew {grown_mib} MiB under the burst (budget 256)");
}

