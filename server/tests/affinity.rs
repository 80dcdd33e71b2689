//! A partitioned cluster behind HAProxy with `server/haproxy/kefu-affinity.lua`: each socket
//! lands on the node that routes its partition (its frames then skip NATS), the list HAProxy
//! reads is for the load balancer only, and walk-ins (customers without a department) go to the
//! `walkIn` department's partition. Needs `KEFU_TEST_PG`, nats-server and haproxy:
//! `scripts/test.sh` provides them (ignored otherwise).

mod cluster_harness;
mod faults;
mod support;

use cluster_harness::partitioned::*;
use cluster_harness::{login, next, Cluster};
use serde_json::json;
use std::time::{Duration, Instant};

/// The index of the node whose id is `name`'s prefix in `owners[partition]`.
fn owner(cluster: &Cluster, owners: &std::collections::BTreeMap<String, String>, partition: &str) -> usize {
    (0..3).find(|&i| owners[partition].starts_with(&format!("{}-", cluster.nodes[i].name))).unwrap_or_else(|| panic!("no owner of {partition}: {owners:?}"))
}

/// The sockets of `kind` each node holds.
async fn held(cluster: &Cluster, kind: &str) -> Vec<u64> {
    let mut out = Vec::new();
    for i in 0..3 {
        out.push(cluster.metric(i, &format!("kefu_node_sockets{{kind=\"{kind}\"}}")).await);
    }
    out
}

/// The nodes whose customer sockets went up when customer `user` (of `department`) connected
/// through HAProxy (the socket closed again after, and gone from every node before this returns,
/// so the next probe's count does not see it leave).
async fn landed(cluster: &Cluster, user: &str, department: Option<&str>) -> Vec<usize> {
    let before = held(cluster, "visitor").await;
    let v = visitor(&format!("127.0.0.1:{}", cluster.lb_port), user, department).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let after = held(cluster, "visitor").await;
    drop(v);
    let t = Instant::now();
    while held(cluster, "visitor").await != before && t.elapsed() < Duration::from_secs(3) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (0..3).filter(|&i| after[i] > before[i]).collect()
}

