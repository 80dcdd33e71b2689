//! Group commit on PostgreSQL (`store/postgres/group.rs`, `hub/relay.rs`), attacked: a burst from
//! many customers to one agent arrives in delivery order with every ack meaning "stored"; what
//! is handed over while a commit runs goes in one transaction; a resend in the same batch is
//! stored once; a socket reads on while its message is written, its acks in order after the commit. Runs where the suites run on PostgreSQL (`KEFU_TEST_PG`); on SQLite, which commits
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
    let (commits_before, _) = s.hub.store().group().map(|w| w.stats()).unwrap_or_default();
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
        let theirs: Vec<&str> = texts.into_iter().filter(|t| t.starts_with(&format!("{i}-"))).collect();
        let sent: Vec<String> = (0..10).map(|k| format!("{i}-{k}")).collect();
        assert_eq!(theirs, sent, "acked means stored, once, and in the order sent (ids ascend in a batch)");
    }
    if let Some(w) = s.hub.store().group() {
        let (commits, messages) = w.stats();
        let commits = commits - commits_before;
        assert_eq!(messages, 200, "each message stored once: the 20 resends are not counted as stored");
        // A socket reads on while its messages are written (`acks.rs`): while the writer was
        // held, all 220 were handed over and went in a few transactions. (When each socket waited
        // for its message's commit before reading its next, one customer's 11 took 11 commits.)
        assert!(commits < 11, "the held messages shared commits: {commits} commits for 220 handed over");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_accept_behind_a_busy_writer_holds_up_nobody_and_numbers_in_order() {
    let s = Server::start_with(|c| c.max_conversations = 50).await;
    let (mut a, mut v1) = assigned_with(&s, "gc-b", "gc-w1", &["ack", "seq"]).await;
    let mut v2 = s.visitor("gc-w2", "W2").await;
    v2.send(json!({"type": "message", "content": "waiting", "msgId": "w"})).await;
    v2.recv_until(|f: &Value| f["type"] == "ack" && f["msgId"] == "w").await; // stored
    let offer = a.recv_until(status(2)).await;
    assert_eq!(offer["data"]["id"], "gc-w2");
    // The writer held (for 6 s at most): another customer's message to the same agent is still
    // being written when the agent accepts. On PostgreSQL the accept is written after it, in
    // the same writer (`hub/accept.rs`): the desk goes on meanwhile, the customer hears
    // "assigned" once it is stored.
    let (release, held) = hold_writer(&s);
    v1.send(json!({"type": "message", "content": "in flight", "msgId": "f"})).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    a.send(json!({"respStatus": 2, "userId": "gc-w2"})).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let desk = tokio::time::timeout(std::time::Duration::from_secs(2), s.get("/agents/online")).await;
    let _ = release.send(());
    drop(held);
    assert!(desk.is_ok(), "the desk answered while the accept waited for the writer");
    v2.recv_until(vstate("assigned")).await;
    // The agent gets both, numbered in the order they were handed over, each once.
    let got = numbered(&mut a, 2).await;
    assert_eq!(got.iter().map(|g| g.0.as_str()).collect::<Vec<_>>(), ["in flight", "waiting"], "{got:?}");
    assert_eq!(got[1].1, got[0].1 + 1, "consecutive numbers: {got:?}");
    a.silent(300).await;
    // A new socket replaying from before both gets the same two, with the same numbers.
    let mut again = s.legacy_agent("gc-b").await;
    again.send(json!({"respStatus": 100, "features": ["ack", "seq"], "lastSeq": got[0].1 - 1})).await;
    let replayed = numbered(&mut again, 2).await;
    assert_eq!(replayed, got);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reconnect_replay_waits_for_its_own_messages_without_holding_up_the_desk() {
    let s = Server::start_with(|c| c.max_conversations = 50).await;
    let (_a, mut v) = assigned_with(&s, "gc-r", "gc-rv", &["ack", "seq"]).await;
    v.send(json!({"type": "message", "content": "stored", "msgId": "s"})).await;
    v.recv_until(|f: &Value| f["type"] == "ack" && f["msgId"] == "s").await;
    // The writer held: the customer's next message to the agent is still being written when the
    // agent comes back asking for everything since 0.
    let (release, held) = hold_writer(&s);
    v.send(json!({"type": "message", "content": "in flight", "msgId": "f"})).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut again = s.legacy_agent("gc-r").await;
    again.send(json!({"respStatus": 100, "features": ["ack", "seq"], "lastSeq": 0})).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    // Meanwhile the rest of the desk goes on: the hub is not waiting for the writer under its lock.
    let desk = tokio::time::timeout(std::time::Duration::from_secs(2), s.get("/agents/online")).await;
    let _ = release.send(());
    drop(held);
    assert!(desk.is_ok(), "the desk answered while an agent's replay waited for the writer");
    // The replay: both messages, in order, each once, numbered; then nothing more.
    let got = numbered(&mut again, 2).await;
    assert_eq!(got.iter().map(|g| g.0.as_str()).collect::<Vec<_>>(), ["stored", "in flight"], "{got:?}");
    assert!(got[0].1 < got[1].1, "{got:?}");
    again.silent(300).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_customers_replay_waits_for_their_own_messages_without_holding_up_the_desk() {
    let s = Server::start_with(|c| c.max_conversations = 50).await;
    let (mut a, mut v) = assigned_with(&s, "gc-q", "gc-qv", &["ack", "seq"]).await;
    a.send(json!({"kfId": "gc-q", "kfName": "Q", "userId": "gc-qv", "userName": "V", "content": "stored", "msgId": "s"})).await;
    v.recv_until(|f: &Value| f["type"] == "message" && f["content"] == "stored").await;
    let (release, held) = hold_writer(&s);
    a.send(json!({"kfId": "gc-q", "kfName": "Q", "userId": "gc-qv", "userName": "V", "content": "in flight", "msgId": "f"})).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut again = Peer::connect(&s.visitor_url("gc-qv", "userName=V&lastSeq=0")).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let desk = tokio::time::timeout(std::time::Duration::from_secs(2), s.get("/agents/online")).await;
    let _ = release.send(());
    drop(held);
    assert!(desk.is_ok(), "the desk answered while a customer's replay waited for the writer");
    let got = numbered(&mut again, 2).await;
    assert_eq!(got.iter().map(|g| g.0.as_str()).collect::<Vec<_>>(), ["stored", "in flight"], "{got:?}");
    assert!(got[0].1 < got[1].1, "{got:?}");
    let rest = again.drain_for(300).await;
    assert!(rest.iter().all(|f| f["type"] != "message"), "each once: {rest:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_socket_reads_on_while_its_message_is_written_and_acks_in_order() {
    let s = Server::start_with(|c| c.max_conversations = 50).await;
    let (mut a, mut v) = assigned_with(&s, "gc-p", "gc-pv", &["ack", "seq"]).await;
    // The writer held: the customer's messages wait for their commit, their heartbeat does not.
    let (release, held) = hold_writer(&s);
    v.send(json!({"type": "message", "content": "one", "msgId": "1"})).await;
    v.send(json!({"type": "message", "content": "two", "msgId": "2"})).await;
    v.send(json!({"type": "ping"})).await;
    let answered = tokio::time::timeout(std::time::Duration::from_secs(2), frames_until(&mut v, |f| f["type"] == "pong")).await;
    a.send(json!({"kfId": "gc-p", "kfName": "P", "userId": "gc-pv", "userName": "V", "content": "three", "msgId": "3"})).await;
    a.send(json!({"kfId": "gc-p", "kfName": "P", "userId": "gc-pv", "userName": "V", "content": "four", "msgId": "4"})).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (commits_before, _) = s.hub.store().group().map(|w| w.stats()).unwrap_or_default();
    let _ = release.send(());
    drop(held);
    let before: Vec<Value> = answered.expect("the customer's heartbeat answered while their messages were being written");
    let writer = s.hub.store().group().is_some(); // SQLite commits in place: acked at once
    assert!(!writer || before.iter().all(|f| f["type"] != "ack"), "no ack before the commit: {before:?}");
    // Then each side's acks, in the order sent, and each side's messages once, in order.
    let theirs: Vec<Value> = before.into_iter().chain(v.drain_for(800).await).collect();
    let acks: Vec<&str> = theirs.iter().filter(|f| f["type"] == "ack").filter_map(|f| f["msgId"].as_str()).collect();
    let texts: Vec<&str> = theirs.iter().filter(|f| f["type"] == "message").filter_map(|f| f["content"].as_str()).collect();
    assert_eq!((acks, texts), (vec!["1", "2"], vec!["three", "four"]), "{theirs:?}");
    let mine = a.drain_for(800).await;
    let acks: Vec<&str> = mine.iter().filter(|f| f["status"] == 101).filter_map(|f| f["data"]["msgId"].as_str()).collect();
    let texts: Vec<&str> = mine.iter().filter(|f| f["status"] == 1).filter_map(|f| f["data"]["content"].as_str()).collect();
    assert_eq!((acks, texts), (vec!["3", "4"], vec!["one", "two"]), "{mine:?}");
    if let Some(w) = s.hub.store().group() {
        // All four were handed over while the writer was held, so one transaction wrote them
        // (a socket that waited for each commit before reading on needed one per message).
        assert_eq!(w.stats().0 - commits_before, 1, "one commit for the four");
    }
}

/// The frames `peer` gets up to and including the first that `f` matches.
async fn frames_until(peer: &mut Peer, f: impl Fn(&Value) -> bool) -> Vec<Value> {
    let mut got = Vec::new();
    loop {
        let v = peer.recv_raw().await;
        let done = f(&v);
        got.push(v);
        if done {
            return got;
        }
    }
}

/// The next `n` chat messages `peer` gets (agent frames: status 1; customer frames: type
/// "message"), with their delivery numbers.
async fn numbered(peer: &mut Peer, n: usize) -> Vec<(String, u64)> {
    let mut got = Vec::new();
    while got.len() < n {
        let f = peer.recv_raw().await;
        let (content, is_chat) = if f["status"] == 1 { (&f["data"]["content"], true) } else { (&f["content"], f["type"] == "message") };
        if is_chat {
            got.push((content.as_str().unwrap_or_default().to_owned(), f["seq"].as_u64().unwrap_or_else(|| panic!("numbered: {f}"))));
        }
    }
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_with_a_nul_character_is_stored_like_any_other_and_its_batch_with_it() {
    let s = Server::start().await;
    let mut a = s.agent_with("nul-a", &["ack", "seq"]).await;
    let (mut v1, mut v2) = (s.visitor("nul-v1", "V").await, s.visitor("nul-v2", "V").await);
    // Both wait at once, so they may be offered in either order: each is accepted as offered.
    for _ in 0..2 {
        let offer = a.recv_until(status(2)).await;
        a.send(json!({"respStatus": 2, "userId": offer["data"]["id"]})).await;
        let v = if offer["data"]["id"] == "nul-v1" { &mut v1 } else { &mut v2 };
        v.recv_until(vstate("assigned")).await;
    }
    // Held, so that both go in one batch: the one with a NUL must not sink the other.
    let hold = s.hub.store().group().map(|w| w.hold());
    v1.send(json!({"type": "message", "content": "a\u{0}b", "msgId": "n1"})).await;
    v2.send(json!({"type": "message", "content": "plain", "msgId": "n2"})).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    drop(hold);
    let mut got = Vec::new();
    while got.len() < 2 {
        let f = a.recv_raw().await;
        if f["status"] == 1 {
            got.push(f["data"]["content"].as_str().unwrap_or_default().to_owned());
        }
    }
    got.sort();
    assert_eq!(got, vec!["a\u{fffd}b".to_owned(), "plain".to_owned()], "NUL shown as U+FFFD, both delivered");
    v1.recv_until(|f: &Value| f["type"] == "ack" && f["msgId"] == "n1").await;
    let (_, log) = s.get("/chatLog/list?userId=nul-v1&kfId=nul-a&pageCount=50").await;
    let texts: Vec<&str> = log["data"]["list"].as_array().unwrap().iter().filter_map(|m| m["content"].as_str()).collect();
    assert_eq!(texts, vec!["a\u{fffd}b"], "stored once, as delivered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitions_sharing_a_writer_commit_together_and_retire_alone() {
    use kefu_server::store::{ticket::Outcome, GroupMessage, Sender, Store};
    // Only PostgreSQL has writers to share (SQLite commits in place).
    let Some(url) = postgres_store().await else { return };
    let (a, b) = tokio::task::spawn_blocking(move || (Store::connect_shared(&url).unwrap(), Store::connect_shared(&url).unwrap())).await.unwrap();
    let line = |user: &str, text: &str| GroupMessage {
        user_id: user.into(),
        user_name: "V".into(),
        kf_id: None,
        sender: Sender::Visitor,
        content: text.into(),
        at_ms: 1,
        client_msg_id: None,
        delivery: None,
        on_stored: None,
    };
    let (wa, wb) = (a.group().unwrap(), b.group().unwrap());
    let (commits_before, stored_before) = wa.stats();
    let hold = wa.hold(); // one thread: held through either handle
    let (ta, tb) = (wa.submit(line("sw-a", "from a")), wb.submit(line("sw-b", "from b")));
    drop(hold);
    assert!(matches!(ta.wait().await, Outcome::Stored(_)) && matches!(tb.wait().await, Outcome::Stored(_)));
    tokio::task::block_in_place(|| wb.flush()); // counted just after the tickets resolve
    assert_eq!(wb.stats(), (commits_before + 1, stored_before + 2), "both partitions' messages in one transaction");
    // `a` is handed over: its writes fail from now on, `b`'s go on.
    tokio::task::block_in_place(|| a.retire());
    assert!(matches!(wa.submit(line("sw-a", "after")).wait().await, Outcome::Failed(_)), "a retired partition writes nothing");
    assert!(matches!(wb.submit(line("sw-b", "after")).wait().await, Outcome::Stored(_)), "its sibling goes on");
    tokio::task::block_in_place(|| assert!(a.last_seq("nobody").is_err() && b.last_seq("nobody").is_ok(), "store calls too"));
}
