//! The supervisor's desk, attacked as the guide asks: the board and whispers for supervisors only,
//! internal notes only from the agent in the conversation, and — at the frame level — no whisper
//! or note ever reaching the customer's socket, their replay or a legacy agent. Runs on SQLite and,
//! with `KEFU_TEST_PG`, on PostgreSQL.

mod support;
use serde_json::json;
use support::*;

const NOTES: &[&str] = &["ack", "notes"];

#[tokio::test]
async fn the_board_shows_agents_their_conversations_and_the_queue_to_supervisors_only() {
    let s = Server::start().await;
    let (_a, _v) = assigned_with(&s, "bd-a", "bd-v", NOTES).await;
    let (code, board) = s.get_as(SUPERVISOR, "/supervisor/board").await;
    assert_eq!(code, 200, "{board}");
    let agents = board["data"]["agents"].as_array().unwrap();
    let a = agents.iter().find(|a| a["kfId"] == "bd-a").expect("the agent is on the board");
    assert_eq!(a["online"], true);
    assert_eq!(a["conversations"][0]["userId"], "bd-v");
    assert!(a["conversations"][0]["startedAt"].as_i64().is_some(), "{a}");
    assert!(board["data"]["queue"].is_array());
    let (code, body) = s.get_as("bd-a", "/supervisor/board").await;
    assert_eq!(code, 403, "an agent with a valid token is refused: {body}");
    let (code, _) = s.post_as("bd-a", "/supervisor/whisper", json!({"userId": "bd-v", "content": "x"})).await;
    assert_eq!(code, 403, "and cannot whisper");
}

#[tokio::test]
async fn a_whisper_reaches_the_agent_and_never_the_customer() {
    let s = Server::start().await;
    let (mut a, mut v) = assigned_with(&s, "wh-a", "wh-v", NOTES).await;
    let (code, body) = s.post_as(SUPERVISOR, "/supervisor/whisper", json!({"userId": "wh-v", "content": "先问订单号 <b>x</b>"})).await;
    assert_eq!((code, body["data"]["kfId"].as_str()), (200, Some("wh-a")), "{body}");
    let f = a.recv_until(status(105)).await;
    assert_eq!(f["data"]["kind"], "whisper");
    assert_eq!(f["data"]["content"], "先问订单号 <b>x</b>");
    assert_eq!(f["data"]["fromKfId"], SUPERVISOR);
    assert_eq!(f["data"]["userId"], "wh-v");
    v.silent(400).await; // not a frame of any kind on the customer's socket
    // Stored for the agents' chat log, never replayed to the customer's page.
    let (_, log) = s.get_as(SUPERVISOR, "/chatLog/list?userId=wh-v").await;
    assert!(log["data"]["list"].as_array().unwrap().iter().any(|m| m["sender"] == "whisper"), "{log}");
    v.close().await;
    let mut again = Peer::connect(&s.visitor_url("wh-v", "name=V&lastSeq=0")).await;
    let seen = again.drain_for(500).await;
    assert!(!seen.iter().any(|f| f.to_string().contains("先问订单号")), "the page's replay holds no whisper: {seen:?}");
    // Bad input: a clear error, nothing sent.
    let (code, _) = s.post_as(SUPERVISOR, "/supervisor/whisper", json!({"userId": "nobody", "content": "x"})).await;
    assert_eq!(code, 404);
    let (code, _) = s.post_as(SUPERVISOR, "/supervisor/whisper", json!({"userId": "wh-v", "content": "  "})).await;
    assert_eq!(code, 400);
    let long = "长".repeat(20_000);
    let (code, _) = s.post_as(SUPERVISOR, "/supervisor/whisper", json!({"userId": "wh-v", "content": long})).await;
    assert_eq!(code, 400);
}

