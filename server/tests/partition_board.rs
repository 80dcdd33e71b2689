//! Supervising every partition from one board (`--partitioned`): a supervisor in no department
//! (`default`) sees the billing and presales agents, their conversations and their lines on the
//! board their socket is pushed and on `GET /supervisor/board`, each row naming its partition;
//! whispers, reassigning and ending a billing conversation reach billing's routing; an agent
//! with a valid token gets none of it, and a reassignment across partitions is refused with a
//! reason. Needs `KEFU_TEST_PG`, nats-server and haproxy: `scripts/test.sh` provides them.

mod cluster_harness;
mod faults;
mod support;

use cluster_harness::partitioned::*;
use cluster_harness::{login, next, Cluster};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const BOSS: &str = "pb-boss";

/// `POST path body` through `lb` as `token`: the answer's `code` and the body.
async fn post(cluster: &Cluster, lb: &str, token: &str, path: &str, body: Value) -> (i64, Value) {
    let r: Value = cluster.http.post(format!("http://{lb}{path}")).bearer_auth(token).json(&body).send().await.unwrap().json().await.unwrap();
    (r["code"].as_i64().unwrap_or(-1), r)
}

/// The conversations of `kf` on `board` (a board's `data`).
fn conversations_of(board: &Value, kf: &str) -> Vec<String> {
    let agent = board["agents"].as_array().into_iter().flatten().find(|a| a["kfId"] == kf);
    agent.and_then(|a| a["conversations"].as_array()).into_iter().flatten().filter_map(|c| c["userId"].as_str().map(str::to_owned)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (KEFU_TEST_PG), nats-server and haproxy: scripts/test.sh runs it"]
async fn a_supervisor_sees_and_steers_every_partition_from_one_board() {
    let store = support::postgres_store().await.expect("KEFU_TEST_PG: a PostgreSQL URL (scripts/pg.sh)");
    let dir = tempfile::tempdir().unwrap();
    save_departments(dir.path(), &store, json!({"departments": [
        {"id": "presales", "name": "售前", "agents": ["ps-a"]},
        {"id": "billing", "name": "账单", "agents": ["bl-a", "bl-b"]},
    ]}));
    let mut cfg = kefu_server::Config::for_tests(dir.path().join("admin"));
    cfg.store = store.clone();
    kefu_server::set_password_to(&cfg, BOSS, Some("主管"), Some("supervisor"), "pb-boss-password").expect("a supervisor");
    let cluster = Cluster::start_partitioned(dir.path(), &store, &PARTITIONS).await;
    let lb = format!("127.0.0.1:{}", cluster.lb_port);
    let mut bl = agent(&lb, "bl-a").await;
    let _bl_b = agent(&lb, "bl-b").await;
    let mut ps = agent(&lb, "ps-a").await;
    let mut v = visitor(&lb, "pb-v", Some("billing")).await;
    converse(&mut bl, "bl-a", &mut v, "pb-v", "hi").await;
    let mut pv = visitor(&lb, "pb-pv", Some("presales")).await;
    converse(&mut ps, "ps-a", &mut pv, "pb-pv", "hi").await;
    let _waiting = visitor(&lb, "pb-w", Some("presales")).await; // ps-a is offered them: in the line
    // The supervisor's socket (routed in `default`) is pushed a board with every partition's rows.
    let boss = login(&lb, BOSS, "pb-boss-password").await;
    let (mut sup, _) = tokio_tungstenite::connect_async(format!("ws://{lb}/websocket/{BOSS}?token={boss}")).await.unwrap();
    next(&mut sup, |f| f["status"] == 100).await;
    send(&mut sup, json!({"respStatus": 100, "features": ["board"]})).await;
    let t = Instant::now();
    let board = loop {
        let f = next(&mut sup, |f| f["status"] == 106).await;
        let d = &f["data"];
        let waiting = d["queue"].as_array().into_iter().flatten().any(|w| w["userId"] == "pb-w" && w["partition"] == "presales");
        if conversations_of(d, "bl-a") == ["pb-v"] && conversations_of(d, "ps-a") == ["pb-pv"] && waiting {
            break d.clone();
        }
        assert!(t.elapsed() < Duration::from_secs(15), "every partition's rows never reached the board: {d}");
    };
    println!("every partition on the supervisor's pushed board {} ms after it asked", t.elapsed().as_millis());
    let row = |kf: &str| board["agents"].as_array().unwrap().iter().find(|a| a["kfId"] == kf).cloned().unwrap();
    assert_eq!(row("bl-a")["partition"], "billing");
    assert_eq!(row("ps-a")["partition"], "presales");
    assert!(row(BOSS).get("partition").is_none(), "the board's own partition's rows name none: {}", row(BOSS));
    // The same through the API.
    let got: Value = cluster.http.get(format!("http://{lb}/supervisor/board")).bearer_auth(&boss).send().await.unwrap().json().await.unwrap();
    assert_eq!(conversations_of(&got["data"], "bl-a"), ["pb-v"], "{got}");
    // An agent with a valid token: no board, no whisper, no reassigning, in any partition.
    let agent_token = login(&lb, "ps-a", "ps-a").await;
    let refused: Value = cluster.http.get(format!("http://{lb}/supervisor/board")).bearer_auth(&agent_token).send().await.unwrap().json().await.unwrap();
    assert_eq!(refused["code"], 403, "{refused}");
    for (path, body) in [("/supervisor/whisper", json!({"userId": "pb-v", "content": "x"})), ("/supervisor/reassign", json!({"userId": "pb-v", "toKfId": "bl-b"})), ("/supervisor/end", json!({"userId": "pb-v"}))] {
        assert_eq!(post(&cluster, &lb, &agent_token, path, body).await.0, 403, "{path} as an agent");
    }
    // A whisper to the billing conversation is taken by billing's routing, from `default`.
    let (code, r) = post(&cluster, &lb, &boss, "/supervisor/whisper", json!({"userId": "pb-v", "content": "悄悄话"})).await;
    assert_eq!((code, &r["data"]["kfId"]), (0, &json!("bl-a")), "billing's routing found the conversation: {r}");
    // Reassigning: to another partition's agent is refused with a reason; within billing it moves.
    let (code, r) = post(&cluster, &lb, &boss, "/supervisor/reassign", json!({"userId": "pb-v", "toKfId": "ps-a"})).await;
    assert_eq!(code, 409, "{r}");
    assert!(r["msg"].as_str().unwrap_or_default().contains("另一个分区"), "{r}");
    let (code, r) = post(&cluster, &lb, &boss, "/supervisor/reassign", json!({"userId": "pb-v", "toKfId": "bl-b"})).await;
    assert_eq!(code, 0, "{r}");
    let t = Instant::now();
    loop {
        let f = next(&mut sup, |f| f["status"] == 106).await;
        if f["data"]["agents"].as_array().is_some_and(|a| a.iter().any(|a| a["kfId"] == "bl-b" && a["conversations"].as_array().is_some_and(|c| c.iter().any(|c| c["userId"] == "pb-v")))) {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "the reassignment never reached the board");
    }
    // Ending the presales conversation from `default`.
    let (code, r) = post(&cluster, &lb, &boss, "/supervisor/end", json!({"userId": "pb-pv"})).await;
    assert_eq!(code, 0, "{r}");
    next(&mut pv, |f| f["type"] == "status" && f["state"] == "ended").await;
}
