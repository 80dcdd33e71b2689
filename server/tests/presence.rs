//! Presence, capacity and the queue over real sockets: away and busy agents are offered nothing
//! (their open offers are withdrawn and go to a colleague), coming back online offers the queue at
//! once, per-agent caps, presence kept across reconnects and restarts, the ops view, and the
//! `presence` / `queue` extensions only for agents that asked for them.

mod support;
use serde_json::json;
use support::*;

fn presence(p: &'static str) -> impl Fn(&serde_json::Value) -> bool {
    move |v| v["status"] == 102 && v["data"]["presence"] == p
}

#[tokio::test]
async fn an_agent_who_goes_away_has_its_offer_withdrawn_and_given_to_a_colleague() {
    let s = Server::start().await;
    let mut a = s.agent_with("away-a", &["withdraw", "presence"]).await;
    assert_eq!(a.recv_until(status(102)).await["data"], json!({"presence": "online", "maxConversations": 20}));
    let mut b = s.agent("away-b").await;
    let _v = s.visitor("away-v", "V").await;
    assert_eq!(a.recv_until(status(2)).await["data"]["id"], "away-v", "least busy, then alphabetical: a first");
    a.send(json!({"respStatus": 102, "presence": "away"})).await;
    a.recv_until(presence("away")).await;
    let w = a.recv_until(status(3)).await;
    assert_eq!((w["data"]["id"].as_str(), w["data"]["reason"].as_str()), (Some("away-v"), Some("agent away")));
    assert_eq!(b.recv_until(status(2)).await["data"]["id"], "away-v", "re-offered to the colleague");
    // Away: a second customer goes to b as well, never to a.
    let _v2 = s.visitor("away-v2", "V2").await;
    assert_eq!(b.recv_until(status(2)).await["data"]["id"], "away-v2");
    a.silent(300).await;
    let (_, online) = s.get("/agents/online").await;
    let a_row = online["data"].as_array().unwrap().iter().find(|r| r["id"] == "away-a").cloned().unwrap();
    assert_eq!((a_row["presence"].as_str(), a_row["maxConversations"].as_u64()), (Some("away"), Some(20)));
}

#[tokio::test]
async fn busy_keeps_its_conversations_gets_no_offers_and_online_offers_the_queue_at_once() {
    let s = Server::start().await;
    let (mut a, mut v1) = assigned(&s, "busy-a", "busy-v1").await;
    let (mut b, _v3) = assigned(&s, "busy-b", "busy-v3").await;
    for kf in ["busy-a", "busy-b"] {
        let (code, _) = s.post("/agents/presence", json!({"kfId": kf, "presence": "busy"})).await;
        assert_eq!(code, 200);
    }
    let _v2 = s.visitor("busy-v2", "V2").await;
    a.silent(300).await;
    b.silent(10).await;
    // The conversation goes on.
    v1.send(json!({"type": "message", "content": "还在吗"})).await;
    assert_eq!(a.recv_until(status(1)).await["data"]["content"], "还在吗");
    // A transfer to a busy agent is refused.
    let (code, body) = s.post("/transfer/transferUser", json!({"kfId": "busy-b", "userId": "busy-v3", "toKfId": "busy-a"})).await;
    assert_eq!(code, 409, "{body}");
    assert!(body["msg"].as_str().unwrap().contains("忙碌"), "{body}");
    let (_, q) = s.get("/queue").await;
    assert_eq!(q["data"][0]["userId"], "busy-v2");
    assert_eq!(q["data"][0]["position"], 1);
    assert!(q["data"][0]["waitingSeconds"].as_i64().is_some());
    s.post("/agents/presence", json!({"kfId": "busy-a", "presence": "online"})).await;
    assert_eq!(a.recv_until(status(2)).await["data"]["id"], "busy-v2", "offered the moment the agent is back");
    // Bad presence and acting for another agent are refused.
    assert_eq!(s.post("/agents/presence", json!({"kfId": "busy-a", "presence": "asleep"})).await.0, 400);
    assert_eq!(s.post_as("busy-b", "/agents/presence", json!({"kfId": "busy-a", "presence": "away"})).await.0, 403);
}

#[tokio::test]
async fn a_per_agent_cap_limits_offers_and_raising_it_offers_the_queue() {
    let s = Server::start().await;
    assert_eq!(s.post_as(SUPERVISOR, "/agents/capacity", json!({"kfId": "nobody-at-all", "maxConversations": 1})).await.0, 404);
    let (mut a, _v1) = assigned(&s, "capped", "capped-v1").await;
    let (code, _) = s.post_as(SUPERVISOR, "/agents/capacity", json!({"kfId": "capped", "maxConversations": 1})).await;
    assert_eq!(code, 200);
    let _v2 = s.visitor("capped-v2", "V").await;
    a.silent(300).await;
    let (code, _) = s.post_as(SUPERVISOR, "/agents/capacity", json!({"kfId": "capped", "maxConversations": 2})).await;
    assert_eq!(code, 200);
    assert_eq!(a.recv_until(status(2)).await["data"]["id"], "capped-v2");
    // Only supervisors set caps, and only sensible ones.
    assert_eq!(s.post_as("capped", "/agents/capacity", json!({"kfId": "capped", "maxConversations": 99})).await.0, 403);
    assert_eq!(s.post_as(SUPERVISOR, "/agents/capacity", json!({"kfId": "capped", "maxConversations": -1})).await.0, 400);
    assert_eq!(s.post_as(SUPERVISOR, "/agents/capacity", json!({"kfId": "capped", "maxConversations": 5000})).await.0, 400);
}

#[tokio::test]
async fn presence_and_caps_survive_reconnects_and_restarts() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path().to_path_buf(), |_| {}).await;
    let mut a = s.agent_with("keeps", &["presence"]).await;
    a.recv_until(presence("online")).await;
    a.send(json!({"respStatus": 102, "presence": "busy"})).await;
    a.recv_until(presence("busy")).await;
    s.post_as(SUPERVISOR, "/agents/capacity", json!({"kfId": "keeps", "maxConversations": 3})).await;
    a.close().await;
    let mut again = s.agent_with("keeps", &["presence"]).await;
    assert_eq!(again.recv_until(status(102)).await["data"], json!({"presence": "busy", "maxConversations": 3}));
    again.close().await;
    s.stop().await;
    let s = Server::start_in(tmp.path().to_path_buf(), |_| {}).await;
    let mut after = s.agent_with("keeps", &["presence"]).await;
    assert_eq!(after.recv_until(status(102)).await["data"], json!({"presence": "busy", "maxConversations": 3}));
    let _v = s.visitor("keeps-v", "V").await;
    after.silent(300).await; // still busy after the restart: no offer
}

#[tokio::test]
async fn offers_say_how_long_the_customer_waited_only_to_agents_that_asked() {
    let s = Server::start().await;
    let mut v = s.visitor("wait-v", "V").await;
    v.recv_until(vstate("waiting")).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut q = s.agent_with("wait-q", &["queue"]).await;
    let offer = q.recv_until(status(2)).await;
    assert!(offer["data"]["waitedMs"].as_i64().unwrap() >= 300, "{offer}");
    // A legacy agent gets exactly the original frames: no waitedMs, no presence frames.
    q.send(json!({"respStatus": 3, "kfId": "wait-q", "userId": "wait-v", "userName": "V"})).await;
    let mut legacy = s.legacy_agent("wait-legacy").await;
    let offer = legacy.recv_until(status(2)).await;
    assert_eq!(offer, json!({"status": 2, "data": {"id": "wait-v", "userName": "V"}}));
    legacy.silent(300).await;
}
