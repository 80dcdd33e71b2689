//! A partitioned cluster spreads its partitions by weight (the agents staffed in each), not by
//! count: a department with as many agents as the rest together gets a node of its own, and gets
//! one again after its node dies and comes back; a change of the departments moves each partition
//! it touches once, to where the spread wants it. Needs `KEFU_TEST_PG`, nats-server and haproxy:
//! `scripts/test.sh` provides them (ignored otherwise).

mod cluster_harness;
mod faults;
mod support;

use cluster_harness::partitioned::save_departments;
use cluster_harness::Cluster;
use serde_json::json;
use std::time::{Duration, Instant};

/// Presales with six agents; five departments of one agent; and `default`.
const PARTITIONS: [&str; 7] = ["aftersales", "billing", "default", "presales", "returns", "support", "vip"];

/// The node routing `presales`, once every node hears it, and what that node routes.
async fn presales_node(cluster: &Cluster) -> (usize, Vec<String>) {
    let owners = cluster.owners(0).await;
    let i = (0..cluster.nodes.len()).find(|&i| owners["presales"].starts_with(&format!("{}-", cluster.nodes[i].name))).expect("an owner for presales");
    (i, cluster.partitions_of(i).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (KEFU_TEST_PG), nats-server and haproxy: scripts/test.sh runs it"]
async fn a_department_with_half_the_agents_gets_a_node_of_its_own() {
    let store = support::postgres_store().await.expect("KEFU_TEST_PG: a PostgreSQL URL (scripts/pg.sh)");
    let dir = tempfile::tempdir().unwrap();
    let presales: Vec<String> = (0..6).map(|a| format!("ps-{a}")).collect();
    let mut departments = vec![json!({"id": "presales", "name": "售前", "agents": presales})];
    for d in ["aftersales", "billing", "returns", "support", "vip"] {
        departments.push(json!({"id": d, "name": d, "agents": [format!("{d}-a")]}));
    }
    save_departments(dir.path(), &store, json!({"departments": departments}));
    let mut cluster = Cluster::start_partitioned(dir.path(), &store, &PARTITIONS).await;
    // Seven partitions over three nodes: counted, every node would route two or three.
    let (first, routes) = presales_node(&cluster).await;
    assert_eq!(routes, ["presales"], "presales weighs 6 of 12: its node routes nothing else");
    let mut routed = Vec::new();
    for i in 0..3 {
        routed.extend(cluster.partitions_of(i).await);
    }
    routed.sort();
    assert_eq!(routed, PARTITIONS, "every partition routed once");
    // Its node dies: presales goes to a node that already routes three light partitions; when the
    // node is back, the move that evens them out most is presales itself.
    cluster.nodes[first].proc.kill();
    cluster.wait_for_owners(&["presales"], &[first]).await;
    let t = Instant::now();
    cluster.nodes[first].spawn();
    tokio::time::sleep(Duration::from_secs(2)).await; // every node hears it back
    cluster.wait_until_settled().await;
    let (_, routes) = presales_node(&cluster).await;
    println!("spread again {} ms after the node came back", t.elapsed().as_millis());
    assert_eq!(routes, ["presales"], "presales has a node of its own again");
    let mut counts = Vec::new();
    for i in 0..3 {
        counts.push(cluster.partitions_of(i).await.len());
    }
    counts.sort_unstable();
    assert_eq!(counts, [1, 3, 3], "the light ones three and three");
}

/// Which node routes each partition, read from the nodes themselves (`partitions` of each).
async fn routed_by(cluster: &Cluster) -> std::collections::BTreeMap<String, usize> {
    let mut by = std::collections::BTreeMap::new();
    for i in 0..cluster.nodes.len() {
        for p in cluster.partitions_of(i).await {
            by.insert(p, i);
        }
    }
    by
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (KEFU_TEST_PG), nats-server and haproxy: scripts/test.sh runs it"]
async fn a_change_of_the_departments_moves_each_partition_it_touches_once() {
    let store = support::postgres_store().await.expect("KEFU_TEST_PG: a PostgreSQL URL (scripts/pg.sh)");
    let dir = tempfile::tempdir().unwrap();
    let staff = |heavy: &str, tag: &str| {
        let mut departments = Vec::new();
        for d in ["aftersales", "billing", "presales", "returns", "support", "vip"] {
            let n = if d == heavy { 6 } else { 1 };
            departments.push(json!({"id": d, "name": d, "agents": (0..n).map(|a| format!("{d}-{tag}{a}")).collect::<Vec<_>>()}));
        }
        json!({"departments": departments})
    };
    save_departments(dir.path(), &store, staff("presales", "a"));
    let cluster = Cluster::start_partitioned(dir.path(), &store, &PARTITIONS).await;
    cluster.wait_until_settled().await;
    let before = routed_by(&cluster).await;
    // Every department gets new agents, and vip is the heavy one now: each is handed over.
    save_departments(dir.path(), &store, staff("vip", "b"));
    let t = Instant::now();
    let mut seen: std::collections::BTreeMap<String, Vec<Option<usize>>> = std::collections::BTreeMap::new();
    while t.elapsed() < Duration::from_secs(9) {
        let now = routed_by(&cluster).await;
        for p in PARTITIONS {
            let runs = seen.entry(p.to_owned()).or_default();
            let at = now.get(p).copied();
            if runs.last() != Some(&at) {
                runs.push(at);
            }
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    println!("before {before:?}; then {seen:?}");
    for (p, runs) in &seen {
        // `runs` holds each change once, so every `Some` in it is a node starting to route it.
        let takes = runs.iter().filter(|r| r.is_some()).count();
        assert!(takes <= 2, "{p} was routed by {runs:?}: handed over once, it is taken once");
        if p != "default" {
            assert!(runs.len() > 1, "{p} is handed over: its agents changed ({runs:?})");
        }
    }
    cluster.wait_until_settled().await;
    let after = routed_by(&cluster).await;
    let vip = after["vip"];
    assert_eq!(after.iter().filter(|(_, n)| **n == vip).count(), 1, "vip has a node of its own: {after:?}");
}