#[tokio::test]
async fn a_note_goes_to_the_colleagues_it_mentions_never_to_the_customer_and_only_from_the_agent_in_it() {
    let s = Server::start().await;
    let (mut a, mut v) = assigned_with(&s, "nt-a", "nt-v", NOTES).await;
    let mut b = s.agent_with("nt-b", NOTES).await;
    let mut legacy = s.legacy_agent("nt-c").await;
    a.send(json!({"respStatus": 105, "userId": "nt-v", "content": "@nt-b 这位要退款，@nt-c 也看看"})).await;
    let f = b.recv_until(status(105)).await;
    assert_eq!(f["data"]["kind"], "note");
    assert_eq!(f["data"]["fromKfId"], "nt-a");
    assert_eq!(f["data"]["mentions"], json!(["nt-b", "nt-c"]));
    legacy.silent(300).await; // a legacy agent never sees a new frame
    v.silent(300).await;
    // Someone else's customer: refused, nothing sent anywhere.
    b.send(json!({"respStatus": 105, "userId": "nt-v", "content": "@nt-a hijack"})).await;
    a.silent(300).await;
    v.silent(100).await;
    let (_, log) = s.get_as("nt-a", "/chatLog/list?userId=nt-v").await;
    let notes: Vec<_> = log["data"]["list"].as_array().unwrap().iter().filter(|m| m["sender"] == "note").collect();
    assert_eq!(notes.len(), 1, "only the agent in the conversation wrote one: {log}");
    assert_eq!(notes[0]["kfId"], "nt-a");
}

#[tokio::test]
async fn the_board_is_pushed_to_a_supervisors_socket_on_every_change_and_never_offered_to_agents() {
    let s = Server::start().await;
    let mut sup = Peer::connect(&s.agent_url(SUPERVISOR).await).await;
    let hello = sup.recv().await;
    assert!(hello["data"]["features"].as_array().unwrap().iter().any(|f| f == "board"), "offered to a supervisor: {hello}");
    sup.send(json!({"respStatus": 100, "features": ["board"]})).await;
    let first = sup.recv_until(status(106)).await;
    assert!(first["data"]["agents"].as_array().unwrap().iter().any(|a| a["kfId"] == SUPERVISOR), "{first}");
    // A customer arrives and is served, writes, and is answered: the board follows, its timers
    // as instants.
    let (mut a, mut v) = assigned_with(&s, "pb-a", "pb-v", &[]).await;
    let conv = |f: &serde_json::Value| -> Option<serde_json::Value> {
        let a = f["data"]["agents"].as_array()?.iter().find(|a| a["kfId"] == "pb-a")?.clone();
        a["conversations"].as_array()?.first().cloned()
    };
    let next_board = async |sup: &mut Peer, want: &dyn Fn(&serde_json::Value) -> bool| loop {
        let f = sup.recv_until(status(106)).await;
        if let Some(c) = conv(&f).filter(|c| want(c)) {
            break c;
        }
    };
    let c = next_board(&mut sup, &|c| c["userId"] == "pb-v").await;
    assert!(c["startedAt"].as_i64().is_some() && c["lastAgentAt"].is_null(), "{c}");
    v.send(json!({"type": "message", "content": "在吗"})).await;
    let c = next_board(&mut sup, &|c| c["lastVisitorAt"].is_i64()).await;
    assert!(c["lastAgentAt"].is_null(), "waiting for a first response: {c}");
    a.send(json!({"kfId": "pb-a", "kfName": "A", "userId": "pb-v", "userName": "V", "content": "在的"})).await;
    let c = next_board(&mut sup, &|c| c["lastAgentAt"].is_i64()).await;
    assert!(c["lastAgentAt"].as_i64() >= c["lastVisitorAt"].as_i64(), "{c}");
    v.recv_until(|f| f["type"] == "message").await;
    v.send(json!({"type": "ping"})).await;
    // Nothing changed: nothing pushed (the board is sent when it changes, not every second).
    sup.silent(1500).await;

    // An agent is never offered the board, and asking for it anyway gets nothing.
    let mut agent = Peer::connect(&s.agent_url("pb-b").await).await;
    let hello = agent.recv().await;
    assert!(!hello["data"]["features"].as_array().unwrap().iter().any(|f| f == "board"), "{hello}");
    agent.send(json!({"respStatus": 100, "features": ["board"]})).await;
    let frames = agent.drain_for(1500).await;
    assert!(!frames.iter().any(|f| f["status"] == 106), "{frames:?}");
}

/// The board as a `boardDelta` client holds it after `frame` (a whole board, or changes).
fn apply_board(held: &mut serde_json::Value, frame: &serde_json::Value) {
    let d = &frame["data"];
    if d["delta"] != true {
        *held = d.clone();
        return;
    }
    let gone: Vec<&serde_json::Value> = d["removed"].as_array().unwrap().iter().collect();
    let mut agents: Vec<serde_json::Value> = held["agents"].as_array().unwrap().iter().filter(|a| !gone.contains(&&a["kfId"])).cloned().collect();
    for row in d["agents"].as_array().unwrap() {
        agents.retain(|a| a["kfId"] != row["kfId"]);
        agents.push(row.clone());
    }
    agents.sort_by(|x, y| x["kfId"].as_str().cmp(&y["kfId"].as_str()));
    held["agents"] = json!(agents);
    if !d["queue"].is_null() {
        held["queue"] = d["queue"].clone();
    }
}

