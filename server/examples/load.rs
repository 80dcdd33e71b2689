//! Load benchmark of the reference server (issue: performance, item 7), run by `scripts/bench.sh`.
//!
//! Starts the release `kefu-server` binary (path in `KEFU_SERVER_BIN`) as its own process, opens
//! `AGENTS` agent sockets and `CONVERSATIONS` visitor sockets over loopback, lets the agents accept
//! every customer, then has the visitors send `RATE` messages per second in total for `SECONDS`
//! seconds. Each message carries its send time; the agents record the relay latency. Prints one
//! Markdown table row per figure, plus the server's resident memory per idle connection.
//!
//! With `KEFU_TARGET=host:port` it starts no server and loads the one there (a cluster's load
//! balancer, started with `--max-conversations`, `--max-msgs-per-sec 1000` and
//! `--open-registration`); the row names say `cluster` and the server's CPU and memory are left out.
//!
//! With `DEPARTMENTS=n` (issue 27's bench: 6), a supervisor (`zhuguan`, the server in `--demo`)
//! makes `n` departments, agent `a` in department `a % n` and customer `v` arriving with
//! `?department=` of department `v % n`, so routing works per department. The agents sign in,
//! then the departments are made, then (`SETTLE_MS` later; a partitioned cluster's nodes read
//! departments each second, and with `KEFU_METRICS` once the partitions stay spread evenly for
//! 4 s) the agents connect.
//!
//! Everything runs on the same machine: the load generator competes with the server for the CPUs,
//! so the latencies are an upper bound.

mod common;
use common::{free_port, rss_kib};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

fn env_or(key: &str, default: u64) -> u64 {
    std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The pids `spec` names: `1,2,3`, or `@name` (every process of that name now, `pgrep -x`).
fn pids_of(spec: &str) -> Vec<u32> {
    let listed = match spec.strip_prefix('@') {
        Some(name) => std::process::Command::new("pgrep").args(["-d,", "-x", name]).output().map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default(),
        None => spec.to_owned(),
    };
    listed.split(',').filter_map(|p| p.trim().parse().ok()).collect()
}

/// The machine's busy and total CPU ticks since boot (all cores, /proc/stat).
fn machine_ticks() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let f: Vec<f64> = stat.lines().next().unwrap_or("").split_whitespace().skip(1).map(|x| x.parse().unwrap_or(0.0)).collect();
    let idle = f.get(3).copied().unwrap_or(0.0) + f.get(4).copied().unwrap_or(0.0);
    let total: f64 = f.iter().take(8).sum();
    (total - idle, total)
}

/// CPU time (user + system) a process has used, in seconds, from /proc (100 ticks per second).
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<f64> = rest.split_whitespace().map(|x| x.parse().unwrap_or(0.0)).collect();
    (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / 100.0
}

/// The routing node's `kefu_relay_seconds` histogram (time from the hub taking a chat message to
/// its commit), summed over the nodes at `addrs` (only a routing node has it): `(le, count)`.
async fn relay_buckets(addrs: &[String]) -> Vec<(f64, u64)> {
    let mut sum: Vec<(f64, u64)> = Vec::new();
    for a in addrs {
        let Ok(r) = reqwest::get(format!("http://{a}/metrics")).await else { continue };
        let text = r.text().await.unwrap_or_default();
        for line in text.lines().filter(|l| l.starts_with("kefu_relay_seconds_bucket{")) {
            let le = line.split("le=\"").nth(1).and_then(|r| r.split('"').next()).map(|v| v.parse::<f64>().unwrap_or(f64::INFINITY));
            let n = line.rsplit(' ').next().and_then(|v| v.parse::<u64>().ok());
            if let (Some(le), Some(n)) = (le, n) {
                match sum.iter_mut().find(|(l, _)| *l == le) {
                    Some((_, c)) => *c += n,
                    None => sum.push((le, n)),
                }
            }
        }
    }
    sum.sort_by(|a, b| a.0.total_cmp(&b.0));
    sum
}

/// The p99 (ms) of the messages stored and routed between two scrapes, interpolated within its
/// bucket as Prometheus' `histogram_quantile` does, and how many there were.
fn relay_p99(before: &[(f64, u64)], after: &[(f64, u64)]) -> Option<(f64, u64)> {
    let delta = |le: f64| after.iter().find(|(l, _)| *l == le).map_or(0, |(_, n)| *n) - before.iter().find(|(l, _)| *l == le).map_or(0, |(_, n)| *n);
    let total = delta(f64::INFINITY);
    let rank = 0.99 * total as f64;
    let (mut lower, mut below) = (0.0, 0u64);
    for (le, _) in after.iter().filter(|(le, _)| le.is_finite()) {
        let n = delta(*le);
        if n as f64 >= rank && total > 0 {
            let share = if n > below { (rank - below as f64) / (n - below) as f64 } else { 1.0 };
            return Some(((lower + (le - lower) * share) * 1000.0, total));
        }
        (lower, below) = (*le, n);
    }
    None
}

