//! Routing's own writes on PostgreSQL (`store/write.rs`): a conversation's end, a customer who
//! gave up in the queue, a silent page's claim let go. The group writer commits them in order
//! with the messages, not under the hub's lock, so a slow write holds up only what announces it.
//! Attacked with a row or table lock held by another connection: the desk keeps answering, and
//! what says "done" (the customer's frame, the HTTP answer) waits for the commit. Runs where the
//! suites run on PostgreSQL (`KEFU_TEST_PG`); SQLite writes in place and skips them.

mod support;
use serde_json::{json, Value};
use std::time::Duration;
use support::*;

/// A connection of the test's own to the server's PostgreSQL schema; `None` on SQLite.
async fn database(s: &Server) -> Option<tokio_postgres::Client> {
    let url = std::fs::read_to_string(s.dir.join("pg-store-url")).ok()?;
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.expect("the test's store");
    tokio::spawn(conn);
    Some(client)
}

/// Whether `customer`'s message reaches `other` (their agent) within 2 s: the chat goes on.
async fn chat_goes_on(customer: &mut Peer, other: &mut Peer, text: &str) -> bool {
    customer.send(json!({"type": "message", "content": text})).await;
    let got = tokio::time::timeout(Duration::from_secs(2), other.recv_until(|f: &Value| f["status"] == 1)).await;
    got.is_ok_and(|f| f["data"]["content"] == text)
}