#[tokio::test]
async fn a_supervisor_that_takes_changes_gets_the_board_whole_once_then_only_what_changed() {
    let s = Server::start().await;
    let mut sup = Peer::connect(&s.agent_url(SUPERVISOR).await).await;
    let hello = sup.recv().await;
    assert!(hello["data"]["features"].as_array().unwrap().iter().any(|f| f == "boardDelta"), "offered to a supervisor: {hello}");
    sup.send(json!({"respStatus": 100, "features": ["board", "boardDelta"]})).await;
    let mut held = json!(null);
    let first = sup.recv_until(status(106)).await;
    assert!(first["data"]["delta"].is_null() && first["data"]["agents"].is_array(), "whole first: {first}");
    apply_board(&mut held, &first);
    // The next push is whole again (changes apply to the board of a push, not of a hello).
    let second = sup.recv_until(status(106)).await;
    assert!(second["data"]["delta"].is_null(), "whole again: {second}");
    apply_board(&mut held, &second);
    // Agents arrive, one is given a customer, the customer writes and waits: each push carries
    // only the rows that changed, and what the supervisor holds stays the server's board.
    let (_a, mut v) = assigned_with(&s, "dl-a", "dl-v", &[]).await;
    let _b = s.agent("dl-b").await;
    let mut w = s.visitor("dl-w", "W").await;
    w.send(json!({"type": "message", "content": "有人吗"})).await;
    v.send(json!({"type": "message", "content": "在吗"})).await;
    let mut deltas = Vec::new();
    let frames = sup.drain_for(2500).await;
    for f in frames.iter().filter(|f| f["status"] == 106) {
        apply_board(&mut held, f);
        if f["data"]["delta"] == true {
            deltas.push(f["data"].clone());
        }
    }
    assert!(!deltas.is_empty(), "changes were pushed as changes: {frames:?}");
    for d in &deltas {
        let ids: Vec<&str> = d["agents"].as_array().unwrap().iter().map(|a| a["kfId"].as_str().unwrap()).collect();
        assert!(ids.iter().all(|id| id.starts_with("dl-")), "only the rows that changed, never the supervisor's own: {d}");
    }
    assert!(deltas.iter().any(|d| d["queue"].as_array().is_some_and(|q| q.iter().any(|c| c["userId"] == "dl-w"))), "the queue when it changed: {deltas:?}");
    let (_, board) = s.get_as(SUPERVISOR, "/supervisor/board").await;
    assert_eq!(held["agents"], board["data"]["agents"], "the rows held are the server's");
    assert_eq!(held["queue"], board["data"]["queue"], "the queue held is the server's");
    // Nothing changes: nothing pushed.
    sup.silent(1500).await;
    // A new socket of the same supervisor starts again from a whole board.
    drop(sup);
    let mut again = s.agent_with(SUPERVISOR, &["board", "boardDelta"]).await;
    let whole = again.recv_until(status(106)).await;
    assert!(whole["data"]["delta"].is_null(), "{whole}");
    let resync = again.recv_until(status(106)).await;
    assert!(resync["data"]["delta"].is_null(), "and whole at the next push, though nothing changed: {resync}");
}

