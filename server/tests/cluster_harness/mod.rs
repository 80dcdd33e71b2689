//! The cluster tests' harness: kefu-server nodes on one PostgreSQL store and a private
//! nats-server, behind HAProxy (`cluster.rs`, `partitions.rs`, `affinity.rs`; a partitioned
//! cluster's HAProxy sends each socket to its partition's node, `server/haproxy/`).
#![allow(dead_code)]

pub mod partitioned;

use super::faults::free_port;
use kefu_server::config::TEST_VISITOR_ID_SECRET;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process killed (SIGKILL) when dropped.
pub struct Proc(Option<Child>);

impl Proc {
    pub fn kill(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Asks it to stop (SIGTERM), as an orchestrator's rolling restart does, and waits until it
    /// has; how long that took.
    pub async fn stop(&mut self) -> Duration {
        let t = Instant::now();
        if let Some(mut c) = self.0.take() {
            let _ = Command::new("kill").args(["-TERM", &c.id().to_string()]).status();
            while c.try_wait().ok().flatten().is_none() {
                assert!(t.elapsed() < Duration::from_secs(20), "a node did not stop within 20 s of SIGTERM");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        t.elapsed()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not start on port {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One kefu-server node of the cluster.
pub struct Node {
    pub name: String,
    pub port: u16,
    pub args: Vec<String>,
    pub dir: PathBuf,
    pub proc: Proc,
}

impl Node {
    pub fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.dir.join(format!("{}.log", self.name))).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_kefu-server"))
            .args(&self.args)
            .env("RUST_LOG", std::env::var("KEFU_NODE_LOG").unwrap_or_else(|_| "warn".into()))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("spawn kefu-server");
        self.proc = Proc(Some(child));
        wait_for_port(self.port, &self.name);
    }
}

/// The cluster: nodes, NATS and HAProxy.
pub struct Cluster {
    pub nodes: Vec<Node>,
    pub lb_port: u16,
    _nats: Proc,
    _haproxy: Proc,
    pub http: reqwest::Client,
}

impl Cluster {
    pub async fn start(dir: &Path, store: &str) -> Cluster {
        let c = Cluster::spawn(dir, store, &[], &[]).await;
        c.wait_for_router(&[]).await;
        c.wait_until_every_node_knows_the_router().await;
        c
    }

    /// Started with `--partitioned`, once every node hears an owner for each of `partitions`.
    pub async fn start_partitioned(dir: &Path, store: &str, partitions: &[&str]) -> Cluster {
        Cluster::start_partitioned_without(dir, store, partitions, &[]).await
    }

    /// As [`Cluster::start_partitioned`], without the harness's flags in `without` (such as
    /// `--offer-silent-visitors`: customers then queue with their first message, as by default).
    pub async fn start_partitioned_without(dir: &Path, store: &str, partitions: &[&str], without: &[&str]) -> Cluster {
        let c = Cluster::spawn(dir, store, &["--partitioned"], without).await;
        c.wait_for_owners(partitions, &[]).await;
        c.wait_until_settled().await;
        c
    }

    /// Waits until every node says the partitions are settled (`/healthz` `settled`: each has
    /// an owner, and no node has one to hand over) and all hear the same owners: before that
    /// one may be handed over (3 s after), moving its sockets in the middle of a test.
    pub async fn wait_until_settled(&self) {
        let t = Instant::now();
        loop {
            let mut views = Vec::new();
            for i in 0..self.nodes.len() {
                let v: serde_json::Value = match self.http.get(format!("http://{}/healthz", self.addr(i))).timeout(Duration::from_millis(500)).send().await {
                    Ok(r) => r.json().await.unwrap_or_default(),
                    Err(_) => serde_json::Value::Null,
                };
                views.push((v["settled"].as_bool() == Some(true), v["owners"].clone()));
            }
            if views.iter().all(|(settled, owners)| *settled && *owners == views[0].1) {
                return;
            }
            assert!(t.elapsed() < Duration::from_secs(20), "the partitions never settled: {views:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Each partition's owner as node `i` hears it (`/healthz` `owners`; empty when it does not answer).
    pub async fn owners(&self, i: usize) -> std::collections::BTreeMap<String, String> {
        let Ok(r) = self.http.get(format!("http://{}/healthz", self.addr(i))).timeout(Duration::from_millis(500)).send().await else { return Default::default() };
        let v: serde_json::Value = r.json().await.unwrap_or_default();
        serde_json::from_value(v["owners"].clone()).unwrap_or_default()
    }

    /// The partitions node `i` routes (`/healthz` `partitions`).
    pub async fn partitions_of(&self, i: usize) -> Vec<String> {
        let Ok(r) = self.http.get(format!("http://{}/healthz", self.addr(i))).timeout(Duration::from_millis(500)).send().await else { return Vec::new() };
        let v: serde_json::Value = r.json().await.unwrap_or_default();
        serde_json::from_value(v["partitions"].clone()).unwrap_or_default()
    }

    /// Waits until every node (not in `skip`) hears an owner, not in `skip`, for each of
    /// `partitions`; how long that took.
    pub async fn wait_for_owners(&self, partitions: &[&str], skip: &[usize]) -> Duration {
        let t = Instant::now();
        let skipped: Vec<String> = skip.iter().map(|&i| self.nodes[i].name.clone()).collect();
        loop {
            let mut all = true;
            for i in (0..self.nodes.len()).filter(|i| !skip.contains(i)) {
                let owners = self.owners(i).await;
                all &= partitions.iter().all(|p| owners.get(*p).is_some_and(|o| !skipped.iter().any(|n| o.starts_with(&format!("{n}-")))));
            }
            if all {
                return t.elapsed();
            }
            assert!(t.elapsed() < Duration::from_secs(20), "the partitions {partitions:?} never all had owners");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn spawn(dir: &Path, store: &str, extra: &[&str], without: &[&str]) -> Cluster {
        let nats_port = free_port();
        let nats = Command::new("nats-server").args(["-a", "127.0.0.1", "-p", &nats_port.to_string()]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("nats-server (scripts/setup.sh installs it)");
        let nats = Proc(Some(nats));
        wait_for_port(nats_port, "nats-server");
        let mut nodes = Vec::new();
        for i in 1..=3 {
            let port = free_port();
            let name = format!("n{i}");
            let args: Vec<String> = [
                "--bind", &format!("127.0.0.1:{port}"), "--store", store, "--nats", &format!("nats://127.0.0.1:{nats_port}"),
                "--node-id", &name, "--data-dir", dir.join(&name).to_str().unwrap(), "--www-dir", "/nonexistent",
                "--open-registration", "--test-hooks", "--grace-ms", "120000", "--visitor-id-secret", TEST_VISITOR_ID_SECRET,
                "--trusted-proxies", "127.0.0.1", "--offer-silent-visitors", "--max-visitor-sockets-per-address", "1000000", "--max-new-visitors-per-address", "1000000",
            ]
            .iter()
            .chain(extra)
            .filter(|a| !without.contains(a))
            .map(|s| s.to_string())
            .collect();
            let mut n = Node { name, port, args, dir: dir.to_path_buf(), proc: Proc(None) };
            n.spawn();
            nodes.push(n);
        }
        let lb_port = free_port();
        let servers: String = nodes.iter().map(|n| format!("    server {} 127.0.0.1:{} check inter 300ms fall 2 rise 1\n", n.name, n.port)).collect();
        // Partitioned: each socket to the node that routes it, as scripts/run-cluster.sh sets it up.
        // …and a socket sent to an owner that just died is retried on another node at once.
        let redispatch = if extra.contains(&"--partitioned") { " 1" } else { "" };
        let (global, frontend, backend) = if extra.contains(&"--partitioned") {
            let lua = concat!(env!("CARGO_MANIFEST_DIR"), "/haproxy/kefu-affinity.lua");
            let pick: String = nodes.iter().map(|n| format!("    use-server {0} if {{ var(txn.kefu_node) -m str {0} }}\n", n.name)).collect();
            (format!("global\n    lua-load {lua}\n"), "    http-request deny if { path_beg /cluster/ }\n    http-request lua.kefu_owner if { path_beg /websocket/ }\n".to_owned(), pick)
        } else {
            Default::default()
        };
        let cfg = format!(
            "{global}defaults\n    mode http\n    timeout connect 1s\n    timeout client 60s\n    timeout server 60s\n    timeout tunnel 1h\n    option forwardfor\n    retries 3\n    option redispatch{redispatch}\n\
             frontend kefu\n    bind 127.0.0.1:{lb_port}\n{frontend}    default_backend nodes\n\
             backend nodes\n    balance roundrobin\n    option httpchk GET /healthz\n    http-check expect status 200\n{backend}{servers}"
        );
        std::fs::write(dir.join("haproxy.cfg"), cfg).unwrap();
        let haproxy = Command::new("haproxy").arg("-f").arg(dir.join("haproxy.cfg")).arg("-db").stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("haproxy (scripts/setup.sh installs it)");
        wait_for_port(lb_port, "haproxy");
        Cluster { nodes, lb_port, _nats: nats, _haproxy: Proc(Some(haproxy)), http: reqwest::Client::new() }
    }

    /// Waits until every node's health check names the routing node: before that a gateway that
    /// has not heard of it yet answers an API call with 503 (a login right after start did).
    pub async fn wait_until_every_node_knows_the_router(&self) {
        let t = Instant::now();
        loop {
            let mut all = true;
            for n in &self.nodes {
                let known = match self.http.get(format!("http://127.0.0.1:{}/healthz", n.port)).timeout(Duration::from_millis(500)).send().await {
                    Ok(r) => r.json::<serde_json::Value>().await.is_ok_and(|v| v["router"].is_string()),
                    Err(_) => false,
                };
                all &= known;
            }
            if all {
                return;
            }
            assert!(t.elapsed() < Duration::from_secs(20), "the nodes never all heard of the routing node");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The node that routes now, if any answers so.
    pub async fn router(&self, skip: &[usize]) -> Option<usize> {
        for (i, n) in self.nodes.iter().enumerate().filter(|(i, _)| !skip.contains(i)) {
            let Ok(r) = self.http.get(format!("http://127.0.0.1:{}/healthz", n.port)).timeout(Duration::from_millis(500)).send().await else { continue };
            let Ok(v) = r.json::<serde_json::Value>().await else { continue };
            if v["routing"] == true {
                return Some(i);
            }
        }
        None
    }

    /// Started in `dir` on `store`, once a node routes: the cluster and that node's index.
    pub async fn with_router(dir: &Path, store: &str) -> (Cluster, usize) {
        let cluster = Cluster::start(dir, store).await;
        cluster.wait_for_router(&[]).await;
        let r = cluster.router(&[]).await.expect("a routing node");
        (cluster, r)
    }

    /// Node `i`'s address (`host:port`), bypassing HAProxy.
    pub fn addr(&self, i: usize) -> String {
        format!("127.0.0.1:{}", self.nodes[i].port)
    }

    /// The sum of node `i`'s `/metrics` samples whose line starts with `prefix` (0 when it does
    /// not answer).
    pub async fn metric(&self, i: usize, prefix: &str) -> u64 {
        let text = match self.http.get(format!("http://{}/metrics", self.addr(i))).send().await {
            Ok(r) => r.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        text.lines().filter(|l| l.starts_with(prefix)).filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok()).sum()
    }

    /// Sockets each node holds (its `kefu_node_sockets` gauges).
    pub async fn sockets_per_node(&self) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        for (i, n) in self.nodes.iter().enumerate() {
            out.push((n.name.clone(), self.metric(i, "kefu_node_sockets{").await));
        }
        out
    }

    /// Waits until a node (not in `skip`) routes; how long that took.
    pub async fn wait_for_router(&self, skip: &[usize]) -> Duration {
        let t = Instant::now();
        loop {
            if self.router(skip).await.is_some() {
                return t.elapsed();
            }
            assert!(t.elapsed() < Duration::from_secs(20), "no node took the routing lock");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Signs `kf` in through node address `at`; its token.
pub async fn login(at: &str, kf: &str, password: &str) -> String {
    let body = serde_json::json!({"kfId": kf, "password": password});
    let v: serde_json::Value = reqwest::Client::new().post(format!("http://{at}/auth/login")).json(&body).send().await.unwrap().json().await.unwrap();
    v["data"]["token"].as_str().unwrap_or_else(|| panic!("login {kf}: {v}")).to_owned()
}

/// A socket of the tests that speak the protocol themselves.
pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next text frame on `ws` that `want` accepts (waiting 10 s at most for each).
pub async fn next(ws: &mut Ws, want: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    use futures_util::StreamExt;
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("a frame in time").expect("open").unwrap();
        if let tokio_tungstenite::tungstenite::Message::Text(t) = m {
            let v: serde_json::Value = serde_json::from_str(&t).unwrap();
            if want(&v) {
                return v;
            }
        }
    }
}