/// Waits until HAProxy has read the owners: a customer of `department` opened through it lands
/// on node `on` (HAProxy reads them every 500 ms).
async fn until_haproxy_knows(cluster: &Cluster, department: Option<&str>, on: usize) {
    let t = Instant::now();
    for i in 0.. {
        if landed(cluster, &format!("probe-{i}"), department).await.contains(&on) {
            return;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "HAProxy never sent a {department:?} customer to node {on}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (KEFU_TEST_PG), nats-server and haproxy: scripts/test.sh runs it"]
async fn haproxy_sends_each_socket_to_the_node_that_routes_it_and_only_haproxy_reads_the_list() {
    let store = support::postgres_store().await.expect("KEFU_TEST_PG: a PostgreSQL URL (scripts/pg.sh)");
    let dir = tempfile::tempdir().unwrap();
    departments(dir.path(), &store);
    let cluster = Cluster::start_partitioned(dir.path(), &store, &PARTITIONS).await;
    let owners = cluster.owners(0).await;
    let (billing, presales, default) = (owner(&cluster, &owners, "billing"), owner(&cluster, &owners, "presales"), owner(&cluster, &owners, "default"));
    let name = |i: usize| cluster.nodes[i].name.clone();
    // The list, asked directly from a --trusted-proxies address.
    let list = cluster.http.get(format!("http://{}/cluster/affinity", cluster.addr(0))).send().await.unwrap().text().await.unwrap();
    for line in [format!("agent\tbl-a\t{}", name(billing)), format!("department\tpresales\t{}", name(presales)), format!("walkin\t\t{}", name(default)), format!("default\t\t{}", name(default))] {
        assert!(list.lines().any(|l| l == line), "{line:?} in {list:?}");
    }
    // Not for anyone else: a request forwarded by a proxy, or one through HAProxy itself.
    let forwarded = cluster.http.get(format!("http://{}/cluster/affinity", cluster.addr(0))).header("x-forwarded-for", "203.0.113.7").send().await.unwrap();
    assert_eq!(forwarded.status(), 404);
    let through = cluster.http.get(format!("http://127.0.0.1:{}/cluster/affinity", cluster.lb_port)).send().await.unwrap();
    assert_eq!(through.status(), 403);
    // Each socket through HAProxy lands on the node that routes it (once HAProxy has read the
    // owners of all three).
    for (department, on) in [(Some("billing"), billing), (Some("presales"), presales), (None, default)] {
        until_haproxy_knows(&cluster, department, on).await;
    }
    let lb = format!("127.0.0.1:{}", cluster.lb_port);
    for (department, on) in [(Some("presales"), presales), (None, default), (Some("nonesuch"), default), (Some("billing"), billing)] {
        assert_eq!(landed(&cluster, &format!("af-{}", department.unwrap_or("walk-in")), department).await, [on], "a {department:?} customer");
    }
    for (kf, on) in [("bl-a", billing), ("df-a", default), ("ps-a", presales)] {
        let before = held(&cluster, "agent").await;
        let _a = agent(&lb, kf).await;
        let after = held(&cluster, "agent").await;
        assert_eq!((0..3).filter(|&i| after[i] > before[i]).collect::<Vec<_>>(), [on], "agent {kf}: {before:?} → {after:?}");
    }
    // A conversation through HAProxy stays off NATS: 20 + 20 messages of 2 000 characters.
    let nats = || cluster.metric(billing, "kefu_node_nats_bytes_total{");
    let before = nats().await;
    let mut bl = agent(&lb, "bl-a").await;
    let mut v = visitor(&lb, "af-talk", Some("billing")).await;
    converse(&mut bl, "bl-a", &mut v, "af-talk", "hi").await;
    let text = "账".repeat(2_000);
    for i in 0..20 {
        chat(&mut bl, "bl-a", &mut v, "af-talk", &format!("{i}{text}")).await;
    }
    let bytes = nats().await - before;
    println!("NATS payload bytes on billing's owner for a conversation through HAProxy (20 + 20 messages of 2 000 characters): {bytes}");
    assert!(bytes < 40_000, "through HAProxy the conversation stayed off NATS: {bytes} bytes (about 750 000 through another node)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (KEFU_TEST_PG), nats-server and haproxy: scripts/test.sh runs it"]
async fn walk_ins_go_to_the_walk_in_departments_partition_on_every_node() {
    let store = support::postgres_store().await.expect("KEFU_TEST_PG: a PostgreSQL URL (scripts/pg.sh)");
    let dir = tempfile::tempdir().unwrap();
    departments(dir.path(), &store);
    let mut cfg = kefu_server::Config::for_tests(dir.path().join("admin"));
    cfg.store = store.clone();
    kefu_server::set_password_to(&cfg, "wk-boss", Some("主管"), Some("supervisor"), "wk-boss-password").expect("a supervisor");
    let cluster = Cluster::start_partitioned(dir.path(), &store, &PARTITIONS).await;
    let lb = format!("127.0.0.1:{}", cluster.lb_port);
    let walk_in = |at: usize, user: &'static str| {
        let at = cluster.addr(at);
        async move { visitor(&at, user, None).await }
    };
    let boss = login(&lb, "wk-boss", "wk-boss-password").await;
    for kf in ["ps-a", "bl-a"] {
        login(&lb, kf, kf).await; // registered, so the departments may name them
    }
    let s = json!({"departments": [
        {"id": "presales", "name": "售前", "agents": ["ps-a"]},
        {"id": "billing", "name": "账单", "agents": ["bl-a"]},
    ], "walkIn": "billing"});
    let r: serde_json::Value = cluster.http.post(format!("http://{lb}/settings/departments")).bearer_auth(&boss).json(&s).send().await.unwrap().json().await.unwrap();
    assert_eq!(r["code"], 0, "{r}");
    // Both partitions the walk-ins leave and join are handed over, then routed again.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    cluster.wait_for_owners(&PARTITIONS, &[]).await;
    cluster.wait_until_settled().await;
    let owners = cluster.owners(0).await;
    let billing = owner(&cluster, &owners, "billing");
    let list = cluster.http.get(format!("http://{}/cluster/affinity", cluster.addr(0))).send().await.unwrap().text().await.unwrap();
    assert!(list.lines().any(|l| l == format!("walkin\t\t{}", cluster.nodes[billing].name)), "{list:?}");
    // HAProxy sends walk-ins to billing's node (probed before any agent is on: a probe that
    // left is never offered).
    until_haproxy_knows(&cluster, None, billing).await;
    // A walk-in is offered to the billing agent, whichever node they reach and through HAProxy.
    let mut bl = agent(&cluster.addr(billing), "bl-a").await;
    let mut df = agent(&cluster.addr((billing + 1) % 3), "df-a").await;
    let mut elsewhere = walk_in((billing + 2) % 3, "wk-v1").await;
    converse(&mut bl, "bl-a", &mut elsewhere, "wk-v1", "hello").await;
    let mut through = visitor(&lb, "wk-v2", None).await;
    converse(&mut bl, "bl-a", &mut through, "wk-v2", "hello").await;
    let quiet = tokio::time::timeout(Duration::from_millis(500), next(&mut df, |f| f["status"] == 2)).await;
    assert!(quiet.is_err(), "the agent in no department is offered no walk-in: {quiet:?}");
}