#[tokio::test]
async fn a_supervisor_reassigns_a_live_conversation_and_everyone_is_told() {
    let s = Server::start().await;
    let (mut a, mut v) = assigned_with(&s, "ra-a", "ra-v", NOTES).await;
    v.send(json!({"type": "message", "content": "我的订单呢"})).await;
    a.recv_until(status(1)).await;
    let mut b = s.agent_with("ra-b", NOTES).await;
    // Agents cannot; unknown customers, offline agents and no-ops are refused clearly.
    assert_eq!(s.post_as("ra-a", "/supervisor/reassign", json!({"userId": "ra-v", "toKfId": "ra-b"})).await.0, 403);
    assert_eq!(s.post_as(SUPERVISOR, "/supervisor/reassign", json!({"userId": "nobody", "toKfId": "ra-b"})).await.0, 404);
    assert_eq!(s.post_as(SUPERVISOR, "/supervisor/reassign", json!({"userId": "ra-v", "toKfId": "ra-offline"})).await.0, 409);
    assert_eq!(s.post_as(SUPERVISOR, "/supervisor/reassign", json!({"userId": "ra-v", "toKfId": "ra-a"})).await.0, 400);

    let (code, body) = s.post_as(SUPERVISOR, "/supervisor/reassign", json!({"userId": "ra-v", "toKfId": "ra-b"})).await;
    assert_eq!((code, body["data"]["fromKfId"].as_str()), (200, Some("ra-a")), "{body}");
    assert_eq!(v.recv_until(vstate("assigned")).await["kfId"], "ra-b", "the customer is told who serves them now");
    assert!(a.recv_until(status(105)).await["data"]["content"].as_str().unwrap().contains("转给"));
    assert!(b.recv_until(status(105)).await["data"]["content"].as_str().unwrap().contains("转给了您"));
    // The new agent serves them: both ways; the old one cannot write to them any more.
    v.send(json!({"type": "message", "content": "还在吗"})).await;
    assert_eq!(b.recv_until(status(1)).await["data"]["content"], "还在吗");
    b.send(json!({"kfId": "ra-b", "kfName": "B", "userId": "ra-v", "userName": "V", "content": "我来处理"})).await;
    assert_eq!(v.recv_until(|f| f["type"] == "message").await["content"], "我来处理");
    a.send(json!({"kfId": "ra-a", "kfName": "A", "userId": "ra-v", "userName": "V", "content": "还是我", "msgId": "old-1"})).await;
    assert!(a.recv_until(status(101)).await["data"]["error"].is_string(), "refused for the old agent");
    // The history follows: the new agent reads the whole log, with the reassignment in it.
    let (code, log) = s.get_as("ra-b", "/chatLog/list?userId=ra-v").await;
    assert_eq!(code, 200);
    let list = log["data"]["list"].as_array().unwrap();
    assert!(list.iter().any(|m| m["content"] == "我的订单呢"), "{log}");
    assert!(list.iter().any(|m| m["sender"] == "system" && m["content"].as_str().unwrap().contains("转给")), "{log}");
}

#[tokio::test]
async fn a_supervisor_sets_an_agents_presence_an_agent_only_their_own() {
    let s = Server::start().await;
    let mut a = s.agent_with("ps-a", &["presence"]).await;
    a.recv_until(status(102)).await;
    let (code, _) = s.post_as(SUPERVISOR, "/agents/presence", json!({"kfId": "ps-a", "presence": "busy"})).await;
    assert_eq!(code, 200);
    assert_eq!(a.recv_until(status(102)).await["data"]["presence"], "busy");
    assert_eq!(s.post_as("ps-b", "/agents/presence", json!({"kfId": "ps-a", "presence": "away"})).await.0, 403);
}