struct Tally {
    latencies_us: Mutex<Vec<u64>>,
    received: AtomicU64,
    assigned: AtomicU64,
}

#[tokio::main]
async fn main() {
    let target = std::env::var("KEFU_TARGET").ok();
    let agents = env_or("AGENTS", 50);
    let conversations = env_or("CONVERSATIONS", 1000);
    let rate = env_or("RATE", 2000);
    let seconds = env_or("SECONDS", 10);
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let per_agent = conversations.div_ceil(agents) + 1;
    if let Some(base) = target {
        return run(base, agents, conversations, rate, seconds, None).await;
    }
    let bin = std::env::var("KEFU_SERVER_BIN").expect("KEFU_SERVER_BIN: path of the release kefu-server");
    let server = std::process::Command::new(&bin)
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .args(["--data-dir", data.path().to_str().unwrap()])
        .args(["--www-dir", data.path().to_str().unwrap()])
        .args(["--max-conversations", &per_agent.to_string()])
        .args(["--max-msgs-per-sec", "1000"])
        .arg("--open-registration")
        .args(if env_or("DEPARTMENTS", 0) > 0 { &["--demo"][..] } else { &[][..] })
        .args(["--offer-silent-visitors", "--max-visitor-sockets-per-address", "1000000", "--max-new-visitors-per-address", "1000000"])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start kefu-server");
    let base = format!("127.0.0.1:{port}");
    run(base, agents, conversations, rate, seconds, Some(server)).await;
}