/// Whether the desk answers within 2 s (a request that takes the hub's lock).
async fn desk_answers(s: &Server) -> bool {
    tokio::time::timeout(Duration::from_secs(2), s.get("/agents/online")).await.is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_end_waiting_for_a_locked_row_holds_up_only_what_announces_it() {
    let s = Server::start().await;
    let Some(mut db) = database(&s).await else { return };
    let (_a, mut v) = assigned_with(&s, "rw-a", "rw-v", &["lifecycle"]).await;
    let (mut other, mut customer) = assigned_with(&s, "rw-o", "rw-c", &[]).await;
    let lock = db.transaction().await.unwrap();
    lock.execute("SELECT 1 FROM conversations WHERE user_id = 'rw-v' FOR UPDATE", &[]).await.unwrap();
    let (url, token) = (s.http("/overSession/overUser?kfId=rw-a&userId=rw-v"), s.token("rw-a").await);
    let end = tokio::spawn(async move { reqwest::Client::new().get(url).bearer_auth(token).send().await.map(|r| r.status().as_u16()) });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(desk_answers(&s).await, "the desk answered while the end waited for its row");
    assert!(chat_goes_on(&mut customer, &mut other, "还在吗").await, "the other conversations' messages went on meanwhile");
    assert!(!end.is_finished(), "the agent's answer waits for the end to be stored");
    let early = v.drain_for(200).await;
    assert!(!early.iter().any(vstate("ended")), "the customer is told once it is stored: {early:?}");
    lock.rollback().await.unwrap();
    assert_eq!(end.await.unwrap().unwrap(), 200);
    v.recv_until(vstate("ended")).await;
    let row = db.query_one("SELECT outcome, ended_at IS NOT NULL FROM conversations WHERE user_id = 'rw-v'", &[]).await.unwrap();
    assert_eq!((row.get::<_, Option<String>>(0).as_deref(), row.get::<_, bool>(1)), (Some("agent"), true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_customer_giving_up_and_a_silent_page_leaving_do_not_hold_up_the_desk() {
    let s = Server::start_with(|c| c.grace_ms = 200).await;
    let Some(mut db) = database(&s).await else { return };
    let mut a = s.agent_with("rw-b", &[]).await;
    // One customer waits (offered, not taken) and gives up; one page never says a word.
    let mut waiting = s.visitor("rw-w", "W").await;
    waiting.send(json!({"type": "message", "content": "有人吗", "msgId": "m1"})).await;
    waiting.recv_until(|f: &Value| f["type"] == "ack").await;
    a.recv_until(status(2)).await;
    let silent = s.visitor("rw-s", "S").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let lock = db.transaction().await.unwrap();
    lock.batch_execute("LOCK TABLE conversations, visitor_secrets IN EXCLUSIVE MODE").await.unwrap();
    waiting.close().await;
    silent.close().await;
    tokio::time::sleep(Duration::from_millis(600)).await; // past the grace period: both are gone
    assert!(desk_answers(&s).await, "the desk answered while their writes waited for the tables");
    lock.rollback().await.unwrap();
    let mut stored = (0, 1);
    for _ in 0..50 {
        let gave_up = db.query_one("SELECT COUNT(*) FROM conversations WHERE user_id = 'rw-w' AND outcome = 'abandoned'", &[]).await.unwrap();
        let claim = db.query_one("SELECT COUNT(*) FROM visitor_secrets WHERE user_id = 'rw-s'", &[]).await.unwrap();
        stored = (gave_up.get::<_, i64>(0), claim.get::<_, i64>(0));
        if stored == (1, 0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(stored, (1, 0), "the one who gave up is recorded once and the silent page's id is free again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_accept_is_made_off_the_lock_and_hands_over_every_waiting_message_once_in_order() {
    let s = Server::start().await;
    let Some(mut db) = database(&s).await else { return };
    let mut a = s.agent_with("rw-acc", &["ack", "seq"]).await;
    // A first conversation, so routing counts the agent's delivery numbers.
    let mut first = s.visitor("rw-first", "F").await;
    a.recv_until(|f: &Value| f["status"] == 2 && f["data"]["id"] == "rw-first").await;
    a.send(json!({"respStatus": 2, "kfId": "rw-acc", "userId": "rw-first", "userName": "F"})).await;
    first.recv_until(vstate("assigned")).await;
    first.send(json!({"type": "message", "content": "first", "msgId": "f1"})).await;
    a.recv_until(|f: &Value| f["status"] == 1 && f["data"]["content"] == "first").await;
    // A new customer writes three messages (one sent twice) while waiting.
    let mut v = s.visitor("rw-new", "N").await;
    for (id, text) in [("w1", "一"), ("w2", "二"), ("w2", "二"), ("w3", "三")] {
        v.send(json!({"type": "message", "content": text, "msgId": id})).await;
        v.recv_until(|f: &Value| f["type"] == "ack" && f["msgId"] == id).await;
    }
    a.recv_until(|f: &Value| f["status"] == 2 && f["data"]["id"] == "rw-new").await;
    let lock = db.transaction().await.unwrap();
    lock.batch_execute("LOCK TABLE conversations IN EXCLUSIVE MODE").await.unwrap();
    a.send(json!({"respStatus": 2, "kfId": "rw-acc", "userId": "rw-new", "userName": "N"})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(desk_answers(&s).await, "the desk answered while the accept waited for the table");
    let early = v.drain_for(200).await;
    assert!(!early.iter().any(vstate("assigned")), "the customer is told once the accept is stored: {early:?}");
    lock.rollback().await.unwrap();
    v.recv_until(vstate("assigned")).await;
    let mut got = Vec::new();
    while got.len() < 3 {
        let f = a.recv_raw().await;
        if f["status"] == 1 && f["data"]["userId"] == "rw-new" {
            got.push((f["data"]["content"].as_str().unwrap().to_owned(), f["seq"].as_u64().expect("numbered")));
        }
    }
    assert_eq!(got.iter().map(|g| g.0.as_str()).collect::<Vec<_>>(), ["一", "二", "三"], "each once, in order: {got:?}");
    assert!(got.windows(2).all(|w| w[0].1 < w[1].1), "{got:?}");
    // Later messages come after them, numbered after them; the agent's replay brings them again.
    v.send(json!({"type": "message", "content": "四", "msgId": "w4"})).await;
    let next = loop {
        let f = a.recv_raw().await;
        if f["status"] == 1 && f["data"]["content"] == "四" {
            break f;
        }
    };
    assert!(next["seq"].as_u64().is_some_and(|n| n > got[2].1), "{next}");
    let mut again = s.legacy_agent("rw-acc").await;
    again.send(json!({"respStatus": 100, "features": ["ack", "seq"], "lastSeq": got[0].1 - 1})).await;
    let mut replayed = Vec::new();
    while replayed.len() < 4 {
        let f = again.recv_raw().await;
        if f["status"] == 1 && f["data"]["userId"] == "rw-new" {
            replayed.push(f["data"]["content"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(replayed, ["一", "二", "三", "四"]);
    let row = db.query_one("SELECT kf_id FROM conversations WHERE user_id = 'rw-new' AND ended_at IS NULL", &[]).await.unwrap();
    assert_eq!(row.get::<_, String>(0), "rw-acc");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_accept_an_end_a_new_question_and_a_second_accept_in_one_commit_keep_each_message_in_its_conversation() {
    let s = Server::start().await;
    if database(&s).await.is_none() {
        return;
    }
    let mut a = s.agent_with("rw-seg-a", &["ack", "seq"]).await;
    let mut b = s.agent_with("rw-seg-b", &["ack", "seq"]).await;
    let mut v = s.visitor("rw-sv", "S").await;
    v.send(json!({"type": "message", "content": "一", "msgId": "m1"})).await;
    v.recv_until(|f: &Value| f["type"] == "ack" && f["msgId"] == "m1").await;
    a.recv_until(|f: &Value| f["status"] == 2 && f["data"]["id"] == "rw-sv").await; // a tie goes by id
    // Everything below is handed to the held writer and committed in one batch: A takes the
    // customer and ends, the customer asks again, B (A is away now) takes them.
    let (release, held) = hold_writer(&s);
    a.send(json!({"respStatus": 2, "kfId": "rw-seg-a", "userId": "rw-sv", "userName": "S"})).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (code, _) = s.post_as("rw-seg-a", "/agents/presence", json!({"kfId": "rw-seg-a", "presence": "away"})).await;
    assert_eq!(code, 200);
    let (url, token) = (s.http("/overSession/overUser?kfId=rw-seg-a&userId=rw-sv"), s.token("rw-seg-a").await);
    let end = tokio::spawn(async move { reqwest::Client::new().get(url).bearer_auth(token).send().await.map(|r| r.status().as_u16()) });
    tokio::time::sleep(Duration::from_millis(100)).await;
    v.send(json!({"type": "message", "content": "二", "msgId": "m2"})).await; // a new question
    b.recv_until(|f: &Value| f["status"] == 2 && f["data"]["id"] == "rw-sv").await;
    b.send(json!({"respStatus": 2, "kfId": "rw-seg-b", "userId": "rw-sv", "userName": "S"})).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let _ = release.send(());
    drop(held);
    assert_eq!(end.await.unwrap().unwrap(), 200);
    // Each question reaches the agent of its own conversation, once.
    let first = a.recv_until(|f: &Value| f["status"] == 1).await;
    assert_eq!(first["data"]["content"], "一");
    let second = b.recv_until(|f: &Value| f["status"] == 1).await;
    assert_eq!(second["data"]["content"], "二", "the second conversation's question reached its agent");
    a.silent(300).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_presence_change_waiting_for_its_row_holds_up_only_its_answer() {
    let s = Server::start().await;
    let Some(mut db) = database(&s).await else { return };
    let (mut other, mut customer) = assigned_with(&s, "rw-po", "rw-pc", &[]).await;
    let mut a = s.agent_with("rw-p", &["presence"]).await;
    a.recv_until(status(102)).await;
    let lock = db.transaction().await.unwrap();
    lock.execute("SELECT 1 FROM agents WHERE id = 'rw-p' FOR UPDATE", &[]).await.unwrap();
    // The agent goes busy from its console, then a supervisor sets it away over HTTP.
    a.send(json!({"respStatus": 102, "presence": "busy"})).await;
    assert_eq!(a.recv_until(status(102)).await["data"]["presence"], "busy", "the agent hears it at once");
    let (url, token) = (s.http("/agents/presence"), s.token(SUPERVISOR).await);
    let set = tokio::spawn(async move { reqwest::Client::new().post(url).bearer_auth(token).json(&json!({"kfId": "rw-p", "presence": "away"})).send().await.map(|r| r.status().as_u16()) });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(desk_answers(&s).await, "the desk answered while the presence waited for its row");
    assert!(chat_goes_on(&mut customer, &mut other, "在吗").await, "the chat went on meanwhile");
    assert!(!set.is_finished(), "the supervisor's answer waits for the presence to be stored");
    lock.rollback().await.unwrap();
    assert_eq!(set.await.unwrap().unwrap(), 200);
    let row = db.query_one("SELECT presence FROM agents WHERE id = 'rw-p'", &[]).await.unwrap();
    assert_eq!(row.get::<_, String>(0), "away", "the last presence is the one stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_supervisors_reassign_waiting_for_its_row_holds_up_only_what_announces_it() {
    let s = Server::start().await;
    let Some(mut db) = database(&s).await else { return };
    let (_a, mut v) = assigned_with(&s, "rw-ra", "rw-rv", &[]).await;
    let (mut other, mut customer) = assigned_with(&s, "rw-ro", "rw-rc", &[]).await;
    let _b = s.agent_with("rw-rb", &[]).await;
    let lock = db.transaction().await.unwrap();
    lock.execute("SELECT 1 FROM conversations WHERE user_id = 'rw-rv' FOR UPDATE", &[]).await.unwrap();
    let (url, token) = (s.http("/supervisor/reassign"), s.token(SUPERVISOR).await);
    let moved = tokio::spawn(async move { reqwest::Client::new().post(url).bearer_auth(token).json(&json!({"userId": "rw-rv", "toKfId": "rw-rb"})).send().await.map(|r| r.status().as_u16()) });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(desk_answers(&s).await, "the desk answered while the reassign waited for its row");
    assert!(chat_goes_on(&mut customer, &mut other, "还在吗").await, "the other conversations went on meanwhile");
    assert!(!moved.is_finished(), "the supervisor's answer waits for the reassign to be stored");
    let early = v.drain_for(200).await;
    assert!(!early.iter().any(vstate("assigned")), "the customer is told once it is stored: {early:?}");
    lock.rollback().await.unwrap();
    assert_eq!(moved.await.unwrap().unwrap(), 200);
    assert_eq!(v.recv_until(vstate("assigned")).await["kfId"], "rw-rb");
    let row = db.query_one("SELECT kf_id, agents FROM conversations WHERE user_id = 'rw-rv' AND ended_at IS NULL", &[]).await.unwrap();
    assert_eq!((row.get::<_, String>(0), row.get::<_, Option<String>>(1)), ("rw-rb".into(), Some("rw-ra,rw-rb".into())));
    let log = db.query_one("SELECT COUNT(*) FROM messages WHERE user_id = 'rw-rv' AND sender = 'system'", &[]).await.unwrap();
    assert_eq!(log.get::<_, i64>(0), 1, "the log line once");
}
