//! The cluster fault suite: three kefu-server nodes on one PostgreSQL store and a private
//! nats-server, behind HAProxy; native agents and scripted visitors connect through HAProxy (so
//! they spread over the nodes) while one node after another — the routing node and the others,
//! in turn — is SIGKILLed and restarted. Counts, per direction: sent, delivered, lost, duplicated,
//! out of order; and for each fault how long until a node routes again. A second run stops
//! (SIGTERM) and restarts the nodes one after another: a rolling restart, same counts. Needs `KEFU_TEST_PG`,
//! nats-server and haproxy: `scripts/test.sh` provides them and runs it (ignored otherwise).
//! `KEFU_CLUSTER_MESSAGES` scales it (default 2 000 each way).

mod cluster_harness;
mod faults;
mod support;

use cluster_harness::{login, next, Cluster};
use faults::{exercise, Faults, Mix};
use std::time::{Duration, Instant};

impl Faults for Cluster {
    /// Even faults kill the routing node, odd ones another node; each is restarted after 0.5 s.
    async fn inject(&mut self, n: usize) -> String {
        if n == 0 {
            let spread = self.sockets_per_node().await;
            let used = spread.iter().filter(|(_, k)| *k > 0).count();
            println!("sockets per node before the first fault: {spread:?}");
            assert!(used >= 2, "clients spread over the nodes: {spread:?}");
        }
        let router = self.router(&[]).await.unwrap_or(0);
        let victim = if n.is_multiple_of(2) { router } else { (router + 1 + n / 2 % 2) % self.nodes.len() };
        let role = if victim == router { "routing node" } else { "gateway node" };
        let t = Instant::now();
        self.nodes[victim].proc.kill();
        let failover = if victim == router { Some(self.wait_for_router(&[victim]).await) } else { None };
        tokio::time::sleep(Duration::from_millis(500).saturating_sub(t.elapsed())).await;
        self.nodes[victim].spawn();
        let name = &self.nodes[victim].name;
        match failover {
            Some(d) => format!("SIGKILL {name} ({role}) + restart; another node routed {} ms after the kill", d.as_millis()),
            None => format!("SIGKILL {name} ({role}) + restart"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (KEFU_TEST_PG), nats-server and haproxy: scripts/test.sh runs it"]
async fn three_nodes_lose_nothing_while_nodes_are_killed() {
    let store = support::postgres_store().await.expect("KEFU_TEST_PG: a PostgreSQL URL (scripts/pg.sh)");
    let per_direction: usize = std::env::var("KEFU_CLUSTER_MESSAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start(dir.path(), &store).await;
    let lb = cluster.lb_port;
    let mix = Mix { agents: 2, visitors: 4, per_direction, every: Duration::from_millis(2500), departments: 0 };
    exercise("Cluster fault injection (3 nodes, PostgreSQL, NATS, HAProxy)", lb, lb, mix, &mut cluster).await;
}

/// A rolling restart: fault `n` stops node `n % 3` (SIGTERM), starts it again and waits until it
/// is healthy and every node knows who routes, before the next.
struct Rolling<'a>(&'a mut Cluster);

impl Faults for Rolling<'_> {
    async fn inject(&mut self, n: usize) -> String {
        let c = &mut *self.0;
        let victim = n % c.nodes.len();
        let role = if c.router(&[]).await == Some(victim) { "routing node" } else { "gateway node" };
        let t = Instant::now();
        let stopped = c.nodes[victim].proc.stop().await;
        c.nodes[victim].spawn();
        c.wait_for_router(&[]).await;
        c.wait_until_every_node_knows_the_router().await;
        let name = &c.nodes[victim].name;
        format!("SIGTERM {name} ({role}): stopped in {} ms, serving again {} ms after the signal", stopped.as_millis(), t.elapsed().as_millis())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (KEFU_TEST_PG), nats-server and haproxy: scripts/test.sh runs it"]
async fn a_rolling_restart_of_every_node_loses_nothing() {
    let store = support::postgres_store().await.expect("KEFU_TEST_PG: a PostgreSQL URL (scripts/pg.sh)");
    let per_direction: usize = std::env::var("KEFU_CLUSTER_MESSAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start(dir.path(), &store).await;
    let lb = cluster.lb_port;
    let mix = Mix { agents: 2, visitors: 4, per_direction, every: Duration::from_millis(2000), departments: 0 };
    let mut rolling = Rolling(&mut cluster);
    let restarted = exercise("Cluster rolling restart (3 nodes, SIGTERM one after another)", lb, lb, mix, &mut rolling).await;
    assert!(restarted >= 3, "every node was restarted once: {restarted} restarts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (KEFU_TEST_PG), nats-server and haproxy: scripts/test.sh runs it"]
async fn any_node_answers_the_api_and_refuses_what_one_node_refuses() {
    let store = support::postgres_store().await.expect("KEFU_TEST_PG: a PostgreSQL URL (scripts/pg.sh)");
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::start(dir.path(), &store).await;
    let node = |i: usize| format!("127.0.0.1:{}", cluster.nodes[i].port);
    let http = reqwest::Client::new();
    // Signed in through one node, the token works on another (one key, in PostgreSQL).
    let login: serde_json::Value =
        http.post(format!("http://{}/auth/login", node(0))).json(&serde_json::json!({"kfId": "ca", "password": "ca"})).send().await.unwrap().json().await.unwrap();
    let token = login["data"]["token"].as_str().expect("login through a gateway").to_owned();
    let online = http.get(format!("http://{}/agents/online", node(2))).bearer_auth(&token).send().await.unwrap();
    assert_eq!(online.status().as_u16(), 200);
    // Refusals as on one node: a bad token gets 401 for the API and for the socket upgrade.
    let r = http.get(format!("http://{}/agents/online", node(1))).bearer_auth("nope").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let refused = tokio_tungstenite::connect_async(format!("ws://{}/websocket/ca?token=nope", node(1))).await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(refused.contains("401"), "{refused}");
    let other = tokio_tungstenite::connect_async(format!("ws://{}/websocket/xiaoming?token={token}", node(1))).await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(other.contains("403"), "another agent's socket: {other}");
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/websocket/ca?token={token}", node(1))).await.expect("own socket through a gateway");
    drop(ws);
    // An image uploaded through one node is served by another (no shared files).
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&[7u8; 64]);
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(png.clone()).file_name("a.png"));
    let up: serde_json::Value = http.post(format!("http://{}/upload/image", node(0))).bearer_auth(&token).multipart(form).send().await.unwrap().json().await.unwrap();
    let src = up["data"]["src"].as_str().expect("upload through a gateway").to_owned();
    let got = http.get(format!("http://{}{src}", node(2))).send().await.unwrap();
    assert_eq!(got.status().as_u16(), 200);
    assert_eq!(got.headers()["content-type"], "image/png");
    assert_eq!(got.headers()["x-content-type-options"], "nosniff");
    assert_eq!(got.bytes().await.unwrap().to_vec(), png);
    // Every node healthy, exactly one routing; the routing node's metrics include the hub's.
    let mut routing = 0;
    for i in 0..3 {
        let h = http.get(format!("http://{}/healthz", node(i))).send().await.unwrap();
        assert_eq!(h.status().as_u16(), 200);
        let m = http.get(format!("http://{}/metrics", node(i))).send().await.unwrap().text().await.unwrap();
        assert!(m.trim_end().ends_with("# EOF") && m.matches("# EOF").count() == 1, "one exposition: {m}");
        if m.contains("kefu_node_routing 1") {
            routing += 1;
            assert!(m.contains("kefu_relay_seconds") && m.contains("kefu_waiting_customers"), "{m}");
        }
    }
    assert_eq!(routing, 1, "exactly one routing node");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (KEFU_TEST_PG), nats-server and haproxy: scripts/test.sh runs it"]
async fn the_supervisors_desk_works_through_any_node_and_whispers_never_reach_the_customer() {
    use futures_util::{SinkExt, StreamExt};
    use serde_json::{json, Value};
    use tokio_tungstenite::tungstenite::Message;
    let store = support::postgres_store().await.expect("KEFU_TEST_PG: a PostgreSQL URL (scripts/pg.sh)");
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = kefu_server::Config::for_tests(dir.path().join("admin"));
    cfg.store = store.clone();
    kefu_server::set_password_to(&cfg, "cs-boss", Some("主管"), Some("supervisor"), "cs-boss-password").expect("a supervisor");
    let cluster = Cluster::start(dir.path(), &store).await;
    let node = |i: usize| format!("127.0.0.1:{}", cluster.nodes[i].port);
    let http = reqwest::Client::new();
    let (agent_token, boss_token) = (login(&node(0), "cs-a", "cs-a").await, login(&node(1), "cs-boss", "cs-boss-password").await);
    // The agent through node 0, the supervisor's socket through node 1, the customer through node 2.
    let (mut agent, _) = tokio_tungstenite::connect_async(format!("ws://{}/websocket/cs-a?token={agent_token}", node(0))).await.unwrap();
    next(&mut agent, |f| f["status"] == 100).await;
    agent.send(Message::Text(json!({"respStatus": 100, "features": ["ack", "notes", "monitor"]}).to_string().into())).await.unwrap();
    let (mut boss, _) = tokio_tungstenite::connect_async(format!("ws://{}/websocket/cs-boss?token={boss_token}", node(1))).await.unwrap();
    let hello = next(&mut boss, |f| f["status"] == 100).await;
    assert!(hello["data"]["features"].as_array().unwrap().iter().any(|f| f == "board"), "the supervisor's role is known through a gateway: {hello}");
    boss.send(Message::Text(json!({"respStatus": 100, "features": ["board", "monitor"]}).to_string().into())).await.unwrap();
    next(&mut boss, |f| f["status"] == 106).await;
    let (mut visitor, _) = tokio_tungstenite::connect_async(format!("ws://{}/websocket/visitor/cs-v?{}&userName=V", node(2), support::signed("cs-v"))).await.unwrap();
    next(&mut agent, |f| f["status"] == 2).await;
    agent.send(Message::Text(json!({"respStatus": 2, "kfId": "cs-a", "userId": "cs-v", "userName": "V"}).to_string().into())).await.unwrap();
    next(&mut visitor, |f| f["type"] == "status" && f["state"] == "assigned").await;
    // The board follows through the cluster; a whisper through yet another node reaches the
    // agent only; watching shows the conversation.
    next(&mut boss, |f| f["status"] == 106 && f.to_string().contains("cs-v")).await;
    let w: Value = http.post(format!("http://{}/supervisor/whisper", node(2))).bearer_auth(&boss_token).json(&json!({"userId": "cs-v", "content": "问订单号"})).send().await.unwrap().json().await.unwrap();
    assert_eq!(w["code"], 0, "{w}");
    assert_eq!(next(&mut agent, |f| f["status"] == 105).await["data"]["content"], "问订单号");
    boss.send(Message::Text(json!({"respStatus": 107, "userId": "cs-v", "watch": true}).to_string().into())).await.unwrap();
    next(&mut boss, |f| f["status"] == 107).await;
    assert_eq!(next(&mut agent, |f| f["status"] == 108).await["data"]["viewers"][0]["kfId"], "cs-boss");
    let agent_only = http.get(format!("http://{}/supervisor/board", node(0))).bearer_auth(&agent_token).send().await.unwrap();
    assert_eq!(agent_only.status().as_u16(), 403);
    let mut seen = Vec::new();
    while let Ok(Some(Ok(Message::Text(t)))) = tokio::time::timeout(Duration::from_millis(800), visitor.next()).await {
        seen.push(t.to_string());
    }
    assert!(seen.iter().all(|f| !f.contains("问订单号") && !f.contains("cs-boss")), "the customer saw none of it: {seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (KEFU_TEST_PG), nats-server and haproxy: scripts/test.sh runs it"]
async fn the_routing_nodes_own_sockets_do_not_cross_nats() {
    use futures_util::SinkExt;
    use serde_json::json;
    use tokio_tungstenite::tungstenite::Message;
    let store = support::postgres_store().await.expect("KEFU_TEST_PG: a PostgreSQL URL (scripts/pg.sh)");
    let dir = tempfile::tempdir().unwrap();
    let (cluster, r) = Cluster::with_router(dir.path(), &store).await;
    let node = |i: usize| cluster.addr(i);
    // The routing node's NATS payload bytes, in + out (`kefu_node_nats_bytes_total`).
    let nats_bytes = || cluster.metric(r, "kefu_node_nats_bytes_total{");
    // 30 messages of 2 000 characters each way between an agent and a customer on node `at`.
    let chat = |kf: &'static str, user: &'static str, at: usize| {
        let node = node(at);
        async move {
            let token = login(&node, kf, kf).await;
            let (mut agent, _) = tokio_tungstenite::connect_async(format!("ws://{node}/websocket/{kf}?token={token}")).await.unwrap();
            let (mut visitor, _) = tokio_tungstenite::connect_async(format!("ws://{node}/websocket/visitor/{user}?{}&userName=V", support::signed(user))).await.unwrap();
            next(&mut agent, |f| f["status"] == 2 && f["data"]["id"] == user).await;
            agent.send(Message::Text(json!({"respStatus": 2, "kfId": kf, "userId": user, "userName": "V"}).to_string().into())).await.unwrap();
            next(&mut visitor, |f| f["type"] == "status" && f["state"] == "assigned").await;
            let text = "话".repeat(2_000);
            for i in 0..30 {
                visitor.send(Message::Text(json!({"type": "message", "content": format!("{i}{text}")}).to_string().into())).await.unwrap();
                next(&mut agent, |f| f["status"] == 1 && f["data"]["content"].as_str().is_some_and(|c| c.starts_with(&format!("{i}话")))).await;
                agent.send(Message::Text(json!({"kfId": kf, "userId": user, "userName": "V", "content": format!("{i}{text}")}).to_string().into())).await.unwrap();
                next(&mut visitor, |f| f["type"] == "message" && f["content"].as_str().is_some_and(|c| c.starts_with(&format!("{i}话")))).await;
            }
        }
    };
    // ~360 KB of chat (UTF-8) each time: through another node it crosses NATS twice...
    let before = nats_bytes().await;
    chat("nx-a", "nx-v", (r + 1) % 3).await;
    let through_gateway = nats_bytes().await - before;
    assert!(through_gateway > 360_000, "a gateway's sockets are routed over NATS: {through_gateway} bytes");
    // ...while on the routing node itself only the nodes' heartbeats and the opens do.
    let before = nats_bytes().await;
    chat("nx-b", "nx-w", r).await;
    let own = nats_bytes().await - before;
    println!("NATS payload bytes on the routing node for 30 + 30 messages of 2 000 characters: through a gateway {through_gateway}, on the routing node itself {own}");
    assert!(own < 40_000, "the routing node's own sockets stay off NATS: {own} bytes (through a gateway: {through_gateway})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (KEFU_TEST_PG), nats-server and haproxy: scripts/test.sh runs it"]
async fn the_routing_node_forgets_the_sockets_it_closed_itself() {
    let store = support::postgres_store().await.expect("KEFU_TEST_PG: a PostgreSQL URL (scripts/pg.sh)");
    let dir = tempfile::tempdir().unwrap();
    let (cluster, r) = Cluster::with_router(dir.path(), &store).await;
    let node = |i: usize| cluster.addr(i);
    let token = login(&node(r), "fg-a", "fg-a").await;
    // The same agent signs in four times through each node in turn: each new socket replaces the
    // last, which the hub closes itself (through a gateway, and on the routing node).
    let mut kept = Vec::new();
    for i in 0..12 {
        let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/websocket/fg-a?token={token}", node(i % 3))).await.unwrap();
        next(&mut ws, |f| f["status"] == 100).await;
        kept.push(ws);
    }
    let t = Instant::now();
    loop {
        // Sockets the routing node keeps for the gateways, and the ones its hub has.
        let (routed, live) = (cluster.metric(r, "kefu_node_routed_sockets ").await, cluster.metric(r, "kefu_sockets{").await);
        if routed == live {
            assert_eq!(live, 1, "one socket left for the agent");
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(5), "the routing node still keeps {routed} sockets for {live} live ones");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(kept);
}