/// A partitioned cluster (`nodes`' `/healthz` name owners): waits until every node hears the
/// same owners and says they are `settled` (none is handed over to even them out during the run:
/// the load does not reconnect), and that held for 4 s (at most 60 s).
async fn until_spread(nodes: &[&str]) {
    let http = reqwest::Client::new();
    let (start, mut since, mut last) = (Instant::now(), Instant::now(), None::<Value>);
    while start.elapsed() < Duration::from_secs(60) {
        let mut views = Vec::new();
        for n in nodes {
            let v: Value = match http.get(format!("http://{n}/healthz")).send().await {
                Ok(r) => r.json().await.unwrap_or_default(),
                Err(_) => Value::Null,
            };
            views.push(v);
        }
        if views.first().and_then(|v| v["owners"].as_object()).is_none_or(serde_json::Map::is_empty) {
            return; // not partitioned
        }
        let settled = views.iter().all(|v| v["settled"].as_bool() == Some(true) && v["owners"] == views[0]["owners"]);
        if !settled || last.as_ref() != Some(&views[0]["owners"]) {
            since = Instant::now();
            last = Some(views[0]["owners"].clone());
        } else if since.elapsed() >= Duration::from_secs(4) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eprintln!("the partitions never settled: measuring anyway");
}

/// As the demo supervisor, makes departments `d0`…: agent `a` of this run in `d{a % n}`.
async fn make_departments(base: &str, run_id: u32, agents: u64, n: u64) {
    let http = reqwest::Client::new();
    let login = json!({"kfId": "zhuguan", "password": "zhuguan"});
    let body: Value = http.post(format!("http://{base}/auth/login")).json(&login).send().await.expect("login").json().await.expect("login answer");
    let token = body["data"]["token"].as_str().expect("the demo supervisor (the server needs --demo)").to_owned();
    let departments: Vec<Value> = (0..n)
        .map(|d| json!({"id": format!("d{d}"), "name": format!("部门{d}"), "agents": (0..agents).filter(|a| a % n == d).map(|a| format!("load{run_id}-agent-{a}")).collect::<Vec<_>>()}))
        .collect();
    let r = http.post(format!("http://{base}/settings/departments")).bearer_auth(token).json(&json!({"departments": departments})).send().await.expect("departments");
    assert!(r.status().is_success(), "departments refused: {}", r.text().await.unwrap_or_default());
}

/// Loads the server at `base`; `server` is its process when this benchmark started it.
async fn run(base: String, agents: u64, conversations: u64, rate: u64, seconds: u64, mut server: Option<std::process::Child>) {
    let pid = server.as_ref().map(|s| s.id());
    // Ids of this run only: a shared store (a cluster's) keeps the last run's customers.
    let run_id = std::process::id();
    let label = if server.is_some() { "server" } else { "cluster" };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(&base).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rss_start = pid.map(rss_kib).unwrap_or(0);
    let clock = Instant::now();
    let tally = Arc::new(Tally { latencies_us: Mutex::new(Vec::new()), received: AtomicU64::new(0), assigned: AtomicU64::new(0) });

    // Agents sign in (registered on the first login), then are put in departments: a
    // partitioned cluster routes each agent's socket by its department, so the sockets come after
    // (and `SETTLE_MS` later: every node has read the new departments).
    let mut tokens = Vec::new();
    for a in 0..agents {
        let kf = format!("load{run_id}-agent-{a}");
        let login = serde_json::json!({"kfId": kf, "password": kf});
        let body: serde_json::Value =
            reqwest::Client::new().post(format!("http://{base}/auth/login")).json(&login).send().await.expect("login").json().await.expect("login answer");
        tokens.push(body["data"]["token"].as_str().expect("agent token").to_owned());
    }
    let departments = env_or("DEPARTMENTS", 0);
    if departments > 0 {
        make_departments(&base, run_id, agents, departments).await;
        tokio::time::sleep(Duration::from_millis(env_or("SETTLE_MS", 0))).await;
        if let Ok(nodes) = std::env::var("KEFU_METRICS") {
            until_spread(&nodes.split(',').collect::<Vec<_>>()).await;
        }
    }
    // Agents: answer the hello as legacy clients, accept every customer, time every message.
    for (a, token) in tokens.into_iter().enumerate() {
        let a = a as u64;
        let kf = format!("load{run_id}-agent-{a}");
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{base}/websocket/{kf}?token={token}")).await.expect("agent socket");
        let (mut tx, mut rx) = ws.split();
        let tally = tally.clone();
        tokio::spawn(async move {
            while let Some(Ok(m)) = rx.next().await {
                let Message::Text(t) = m else { continue };
                let v: Value = serde_json::from_str(&t).unwrap_or(Value::Null);
                match v["status"].as_i64() {
                    Some(100) => {
                        let _ = tx.send(Message::Text(json!({"respStatus": 100, "features": []}).to_string().into())).await;
                    }
                    Some(2) => {
                        let reply = json!({"respStatus": 2, "kfId": format!("load{run_id}-agent-{a}"), "userId": v["data"]["id"], "userName": v["data"]["userName"]});
                        let _ = tx.send(Message::Text(reply.to_string().into())).await;
                    }
                    Some(1) => {
                        if let Some(sent) = v["data"]["content"].as_str().and_then(|c| c.strip_prefix("t=")).and_then(|c| c.parse::<u64>().ok()) {
                            let now = clock.elapsed().as_micros() as u64;
                            tally.latencies_us.lock().unwrap().push(now.saturating_sub(sent));
                            tally.received.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    _ => {}
                }
            }
        });
    }

    // Visitors: connect, wait to be assigned, then send at their share of the rate.
    let per_visitor_interval = Duration::from_micros(1_000_000 * conversations / rate.max(1));
    let start_sending = Arc::new(tokio::sync::Notify::new());
    let sent = Arc::new(AtomicU64::new(0));
    let mut visitors = Vec::new();
    for v in 0..conversations {
        let department = if departments > 0 { format!("&department=d{}", v % departments) } else { String::new() };
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{base}/websocket/visitor/load{run_id}-v{v}?userName=V{v}{department}"))
            .await
            .expect("visitor socket");
        let (mut tx, mut rx) = ws.split();
        let tally = tally.clone();
        let go = start_sending.clone();
        let sent = sent.clone();
        visitors.push(tokio::spawn(async move {
            // Wait for "assigned".
            while let Some(Ok(m)) = rx.next().await {
                if let Message::Text(t) = m {
                    let f: Value = serde_json::from_str(&t).unwrap_or(Value::Null);
                    if f["type"] == "status" && f["state"] == "assigned" {
                        tally.assigned.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                }
            }
            tokio::spawn(async move { while rx.next().await.is_some() {} });
            go.notified().await;
            // Spread the visitors' sends over the interval.
            tokio::time::sleep(per_visitor_interval.mul_f64((v % 1000) as f64 / 1000.0)).await;
            let mut tick = tokio::time::interval(per_visitor_interval);
            let end = Instant::now() + Duration::from_secs(seconds);
            while Instant::now() < end {
                tick.tick().await;
                let t = clock.elapsed().as_micros() as u64;
                let frame = json!({"type": "message", "content": format!("t={t}")}).to_string();
                if tx.send(Message::Text(frame.into())).await.is_err() {
                    break;
                }
                sent.fetch_add(1, Ordering::Relaxed);
            }
            tx
        }));
    }
    let wait = Instant::now();
    while tally.assigned.load(Ordering::Relaxed) < conversations && wait.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let assigned = tally.assigned.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_idle = pid.map(rss_kib).unwrap_or(0);
    let connections = agents + conversations;

    // The server's processes: the one started here, or (`KEFU_SERVER_PIDS`, comma-separated) the
    // nodes of the server at `KEFU_TARGET`.
    let pids: Vec<u32> = match pid {
        Some(p) => vec![p],
        None => std::env::var("KEFU_SERVER_PIDS").unwrap_or_default().split(',').filter_map(|p| p.trim().parse().ok()).collect(),
    };
    let cpu_all = |pids: &[u32]| pids.iter().map(|p| cpu_secs(*p)).sum::<f64>();
    let cpu_before = cpu_all(&pids);
    // Where the rest of the machine's time goes (`KEFU_WATCH="nats=1,2;postgres=@postgres"`: pids,
    // or `@` and a process name looked up now, after the set-up, so that PostgreSQL's backends
    // opened meanwhile count), and this load generator's own.
    let watched: Vec<(String, Vec<u32>)> = std::env::var("KEFU_WATCH")
        .unwrap_or_default()
        .split(';')
        .filter_map(|g| g.split_once('='))
        .map(|(name, pids)| (name.to_owned(), pids_of(pids)))
        .chain(std::iter::once(("load generator".to_owned(), vec![std::process::id()])))
        .collect();
    let watched_before: Vec<f64> = watched.iter().map(|(_, p)| cpu_all(p)).collect();
    let machine_before = machine_ticks();
    // Where a message's time goes: inside the routing node (`KEFU_METRICS`: the nodes' addresses).
    let metrics: Vec<String> = match std::env::var("KEFU_METRICS") {
        Ok(v) => v.split(',').map(str::to_owned).collect(),
        Err(_) => vec![base.clone()],
    };
    let hub_before = relay_buckets(&metrics).await;
    let began = Instant::now();
    start_sending.notify_waiters();
    let mut senders = Vec::new();
    for v in visitors {
        senders.push(v.await.ok());
    }
    let send_secs = began.elapsed().as_secs_f64();
    let server_cpu = (cpu_all(&pids) - cpu_before) / send_secs / pids.len().max(1) as f64;
    let machine = machine_ticks();
    let busy = (machine.0 - machine_before.0) / (machine.1 - machine_before.1).max(1.0) * 100.0;
    let others: Vec<String> =
        watched.iter().zip(&watched_before).map(|((name, p), before)| format!("{name} {:.0} %", (cpu_all(p) - before) / send_secs * 100.0)).collect();
    tokio::time::sleep(Duration::from_secs(2)).await; // let the tail arrive
    let hub = relay_p99(&hub_before, &relay_buckets(&metrics).await);
    let sent = sent.load(Ordering::Relaxed);
    let received = tally.received.load(Ordering::Relaxed);
    let rss_end = pid.map(rss_kib).unwrap_or(0);
    let mut l = tally.latencies_us.lock().unwrap().clone();
    l.sort_unstable();
    let pct = |p: f64| if l.is_empty() { 0.0 } else { l[((l.len() as f64 * p) as usize).min(l.len() - 1)] as f64 / 1000.0 };
    drop(senders);
    if let Some(s) = server.as_mut() {
        let _ = s.kill();
        let _ = s.wait();
    }

    println!("| {label}: conversations assigned | {assigned} of {conversations} ({agents} agents) |");
    println!("| {label}: messages relayed visitor → agent | {received} of {sent} sent in {send_secs:.1} s ({:.0} msg/s offered) |", sent as f64 / send_secs);
    println!("| {label}: relay latency (send → agent socket) | p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms |", pct(0.5), pct(0.99), pct(1.0));
    if let Some((p99, n)) = hub {
        println!("| {label}: inside the routing node (hub + store commit, kefu_relay_seconds) | p99 ≈ {p99:.1} ms of {n} messages |");
    }
    if !pids.is_empty() {
        println!("| {label}: CPU while relaying | {:.0} % of one core per node ({} node(s); the load generator shares the {} cores) |", server_cpu * 100.0, pids.len(), std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    }
    println!("| {label}: CPU of the rest while relaying | {} (% of one core) |", others.join(", "));
    println!("| {label}: the machine while relaying | {busy:.0} % busy (all cores) |");
    if server.is_none() {
        return;
    }
    println!(
        "| server: resident memory | {} KiB at start, {} KiB with {connections} idle sockets ({:.1} KiB per connection), {} KiB after the run |",
        rss_start,
        rss_idle,
        (rss_idle.saturating_sub(rss_start)) as f64 / connections as f64,
        rss_end
    );
}
