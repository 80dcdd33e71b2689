//! Routing never waits for PostgreSQL under its lock: each wait made while the hub's lock is
//! held is counted by call (`kefu_store_waits_under_lock` in `/metrics`). A shift's worth of
//! accepts and every move of the supervisor's desk leave it empty; a locked audit table holds up
//! nothing but the audit line; a supervisor who starts watching while the customer writes sees
//! each line once; and a customer restored after a restart is accepted again in the writer. All
//! but the watcher's run where the suites run on PostgreSQL (`KEFU_TEST_PG`); SQLite commits in
//! place by design and skips them.

mod support;
use serde_json::{json, Value};
use std::time::Duration;
use support::*;

/// The waits `/metrics` counted under the lock, as its lines.
async fn waits_under_lock(s: &Server) -> Vec<String> {
    let text = reqwest::get(s.http("/metrics")).await.unwrap().text().await.unwrap();
    text.lines().filter(|l| l.starts_with("kefu_store_waits_under_lock{")).map(str::to_owned).collect()
}

/// A new customer `user` who writes `text` and is accepted by `a` (agent `kf`).
async fn accepted(s: &Server, a: &mut Peer, kf: &str, user: &str, text: &str) -> Peer {
    let mut v = s.visitor(user, "V").await;
    v.send(json!({"type": "message", "content": text})).await;
    a.recv_until(|f: &Value| f["status"] == 2 && f["data"]["id"] == user).await;
    a.send(json!({"respStatus": 2, "kfId": kf, "userId": user, "userName": "V"})).await;
    v.recv_until(vstate("assigned")).await;
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_shift_of_accepts_and_every_supervisor_move_never_wait_for_the_store_under_the_lock() {
    let s = Server::start_with(|c| c.max_conversations = 1000).await;
    if s.hub.store().group().is_none() {
        return; // SQLite: in place by design
    }
    let features = ["ack", "notes", "monitor", "recall"];
    let mut a = s.agent_with("ul-a", &features).await;
    // More accepts than the conversation ids taken at start minus the refill mark (256 - 128).
    let mut customers = Vec::new();
    for i in 0..140 {
        let v = accepted(&s, &mut a, "ul-a", &format!("ul-v{i}"), &format!("q{i}")).await;
        if i < 5 {
            customers.push(v); // the supervisor's moves are made on these
        } else {
            v.close().await; // (100 sockets per address)
        }
    }
    let mut b = s.agent_with("ul-b", &features).await;
    let mut sup = s.agent_with(SUPERVISOR, &features).await;
    sup.send(json!({"respStatus": 107, "userId": "ul-v0", "watch": true})).await;
    assert_eq!(sup.recv_until(status(107)).await["data"]["messages"][0]["content"], "q0", "the history");
    assert_eq!(s.post_as(SUPERVISOR, "/supervisor/whisper", json!({"userId": "ul-v0", "content": "问订单号"})).await.0, 200);
    a.recv_until(|f: &Value| f["status"] == 105 && f["data"]["kind"] == "whisper").await;
    a.send(json!({"respStatus": 105, "userId": "ul-v0", "content": "@ul-b 看一下"})).await;
    b.recv_until(|f: &Value| f["status"] == 105 && f["data"]["kind"] == "note").await;
    a.send(json!({"kfId": "ul-a", "kfName": "A", "userId": "ul-v0", "userName": "V", "content": "发错了", "msgId": "ul-m1"})).await;
    a.recv_until(|f: &Value| f["status"] == 101 && f["data"]["msgId"] == "ul-m1").await;
    a.send(json!({"respStatus": 110, "userId": "ul-v0", "msgId": "ul-m1"})).await;
    a.recv_until(status(110)).await;
    assert_eq!(s.post_as(SUPERVISOR, "/supervisor/join", json!({"userId": "ul-v1"})).await.0, 200);
    assert_eq!(s.post_as(SUPERVISOR, "/supervisor/leave", json!({"userId": "ul-v1"})).await.0, 200);
    assert_eq!(s.post_as(SUPERVISOR, "/supervisor/reassign", json!({"userId": "ul-v2", "toKfId": "ul-b"})).await.0, 200);
    assert_eq!(s.post_as(SUPERVISOR, "/supervisor/end", json!({"userId": "ul-v3"})).await.0, 200);
    // The next customers are accepted (by `ul-a`: the others leave) from ids the refill took.
    b.close().await;
    sup.close().await;
    for i in 140..150 {
        accepted(&s, &mut a, "ul-a", &format!("ul-v{i}"), &format!("q{i}")).await.close().await;
    }
    assert_eq!(waits_under_lock(&s).await, Vec::<String>::new(), "no wait for PostgreSQL under the lock");
    // What was handed over is stored: the audit log has every move, in order.
    let (code, log) = s.get_as(SUPERVISOR, "/audit?limit=50").await;
    assert_eq!(code, 200);
    let mut actions: Vec<&str> = log["data"]["list"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    actions.reverse();
    for moved in ["monitor", "whisper", "recall", "join", "leave", "reassign", "end"] {
        assert!(actions.contains(&moved), "{moved} in the audit log: {actions:?}");
    }
    assert!(actions.iter().position(|x| *x == "monitor") < actions.iter().position(|x| *x == "end"), "in order: {actions:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_locked_audit_table_holds_up_only_the_audit_line() {
    let s = Server::start().await;
    let Ok(url) = std::fs::read_to_string(s.dir.join("pg-store-url")) else { return };
    let (mut db, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.expect("the test's store");
    tokio::spawn(conn);
    let (_a, _v) = assigned_with(&s, "la-a", "la-v", &["monitor"]).await;
    let (mut other, mut customer) = assigned_with(&s, "la-o", "la-c", &[]).await;
    let mut sup = s.agent_with(SUPERVISOR, &["monitor"]).await;
    let lock = db.transaction().await.unwrap();
    lock.batch_execute("LOCK TABLE audit IN EXCLUSIVE MODE").await.unwrap();
    sup.send(json!({"respStatus": 107, "userId": "la-v", "watch": true})).await;
    let started = tokio::time::timeout(Duration::from_secs(2), sup.recv_until(status(107))).await;
    assert!(started.is_ok(), "the supervisor watches while the audit line waits");
    let answered = tokio::time::timeout(Duration::from_secs(2), s.get("/agents/online")).await;
    assert!(answered.is_ok(), "the desk answers");
    customer.send(json!({"type": "message", "content": "还在吗"})).await;
    let relayed = tokio::time::timeout(Duration::from_secs(2), other.recv_until(status(1))).await;
    assert!(relayed.is_ok_and(|f| f["data"]["content"] == "还在吗"), "the chat goes on");
    lock.rollback().await.unwrap();
    let (_, log) = s.get_as(SUPERVISOR, "/audit").await;
    assert!(log["data"]["list"].as_array().unwrap().iter().any(|e| e["action"] == "monitor" && e["target"] == "la-v"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_watcher_starting_while_the_customer_writes_sees_each_line_once_in_order() {
    let s = Server::start().await;
    let (mut a, mut v) = assigned_with(&s, "wr-a", "wr-v", &["monitor"]).await;
    let mut sup = s.agent_with(SUPERVISOR, &["monitor"]).await;
    let sent: Vec<String> = (0..40).map(|i| format!("m{i}")).collect();
    let writer = {
        let sent = sent.clone();
        tokio::spawn(async move {
            for (i, text) in sent.iter().enumerate() {
                v.send(json!({"type": "message", "content": text})).await;
                if i % 4 == 0 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
            v
        })
    };
    tokio::time::sleep(Duration::from_millis(3)).await;
    sup.send(json!({"respStatus": 107, "userId": "wr-v", "watch": true})).await;
    let _v = writer.await.unwrap();
    for _ in 0..40 {
        a.recv_until(status(1)).await; // every message reached the agent
    }
    let mut seen: Vec<String> = Vec::new();
    while seen.last() != Some(&"m39".to_owned()) {
        let f = sup.recv_until(status(107)).await;
        seen.extend(f["data"]["messages"].as_array().unwrap().iter().filter_map(|m| m["content"].as_str().map(str::to_owned)));
    }
    let first = sent.iter().position(|t| *t == seen[0]).expect("a line that was sent");
    assert_eq!(seen, sent[first..].to_vec(), "history then live lines: none missed, none twice, in order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_customer_restored_after_a_restart_is_accepted_again_without_a_wait_under_the_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let s = Server::start_in(dir.clone(), |_| {}).await;
    if s.hub.store().group().is_none() {
        return;
    }
    let (a, v) = assigned_with(&s, "rs-a", "rs-v", &["ack", "seq"]).await;
    drop((a, v));
    s.stop().await;
    // Routing restores the open conversation from the store; it ends, and the customer asks again.
    let s = Server::start_in(dir, |_| {}).await;
    let mut a = s.agent_with("rs-a", &["ack", "seq"]).await;
    let mut v = s.visitor("rs-v", "V").await;
    let (code, r) = s.get("/overSession/overUser?kfId=rs-a&userId=rs-v").await;
    assert_eq!(code, 200, "{r}");
    v.recv_until(vstate("ended")).await;
    v.send(json!({"type": "message", "content": "又是我"})).await;
    v.send(json!({"type": "message", "content": "还有一个问题"})).await;
    a.recv_until(|f: &Value| f["status"] == 2 && f["data"]["id"] == "rs-v").await;
    a.send(json!({"respStatus": 2, "kfId": "rs-a", "userId": "rs-v", "userName": "V"})).await;
    v.recv_until(vstate("assigned")).await;
    let mut got = Vec::new();
    while got.len() < 2 {
        let f = a.recv_raw().await; // numbered: the harness's recv drops `seq`
        if f["status"] == 1 {
            got.push(f);
        }
    }
    let (first, second) = (&got[0], &got[1]);
    assert_eq!((first["data"]["content"].as_str(), second["data"]["content"].as_str()), (Some("又是我"), Some("还有一个问题")));
    assert!(first["seq"].as_u64() < second["seq"].as_u64(), "numbered in order: {first} {second}");
    assert_eq!(waits_under_lock(&s).await, Vec::<String>::new(), "the accept was made in the writer");
    drop(tmp);
}
