//! Partitioned routing (`--partitioned`): three nodes, three partitions (`billing`,
//! `presales` and `default`), each routed by a node of its own; customers reach their
//! department's routing whichever node they connect to; a node's death moves only its
//! partition, and a customer who picks another partition's department is handed over to it.
//! Needs `KEFU_TEST_PG`, nats-server and haproxy: `scripts/test.sh` provides them (ignored
//! otherwise).

mod cluster_harness;
mod faults;
mod support;

use cluster_harness::partitioned::*;
use cluster_harness::{login, next, Cluster, Ws};
use faults::{exercise, Faults, Mix};
use serde_json::json;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;


#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (KEFU_TEST_PG), nats-server and haproxy: scripts/test.sh runs it"]
async fn partitions_spread_over_the_nodes_and_a_nodes_death_moves_only_its_own() {
    let store = support::postgres_store().await.expect("KEFU_TEST_PG: a PostgreSQL URL (scripts/pg.sh)");
    let dir = tempfile::tempdir().unwrap();
    departments(dir.path(), &store);
    let mut cluster = Cluster::start_partitioned(dir.path(), &store, &PARTITIONS).await;
    // Spread: each node routes one partition, and says so.
    let mut routed = Vec::new();
    for i in 0..3 {
        let mine = cluster.partitions_of(i).await;
        assert_eq!(mine.len(), 1, "node {i} routes one partition: {mine:?}");
        routed.extend(mine);
    }
    routed.sort();
    assert_eq!(routed, PARTITIONS, "every partition routed once");
    let owners = cluster.owners(0).await;
    let node_of = |p: &str| (0..3).find(|&i| owners[p].starts_with(&format!("{}-", cluster.nodes[i].name))).unwrap();
    let (presales, billing) = (node_of("presales"), node_of("billing"));
    let addrs: Vec<String> = (0..3).map(|i| cluster.addr(i)).collect();
    let addr = |i: usize| addrs[i].clone();
    // Each department's customer reaches its own agent, connected through other nodes.
    let mut ps = agent(&addr((presales + 1) % 3), "ps-a").await;
    let mut df = agent(&addr(presales), "df-a").await;
    // The billing conversation stays on its owner's node: untouched by the kill below.
    let mut bl = agent(&addr(billing), "bl-a").await;
    let mut ps_v = visitor(&addr((presales + 2) % 3), "ps-v", Some("presales")).await;
    let mut bl_v = visitor(&addr(billing), "bl-v", Some("billing")).await;
    let mut df_v = visitor(&addr(presales), "df-v", None).await;
    converse(&mut ps, "ps-a", &mut ps_v, "ps-v", "hello").await;
    converse(&mut bl, "bl-a", &mut bl_v, "bl-v", "hello").await;
    converse(&mut df, "df-a", &mut df_v, "df-v", "hello").await;
    // An agent's view is its partition's: the presales agent's queue knows nothing of billing.
    let token = login(&addr(billing), "ps-a", "ps-a").await;
    let online: serde_json::Value = cluster.http.get(format!("http://{}/agents/online", addr(billing))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let ids: Vec<&str> = online["data"].as_array().unwrap().iter().filter_map(|a| a["id"].as_str()).collect();
    assert_eq!(ids, ["ps-a"], "answered by the presales partition's routing, wherever asked: {online}");
    // The presales node dies: presales moves to another node within a second; billing and
    // default keep their owners, and the billing conversation goes on without a reconnect.
    let t = Instant::now();
    cluster.nodes[presales].proc.kill();
    let moved = cluster.wait_for_owners(&["presales"], &[presales]).await;
    println!("presales routed again {} ms after its node was killed", moved.as_millis());
    assert!(moved < Duration::from_secs(3), "presales moved in {moved:?}");
    let after = cluster.owners(billing).await;
    assert_eq!((after["billing"].as_str(), after["default"].as_str()), (owners["billing"].as_str(), owners["default"].as_str()), "only the dead node's partition moved");
    chat(&mut bl, "bl-a", &mut bl_v, "bl-v", "during").await;
    // Presales resumes on its new owner: the conversation was restored from the store.
    drop((ps, ps_v));
    let survivor = (presales + 1) % 3;
    let mut ps = agent(&addr(survivor), "ps-a").await;
    let mut ps_v = visitor(&addr((presales + 2) % 3), "ps-v", Some("presales")).await;
    next(&mut ps_v, |f| f["type"] == "status" && f["state"] == "assigned").await;
    chat(&mut ps, "ps-a", &mut ps_v, "ps-v", "after").await;
    println!("presales conversation going again {} ms after the kill", t.elapsed().as_millis());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (KEFU_TEST_PG), nats-server and haproxy: scripts/test.sh runs it"]
async fn a_customer_who_picks_another_partitions_department_is_handed_over_with_what_they_wrote() {
    let store = support::postgres_store().await.expect("KEFU_TEST_PG: a PostgreSQL URL (scripts/pg.sh)");
    let dir = tempfile::tempdir().unwrap();
    departments(dir.path(), &store);
    let cluster = Cluster::start_partitioned(dir.path(), &store, &PARTITIONS).await;
    let lb = format!("127.0.0.1:{}", cluster.lb_port);
    let mut bl = agent(&lb, "bl-a").await;
    // No department: `default` routes the customer and asks which one they want.
    let mut v = visitor(&lb, "ho-v", None).await;
    next(&mut v, |f| f["type"] == "departments").await;
    send(&mut v, json!({"type": "message", "content": "my invoice is wrong", "msgId": "ho-1"})).await;
    next(&mut v, |f| f["type"] == "ack" && f["msgId"] == "ho-1").await;
    send(&mut v, json!({"type": "department", "id": "billing"})).await;
    // Told the department, then to reconnect: the page comes back naming it.
    next(&mut v, |f| f["type"] == "department" && f["id"] == "billing").await;
    assert_eq!(closed(&mut v).await, Some(1012), "handed over: reconnect");
    let mut v = visitor(&lb, "ho-v", Some("billing")).await;
    // The billing agent is offered the customer, and gets what they wrote before the pick.
    let offer = next(&mut bl, |f| f["status"] == 2 && f["data"]["id"] == "ho-v").await;
    println!("offer after the hand-over: {offer}");
    send(&mut bl, json!({"respStatus": 2, "kfId": "bl-a", "userId": "ho-v", "userName": "V"})).await;
    next(&mut bl, |f| f["status"] == 1 && f["data"]["content"] == "my invoice is wrong").await;
    next(&mut v, |f| f["type"] == "status" && f["state"] == "assigned").await;
    chat(&mut bl, "bl-a", &mut v, "ho-v", "next").await;
}

/// Until the socket closes: its close code.
async fn closed(ws: &mut Ws) -> Option<u16> {
    use futures_util::StreamExt;
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("closed in time") {
            Some(Ok(Message::Close(c))) => break c.map(|c| u16::from(c.code)),
            Some(Ok(_)) => continue,
            _ => break None,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (KEFU_TEST_PG), nats-server and haproxy: scripts/test.sh runs it"]
async fn a_transfer_to_another_partitions_department_queues_the_customer_there_at_once() {
    let store = support::postgres_store().await.expect("KEFU_TEST_PG: a PostgreSQL URL (scripts/pg.sh)");
    let dir = tempfile::tempdir().unwrap();
    departments(dir.path(), &store);
    // Customers queue with their first message (the default), so "queued at once" shows.
    let cluster = Cluster::start_partitioned_without(dir.path(), &store, &PARTITIONS, &["--offer-silent-visitors"]).await;
    let lb = format!("127.0.0.1:{}", cluster.lb_port);
    let mut bl = agent(&lb, "bl-a").await;
    let mut ps = agent(&lb, "ps-a").await;
    let bl_token = login(&lb, "bl-a", "bl-a").await;
    let ps_token = login(&lb, "ps-a", "ps-a").await;
    let mut v = visitor(&lb, "xp-v", Some("billing")).await;
    next(&mut v, |f| f["type"] == "status" && f["state"] == "ready").await;
    send(&mut v, json!({"type": "message", "content": "hello", "msgId": "xp-0"})).await;
    converse(&mut bl, "bl-a", &mut v, "xp-v", "before").await;
    let transfer = |token: &str, body: serde_json::Value| {
        let req = cluster.http.post(format!("http://{lb}/transfer/transferUser")).bearer_auth(token).json(&body);
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.json::<serde_json::Value>().await.unwrap())
        }
    };
    // A curious agent (presales) acting as the billing agent, and the billing agent moving a
    // customer who is not theirs: refused, and nothing moves.
    let (code, r) = transfer(&ps_token, json!({"kfId": "bl-a", "userId": "xp-v", "toDepartment": "presales"})).await;
    assert_eq!(code, 403, "{r}");
    let (code, r) = transfer(&bl_token, json!({"kfId": "bl-a", "userId": "nobody-v", "toDepartment": "presales"})).await;
    assert!(code == 404 || code == 409, "{code} {r}");
    chat(&mut bl, "bl-a", &mut v, "xp-v", "still here").await;
    // To presales, which another node routes: the conversation ends here, the customer is told
    // the department (not asked to rate) and reconnects there.
    let (code, r) = transfer(&bl_token, json!({"kfId": "bl-a", "userId": "xp-v", "toDepartment": "presales"})).await;
    assert_eq!((code, r["code"].clone(), r["data"]["queued"].clone()), (200, json!(0), json!(true)), "{r}");
    let ended = next(&mut v, |f| f["type"] == "status" && f["state"] == "ended").await;
    assert_eq!(ended["rate"], false, "{ended}");
    next(&mut v, |f| f["type"] == "department" && f["id"] == "presales").await;
    assert_eq!(closed(&mut v).await, Some(1012), "handed over: reconnect");
    let (code, r) = transfer(&bl_token, json!({"kfId": "bl-a", "userId": "xp-v", "toDepartment": "presales"})).await;
    assert!(code == 404 || code == 409, "transferred once: {code} {r}");
    // There, queued at once (without writing again) and offered to presales.
    let mut v = visitor(&lb, "xp-v", Some("presales")).await;
    let waiting = next(&mut v, |f| f["type"] == "status" && f["state"] == "waiting").await;
    println!("queued after the transfer: {waiting}");
    converse(&mut ps, "ps-a", &mut v, "xp-v", "after").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (KEFU_TEST_PG), nats-server and haproxy: scripts/test.sh runs it"]
async fn a_partition_owners_own_sockets_stay_off_nats_and_its_metrics_name_the_partition() {
    let store = support::postgres_store().await.expect("KEFU_TEST_PG: a PostgreSQL URL (scripts/pg.sh)");
    let dir = tempfile::tempdir().unwrap();
    departments(dir.path(), &store);
    let cluster = Cluster::start_partitioned(dir.path(), &store, &PARTITIONS).await;
    let owners = cluster.owners(0).await;
    let billing = (0..3).find(|&i| owners["billing"].starts_with(&format!("{}-", cluster.nodes[i].name))).unwrap();
    let nats_bytes = || cluster.metric(billing, "kefu_node_nats_bytes_total{");
    // 20 messages of 2 000 characters each way between the billing agent and a customer, both
    // connected through node `at`.
    let talk = |user: &'static str, at: usize| {
        let at = cluster.addr(at);
        async move {
            let mut bl = agent(&at, "bl-a").await;
            let mut v = visitor(&at, user, Some("billing")).await;
            converse(&mut bl, "bl-a", &mut v, user, "hi").await;
            let text = "账".repeat(2_000);
            for i in 0..20 {
                chat(&mut bl, "bl-a", &mut v, user, &format!("{i}{text}")).await;
            }
            send(&mut bl, json!({"kfId": "bl-a", "userId": user, "userName": "V", "content": "bye"})).await;
        }
    };
    let before = nats_bytes().await;
    talk("own-v1", (billing + 1) % 3).await;
    let through_gateway = nats_bytes().await - before;
    assert!(through_gateway > 240_000, "another node's sockets reach the partition over NATS: {through_gateway} bytes");
    let before = nats_bytes().await;
    talk("own-v2", billing).await;
    let own = nats_bytes().await - before;
    println!("NATS payload bytes on billing's owner for 20 + 20 messages of 2 000 characters: through another node {through_gateway}, on the owner itself {own}");
    assert!(own < 40_000, "the owner's own sockets stay off NATS: {own} bytes (through another node: {through_gateway})");
    // The owner's /metrics carries its partition's hub metrics, labelled.
    let relayed = cluster.metric(billing, "kefu_relay_seconds_count{partition=\"billing\"}").await;
    assert!(relayed >= 82, "billing's relayed messages in the owner's metrics: {relayed}");
    assert_eq!(cluster.metric(billing, "kefu_relay_seconds_count{partition=\"presales\"}").await, 0, "another node routes presales");
}

/// The fault suite's partitions: `d0` (agent `fault-kf0`), `d1` (`fault-kf1`) and `default`.
const FAULT_PARTITIONS: [&str; 3] = ["d0", "d1", "default"];

async fn fault_cluster(dir: &std::path::Path) -> Cluster {
    let store = support::postgres_store().await.expect("KEFU_TEST_PG: a PostgreSQL URL (scripts/pg.sh)");
    let s = json!({"departments": [{"id": "d0", "name": "甲", "agents": ["fault-kf0"]}, {"id": "d1", "name": "乙", "agents": ["fault-kf1"]}]});
    save_departments(dir, &store, s);
    Cluster::start_partitioned(dir, &store, &FAULT_PARTITIONS).await
}

/// Fault `n` SIGKILLs node `n % 3` (at first each routes a partition) and restarts it 0.5 s
/// later; or, rolling, stops it (SIGTERM), starts it and waits until every partition is routed.
struct PartitionFaults<'a>(&'a mut Cluster, bool);

impl Faults for PartitionFaults<'_> {
    async fn inject(&mut self, n: usize) -> String {
        let (c, rolling) = (&mut *self.0, self.1);
        let victim = n % c.nodes.len();
        let owned = c.partitions_of(victim).await;
        let name = c.nodes[victim].name.clone();
        let t = Instant::now();
        if rolling {
            // As an operator would: the next node only once this one routes its share again
            // (handed back to it under traffic).
            let stopped = c.nodes[victim].proc.stop().await;
            c.nodes[victim].spawn();
            c.wait_for_owners(&FAULT_PARTITIONS, &[]).await;
            let routed = t.elapsed();
            spread_again(c).await;
            return format!(
                "SIGTERM {name} (routing {owned:?}): stopped in {} ms, every partition routed {} ms and one per node again {} ms after the signal",
                stopped.as_millis(),
                routed.as_millis(),
                t.elapsed().as_millis()
            );
        }
        c.nodes[victim].proc.kill();
        let moved = c.wait_for_owners(&FAULT_PARTITIONS, &[victim]).await;
        tokio::time::sleep(Duration::from_millis(500).saturating_sub(t.elapsed())).await;
        c.nodes[victim].spawn();
        format!("SIGKILL {name} (routing {owned:?}) + restart; its partitions routed again {} ms after the kill", moved.as_millis())
    }
}