#[tokio::test]
async fn a_supervisor_watches_a_conversation_read_only_and_the_agent_sees_who_watches() {
    let s = Server::start().await;
    let (mut a, mut v) = assigned_with(&s, "mo-a", "mo-v", &["ack", "notes", "monitor"]).await;
    v.send(json!({"type": "message", "content": "订单 123 没到"})).await;
    a.recv_until(status(1)).await;
    let mut sup = Peer::connect(&s.agent_url(SUPERVISOR).await).await;
    sup.recv().await; // hello
    sup.send(json!({"respStatus": 100, "features": ["monitor"]})).await;
    sup.send(json!({"respStatus": 107, "userId": "mo-v", "watch": true})).await;
    let start = sup.recv_until(status(107)).await;
    assert_eq!(start["data"]["start"], true);
    assert_eq!(start["data"]["kfId"], "mo-a");
    assert!(start["data"]["messages"].as_array().unwrap().iter().any(|m| m["content"] == "订单 123 没到"), "history first: {start}");
    let viewers = a.recv_until(status(108)).await;
    assert_eq!(viewers["data"]["viewers"][0]["kfId"], SUPERVISOR, "the agent sees who watches: {viewers}");
    // Every message both ways, and notes, as they happen.
    v.send(json!({"type": "message", "content": "还在吗"})).await;
    let m = sup.recv_until(status(107)).await;
    assert_eq!((m["data"]["messages"][0]["sender"].as_str(), m["data"]["messages"][0]["content"].as_str()), (Some("visitor"), Some("还在吗")));
    a.send(json!({"kfId": "mo-a", "kfName": "A", "userId": "mo-v", "userName": "V", "content": "在的", "msgId": "m-1"})).await;
    assert_eq!(sup.recv_until(status(107)).await["data"]["messages"][0]["sender"], "agent");
    a.send(json!({"respStatus": 105, "userId": "mo-v", "content": "可能要退款"})).await;
    assert_eq!(sup.recv_until(status(107)).await["data"]["messages"][0]["sender"], "note");
    // The customer saw the agent's reply, and nothing of the watching.
    let seen = v.drain_for(400).await;
    assert!(seen.iter().all(|f| !f.to_string().contains(SUPERVISOR) && !f.to_string().contains("退款")), "{seen:?}");
    // An agent cannot watch: refused, nothing sent, the viewers unchanged.
    let mut b = s.agent_with("mo-b", &["monitor"]).await;
    b.send(json!({"respStatus": 107, "userId": "mo-v", "watch": true})).await;
    let got = b.drain_for(400).await;
    assert!(!got.iter().any(|f| f["status"] == 107), "{got:?}");
    let at_agent = a.drain_for(300).await;
    assert!(!at_agent.iter().any(|f| f["status"] == 108), "the viewers are unchanged: {at_agent:?}");
    // Stopping, or the watcher's socket closing, tells the agent nobody watches.
    sup.send(json!({"respStatus": 107, "userId": "mo-v", "watch": false})).await;
    assert_eq!(a.recv_until(status(108)).await["data"]["viewers"], json!([]));
    sup.send(json!({"respStatus": 107, "userId": "mo-v", "watch": true})).await;
    a.recv_until(status(108)).await;
    sup.close().await;
    assert_eq!(a.recv_until(status(108)).await["data"]["viewers"], json!([]));
}

#[tokio::test]
async fn a_supervisor_barges_in_the_customer_sees_them_the_agent_gets_a_copy_and_leaving_is_visible() {
    let s = Server::start().await;
    let (mut a, mut v) = assigned_with(&s, "bi-a", "bi-v", NOTES).await;
    let mut sup = s.agent_with(SUPERVISOR, NOTES).await;
    assert_eq!(s.post_as("bi-a", "/supervisor/join", json!({"userId": "bi-v"})).await.0, 403, "an agent cannot");
    // Not joined: the supervisor's chat frame is refused.
    sup.send(json!({"kfId": SUPERVISOR, "kfName": "主管", "userId": "bi-v", "userName": "V", "content": "偷偷说", "msgId": "s-0"})).await;
    assert!(sup.recv_until(status(101)).await["data"]["error"].is_string());
    let (code, body) = s.post_as(SUPERVISOR, "/supervisor/join", json!({"userId": "bi-v"})).await;
    assert_eq!((code, body["data"]["kfId"].as_str()), (200, Some("bi-a")), "{body}");
    assert!(v.recv_until(vstate("assigned")).await["text"].as_str().unwrap().contains("加入"));
    assert!(a.recv_until(status(105)).await["data"]["content"].as_str().unwrap().contains("加入"));
    // The supervisor speaks: the customer sees it under the supervisor's name, the agent a copy.
    sup.send(json!({"kfId": SUPERVISOR, "kfName": "主管", "userId": "bi-v", "userName": "V", "content": "我是主管", "msgId": "s-1"})).await;
    assert!(sup.recv_until(status(101)).await["data"]["error"].is_null());
    let m = v.recv_until(|f| f["type"] == "message").await;
    assert_eq!((m["content"].as_str(), m["kfId"].as_str()), (Some("我是主管"), Some(SUPERVISOR)));
    let copy = a.recv_until(status(105)).await;
    assert_eq!((copy["data"]["kind"].as_str(), copy["data"]["content"].as_str()), (Some("supervisor"), Some("我是主管")));
    // The customer answers: both the agent and the supervisor get it.
    v.send(json!({"type": "message", "content": "好的"})).await;
    assert_eq!(a.recv_until(status(1)).await["data"]["content"], "好的");
    assert_eq!(sup.recv_until(status(1)).await["data"]["content"], "好的");
    // Leaving is visible to both; after it the supervisor's messages are refused again.
    assert_eq!(s.post_as(SUPERVISOR, "/supervisor/leave", json!({"userId": "bi-v"})).await.0, 200);
    assert!(v.recv_until(vstate("assigned")).await["text"].as_str().unwrap().contains("离开"));
    assert!(a.recv_until(status(105)).await["data"]["content"].as_str().unwrap().contains("离开"));
    sup.send(json!({"kfId": SUPERVISOR, "kfName": "主管", "userId": "bi-v", "userName": "V", "content": "还在", "msgId": "s-2"})).await;
    assert!(sup.recv_until(status(101)).await["data"]["error"].is_string());
    assert_eq!(s.post_as(SUPERVISOR, "/supervisor/join", json!({"userId": "nobody"})).await.0, 404);
}

