//! Group commit on PostgreSQL (`store/postgres/group.rs`, `hub/relay.rs`), attacked: a burst from
//! many customers to one agent arrives in delivery order with every ack meaning "stored"; what
//! is handed over while a commit runs goes in one transaction; a resend in the same batch is
//! stored once. Runs where the suites run on PostgreSQL (`KEFU_TEST_PG`); on SQLite, which commits
//! in place, the burst's order and acks are checked all the same.

mod support;
use serde_json::{json, Value};
use support::*;

#[tokio::test]
async fn a_burst_from_many_customers_arrives_in_order_and_every_ack_means_stored() {
    let s = Server::start_with(|c| c.max_conversations = 50).await;
    let mut a = s.agent_with("gc-a", &["ack", "seq"]).await;
    let mut visitors = Vec::new();
    for i in 0..20 {
        let mut v = s.visitor(&format!("gc-v{i}"), "V").await;
        let offer = a.recv_until(status(2)).await;
        a.send(json!({"respStatus": 2, "userId": offer["data"]["id"]})).await;
        v.recv_until(vstate("assigned")).await;
        visitors.push(v);
    }
    // Held: what the burst hands over meanwhile waits, then goes in one transaction.
    let hold = s.hub.store().group().map(|w| w.hold());
    for (i, v) in visitors.iter_mut().enumerate() {
        for k in 0..10 {
            v.send(json!({"type": "message", "content": format!("{i}-{k}"), "msgId": format!("m{k}")})).await;
        }
        v.send(json!({"type": "message", "content": format!("{i}-9"), "msgId": "m9"})).await; // a resend
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    drop(hold);
    let mut seqs = Vec::new();
    while seqs.len() < 200 {
        let f = a.recv_raw().await;
        if f["status"] != 1 {
            continue;
        }
        seqs.push(f["seq"].as_u64().unwrap_or_else(|| panic!("numbered: {f}")));
    }
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "delivery numbers in order: {seqs:?}");
    a.silent(300).await; // the resends are not delivered again
    for (i, v) in visitors.iter_mut().enumerate().take(3) {
        v.recv_until(|f: &Value| f["type"] == "ack" && f["msgId"] == "m9").await;
        let (_, log) = s.get(&format!("/chatLog/list?userId=gc-v{i}&kfId=gc-a&pageCount=50")).await;
        let texts: Vec<&str> = log["data"]["list"].as_array().unwrap().iter().filter_map(|m| m["content"].as_str()).collect();
        assert_eq!(texts.iter().filter(|t| t.starts_with(&format!("{i}-"))).count(), 10, "acked means stored, once: {texts:?}");
    }
    if let Some(w) = s.hub.store().group() {
        let (commits, messages) = w.stats();
        assert_eq!(messages, 220, "every message and resend went through the writer");
        // Each socket waits for its message's commit before its next: while the writer was held,
        // every customer's first message (20) was handed over, and they went in one transaction.
        assert!(commits <= messages - 19, "the 20 held messages shared a commit: {commits} commits for {messages}");
    }
}