/// The fault suite on a partitioned cluster: owners SIGKILLed in turn (`rolling`: stopped one
/// after another, each time until every node routes one partition again); then each node routes
/// one partition again.
async fn fault_suite(title: &str, every: Duration, rolling: bool) -> usize {
    let per_direction: usize = std::env::var("KEFU_CLUSTER_MESSAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = fault_cluster(dir.path()).await;
    let lb = cluster.lb_port;
    let mix = Mix { agents: 2, visitors: 4, per_direction, every, departments: 2 };
    let faults = exercise(title, lb, lb, mix, &mut PartitionFaults(&mut cluster, rolling)).await;
    spread_again(&cluster).await;
    faults
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (KEFU_TEST_PG), nats-server and haproxy: scripts/test.sh runs it"]
async fn a_partitioned_cluster_loses_nothing_while_partition_owners_are_killed() {
    let faults = fault_suite("Partitioned cluster (3 nodes, partitions d0, d1, default), owners SIGKILLed", Duration::from_millis(2500), false).await;
    assert!(faults >= 3, "{faults} faults");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (KEFU_TEST_PG), nats-server and haproxy: scripts/test.sh runs it"]
async fn a_rolling_restart_of_a_partitioned_cluster_loses_nothing() {
    let restarted = fault_suite("Partitioned cluster rolling restart (SIGTERM one after another)", Duration::from_millis(2000), true).await;
    assert!(restarted >= 3, "every node was restarted once: {restarted} restarts");
}

/// Waits (20 s at most) until each node routes one partition again: the nodes that came back
/// were handed their share.
async fn spread_again(cluster: &Cluster) {
    let t = Instant::now();
    loop {
        let mut each = Vec::new();
        for i in 0..cluster.nodes.len() {
            each.push(cluster.partitions_of(i).await);
        }
        if each.iter().all(|p| p.len() == 1) {
            return;
        }
        assert!(t.elapsed() < Duration::from_secs(20), "the partitions never spread again: {each:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (KEFU_TEST_PG), nats-server and haproxy: scripts/test.sh runs it"]
async fn departments_joined_by_a_supervisor_become_one_partition_and_conversations_go_on() {
    let store = support::postgres_store().await.expect("KEFU_TEST_PG: a PostgreSQL URL (scripts/pg.sh)");
    let dir = tempfile::tempdir().unwrap();
    departments(dir.path(), &store);
    let mut cfg = kefu_server::Config::for_tests(dir.path().join("admin"));
    cfg.store = store.clone();
    kefu_server::set_password_to(&cfg, "pt-boss", Some("主管"), Some("supervisor"), "pt-boss-password").expect("a supervisor");
    let cluster = Cluster::start_partitioned(dir.path(), &store, &PARTITIONS).await;
    let lb = format!("127.0.0.1:{}", cluster.lb_port);
    let mut ps = agent(&lb, "ps-a").await;
    let bl_token = login(&lb, "bl-a", "bl-a").await;
    let mut ps_v = visitor(&lb, "jn-v", Some("presales")).await;
    converse(&mut ps, "ps-a", &mut ps_v, "jn-v", "before").await;
    // The billing agent joins presales too: the two departments are one partition now.
    let boss = login(&lb, "pt-boss", "pt-boss-password").await;
    let s = json!({"departments": [
        {"id": "presales", "name": "售前", "agents": ["ps-a", "bl-a"]},
        {"id": "billing", "name": "账单", "agents": ["bl-a"]},
    ], "ask": true});
    let r: serde_json::Value = cluster.http.post(format!("http://{lb}/settings/departments")).bearer_auth(&boss).json(&s).send().await.unwrap().json().await.unwrap();
    assert_eq!(r["code"], 0, "{r}");
    let t = Instant::now();
    cluster.wait_for_owners(&["billing+presales", "default"], &[]).await;
    println!("billing+presales routed {} ms after the change", t.elapsed().as_millis());
    let mut routed = Vec::new();
    for i in 0..3 {
        routed.extend(cluster.partitions_of(i).await);
    }
    routed.sort();
    assert_eq!(routed, ["billing+presales", "default"], "the old partitions were handed over, the new one routed once");
    // The conversation goes on in the new partition (its clients told to reconnect).
    drop((ps, ps_v));
    let mut ps = agent(&lb, "ps-a").await;
    let mut ps_v = visitor(&lb, "jn-v", Some("presales")).await;
    next(&mut ps_v, |f| f["type"] == "status" && f["state"] == "assigned").await;
    chat(&mut ps, "ps-a", &mut ps_v, "jn-v", "after").await;
    let (mut bl, _) = tokio_tungstenite::connect_async(format!("ws://{lb}/websocket/bl-a?token={bl_token}")).await.unwrap();
    next(&mut bl, |f| f["status"] == 100).await;
    let online: serde_json::Value = cluster.http.get(format!("http://{lb}/agents/online")).bearer_auth(&bl_token).send().await.unwrap().json().await.unwrap();
    let ids: Vec<&str> = online["data"].as_array().unwrap().iter().filter_map(|a| a["id"].as_str()).collect();
    assert_eq!(ids, ["bl-a", "ps-a"], "one partition's routing serves both: {online}");
}