#[tokio::test]
async fn a_supervisor_ends_a_live_conversation_and_the_agent_hears_who_did() {
    let s = Server::start().await;
    let (mut a, mut v) = assigned_with(&s, "en-a", "en-v", NOTES).await;
    assert_eq!(s.post_as("en-a", "/supervisor/end", json!({"userId": "en-v"})).await.0, 403, "not even their own, this way");
    let (code, body) = s.post_as(SUPERVISOR, "/supervisor/end", json!({"userId": "en-v"})).await;
    assert_eq!((code, body["data"]["kfId"].as_str()), (200, Some("en-a")), "{body}");
    assert_eq!(v.recv_until(|f| f["type"] == "status" && f["state"] == "ended").await["state"], "ended");
    assert!(a.recv_until(status(105)).await["data"]["content"].as_str().unwrap().contains("结束"));
    assert_eq!(s.post_as(SUPERVISOR, "/supervisor/end", json!({"userId": "en-v"})).await.0, 409, "over already");
    assert_eq!(s.post_as(SUPERVISOR, "/supervisor/end", json!({"userId": "nobody"})).await.0, 404);
    let (_, board) = s.get_as(SUPERVISOR, "/supervisor/board").await;
    let a = board["data"]["agents"].as_array().unwrap().iter().find(|a| a["kfId"] == "en-a").cloned().unwrap();
    assert_eq!(a["conversations"], json!([]), "{a}");
}

#[tokio::test]
async fn a_supervisors_socket_does_what_the_http_face_does_and_an_agents_is_refused() {
    let s = Server::start().await;
    let (mut a, mut v) = assigned_with(&s, "sk-a", "sk-v", NOTES).await;
    let mut sup = Peer::connect(&s.agent_url(SUPERVISOR).await).await;
    let hello = sup.recv().await;
    assert!(hello["data"]["features"].as_array().unwrap().iter().any(|f| f == "supervise"), "{hello}");
    sup.send(json!({"respStatus": 100, "features": ["supervise", "notes"]})).await;
    sup.send(json!({"respStatus": 109, "action": "whisper", "userId": "sk-v", "content": "问问订单号"})).await;
    assert_eq!(sup.recv_until(status(109)).await["data"], json!({"action": "whisper", "userId": "sk-v", "error": null}));
    assert_eq!(a.recv_until(status(105)).await["data"]["content"], "问问订单号");
    sup.send(json!({"respStatus": 109, "action": "join", "userId": "sk-v"})).await;
    assert!(sup.recv_until(status(109)).await["data"]["error"].is_null());
    assert!(v.recv_until(vstate("assigned")).await["text"].as_str().unwrap().contains("加入"));
    sup.send(json!({"respStatus": 109, "action": "reassign", "userId": "sk-v", "toKfId": "nobody-online"})).await;
    assert!(sup.recv_until(status(109)).await["data"]["error"].is_string(), "refused with the reason");
    sup.send(json!({"respStatus": 109, "action": "end", "userId": "sk-v"})).await;
    assert!(sup.recv_until(status(109)).await["data"]["error"].is_null());
    assert_eq!(v.recv_until(|f| f["type"] == "status" && f["state"] == "ended").await["state"], "ended");
    // An agent's socket is not offered `supervise`, and sending it anyway is refused (a server of
    // its own, so the customer is offered to the agent named).
    let s = Server::start().await;
    let (mut b, mut w) = assigned_with(&s, "sk-b", "sk-w", NOTES).await;
    let mut c = s.agent_with("sk-c", &["supervise"]).await;
    c.send(json!({"respStatus": 109, "action": "end", "userId": "sk-w"})).await;
    assert!(c.recv_until(status(109)).await["data"]["error"].as_str().unwrap().contains("supervisor"));
    let to_customer = w.drain_for(300).await;
    assert!(!to_customer.iter().any(|f| f["state"] == "ended"), "{to_customer:?}");
    b.silent(100).await;
}
