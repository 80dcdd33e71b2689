//! The negotiated extensions over real sockets: ack + de-duplication, seq + replay, and the
//! legacy path (no hello answer) that still gets its held frames.

mod support;
use serde_json::json;
use support::*;

#[tokio::test]
async fn hello_offers_the_extensions_with_an_epoch() {
    let s = Server::start().await;
    let mut p = Peer::connect(&s.agent_url("hx").await).await;
    let hello = p.recv().await;
    assert_eq!(hello["data"]["features"], json!(["withdraw", "ack", "seq", "presence", "queue", "typing", "read", "notes", "monitor", "recall", "lifecycle", "failover"]), "an agent is not offered the board");
    assert!(hello["data"]["epoch"].as_str().unwrap().len() > 4);
}

#[tokio::test]
async fn acked_messages_are_delivered_once_even_when_resent() {
    let s = Server::start().await;
    let (mut a, mut v) = assigned(&s, "ack-a", "ack-v").await;
    a.send(json!({"respStatus": 100, "features": ["ack"]})).await;
    let chat = json!({"kfId": "ack-a", "kfName": "A", "userId": "ack-v", "userName": "V", "content": "once", "msgId": "t-1"});
    a.send(chat.clone()).await;
    assert_eq!(a.recv().await, json!({"status": 101, "data": {"msgId": "t-1"}}));
    a.send(chat).await; // the client did not see the ack and re-sends after a reconnect
    assert_eq!(a.recv().await, json!({"status": 101, "data": {"msgId": "t-1"}}));
    assert_eq!(v.recv_until(|f| f["type"] == "message").await["content"], "once");
    v.silent(300).await;
    // A message the server cannot route is acked with an error, not silently dropped.
    a.send(json!({"kfId": "ack-a", "kfName": "A", "userId": "stranger", "userName": "S", "content": "x", "msgId": "t-2"})).await;
    let refused = a.recv().await;
    assert_eq!(refused["data"]["msgId"], "t-2");
    assert!(refused["data"]["error"].as_str().unwrap().contains("unknown customer"));
}

#[tokio::test]
async fn with_seq_a_reconnecting_agent_gets_the_gap_replayed_in_order() {
    let s = Server::start().await;
    let (mut a, mut v) = assigned(&s, "seq-a", "seq-v").await;
    for i in 0..5 {
        v.send(json!({"type": "message", "content": format!("m{i}")})).await;
    }
    let mut seqs = Vec::new();
    for _ in 0..5 {
        let f = a.recv_raw().await;
        if f["status"] == 1 {
            seqs.push(f["seq"].as_u64().unwrap());
        }
    }
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    // Pretend m3 and m4 were lost in flight: reconnect saying we saw up to m2.
    a.close().await;
    let mut a2 = s.legacy_agent("seq-a").await;
    a2.send(json!({"respStatus": 100, "features": ["seq"], "lastSeq": seqs[2]})).await;
    let r1 = a2.recv_raw().await;
    let r2 = a2.recv_raw().await;
    assert_eq!((r1["data"]["content"].as_str(), r1["seq"].as_u64()), (Some("m3"), Some(seqs[3])));
    assert_eq!((r2["data"]["content"].as_str(), r2["seq"].as_u64()), (Some("m4"), Some(seqs[4])));
}

#[tokio::test]
async fn a_legacy_agent_gets_frames_held_while_away_after_the_hello_wait() {
    let s = Server::start().await;
    let (a, mut v) = assigned(&s, "leg-a", "leg-v").await;
    a.close().await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    v.send(json!({"type": "message", "content": "while away"})).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut a2 = s.legacy_agent("leg-a").await; // never answers the hello
    let held = a2.recv().await;
    assert_eq!(held["data"]["content"], "while away");
}

#[tokio::test]
async fn visitor_messages_are_acked_once_and_agent_messages_replayed_after_last_seq() {
    let s = Server::start().await;
    let (mut a, mut v) = assigned(&s, "va", "vv").await;
    let m = json!({"type": "message", "content": "dup?", "msgId": "p-1"});
    v.send(m.clone()).await;
    v.send(m).await;
    assert_eq!(v.recv_until(|f| f["type"] == "ack").await["msgId"], "p-1");
    assert_eq!(v.recv_until(|f| f["type"] == "ack").await["msgId"], "p-1");
    assert_eq!(a.recv_until(status(1)).await["data"]["content"], "dup?");
    a.silent(300).await;
    for i in 0..3 {
        a.send(json!({"kfId": "va", "kfName": "A", "userId": "vv", "userName": "V", "content": format!("r{i}")})).await;
    }
    let mut seqs = Vec::new();
    while seqs.len() < 3 {
        let f = v.recv_raw().await;
        if f["type"] == "message" {
            seqs.push(f["seq"].as_u64().unwrap());
        }
    }
    v.close().await;
    // The page saw only r0; its reconnect asks for what came after.
    let mut v2 = Peer::connect(&s.visitor_url("vv", &format!("userName=V&lastSeq={}", seqs[0]))).await;
    let r1 = v2.recv_until(|f| f["type"] == "message").await;
    let r2 = v2.recv_until(|f| f["type"] == "message").await;
    assert_eq!((r1["content"].as_str(), r2["content"].as_str()), (Some("r1"), Some("r2")));
}

#[tokio::test]
async fn sequence_numbers_and_replay_survive_a_server_restart() {
    let s = Server::start().await;
    let dir = s.dir.clone();
    let epoch;
    let last;
    {
        let (mut a, mut v) = assigned(&s, "rs-a", "rs-v").await;
        v.send(json!({"type": "message", "content": "before", "msgId": "x-1"})).await;
        let f = a.recv_until(status(1)).await;
        let _ = f;
        v.send(json!({"type": "message", "content": "lost in flight", "msgId": "x-2"})).await;
        v.recv_until(|f| f["type"] == "ack" && f["msgId"] == "x-2").await;
        let mut p = Peer::connect(&s.agent_url("rs-a").await).await;
        epoch = p.recv().await["data"]["epoch"].as_str().unwrap().to_owned();
        last = 1; // the agent saw only delivery 1 ("before")
        let _ = &mut p;
    }
    let tmp = s.stop().await;
    let s2 = Server::start_in(dir, |_| {}).await;
    let mut a = Peer::connect(&s2.agent_url("rs-a").await).await;
    let hello = a.recv().await;
    assert_eq!(hello["data"]["epoch"].as_str(), Some(epoch.as_str()), "the epoch is the store's, so it survives");
    a.send(json!({"respStatus": 100, "features": ["seq"], "lastSeq": last})).await;
    let replayed = a.recv_raw().await;
    assert_eq!((replayed["data"]["content"].as_str(), replayed["seq"].as_u64()), (Some("lost in flight"), Some(2)));
    drop(tmp);
}
