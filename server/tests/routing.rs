//! Routing over real sockets: assignment, decline, queueing, transfers, ending, heartbeat, grace.

mod support;
use serde_json::json;
use support::*;

#[tokio::test]
async fn visitor_is_offered_accepted_and_messages_flow_both_ways() {
    let s = Server::start().await;
    let mut a = s.agent("xiaoming").await;
    let mut v = s.visitor("u1", "张三").await;
    assert_eq!(v.recv().await["state"], "waiting");
    let offer = a.recv().await;
    assert_eq!(offer, json!({"status": 2, "data": {"id": "u1", "userName": "张三"}}));
    a.send(json!({"respStatus": 2, "kfId": "xiaoming", "userId": "u1", "userName": "张三"})).await;
    let assigned = v.recv_until(vstate("assigned")).await;
    assert_eq!(assigned["kfId"], "xiaoming");
    v.send(json!({"type": "message", "content": "你好"})).await;
    let m = a.recv().await;
    assert_eq!(m["status"], 1);
    let d = &m["data"];
    assert_eq!((d["userId"].as_str(), d["userName"].as_str(), d["kfId"].as_str(), d["content"].as_str()), (Some("u1"), Some("张三"), Some("xiaoming"), Some("你好")));
    assert!(d["createTime"].as_i64().unwrap() > 1_600_000_000_000);
    a.send(json!({"kfId": "xiaoming", "kfName": "小明", "userId": "u1", "userName": "张三", "content": "您好！"})).await;
    let r = v.recv().await;
    assert_eq!((r["type"].as_str(), r["content"].as_str(), r["kfId"].as_str()), (Some("message"), Some("您好！"), Some("xiaoming")));
}

#[tokio::test]
async fn decline_offers_the_customer_to_the_next_agent() {
    let s = Server::start().await;
    let mut a = s.agent("a1").await;
    let mut b = s.agent("b1").await;
    let _v = s.visitor("u2", "V").await;
    // Least busy, then alphabetical: a1 first.
    assert_eq!(a.recv().await["status"], 2);
    b.silent(200).await;
    a.send(json!({"respStatus": 3, "kfId": "a1", "userId": "u2", "userName": "V"})).await;
    assert_eq!(b.recv().await["data"]["id"], "u2");
    // Everyone declined: the visitor waits and is told so.
    b.send(json!({"respStatus": 3, "kfId": "b1", "userId": "u2", "userName": "V"})).await;
    a.silent(200).await;
}

#[tokio::test]
async fn with_nobody_online_the_visitor_waits_and_nothing_they_write_is_lost() {
    let s = Server::start().await;
    let mut v = s.visitor("u3", "V").await;
    assert_eq!(v.recv().await["state"], "waiting", "queued all the same");
    let w = v.recv_until(|f| f["type"] == "offline").await;
    assert!(w["text"].as_str().unwrap().contains("留言"), "and offered to leave a message: {w}");
    v.send(json!({"type": "message", "content": "有人吗"})).await;
    v.send(json!({"type": "message", "content": "第二条"})).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut a = s.agent("late").await;
    assert_eq!(a.recv().await["data"]["id"], "u3");
    a.send(json!({"respStatus": 2, "kfId": "late", "userId": "u3", "userName": "V"})).await;
    assert_eq!(a.recv().await["data"]["content"], "有人吗");
    assert_eq!(a.recv().await["data"]["content"], "第二条");
}

#[tokio::test]
async fn transfer_accepted_moves_the_conversation() {
    let s = Server::start().await;
    let mut a = s.agent("ta").await;
    let mut v = s.visitor("u4", "V").await;
    a.recv().await;
    a.send(json!({"respStatus": 2, "kfId": "ta", "userId": "u4", "userName": "V"})).await;
    v.recv_until(vstate("assigned")).await;
    let mut b = s.agent("tb").await;
    let (code, body) = s.post("/transfer/transferUser", json!({"kfId": "ta", "userId": "u4", "toKfId": "tb"})).await;
    assert_eq!((code, body["code"].as_i64()), (200, Some(0)), "{body}");
    let t = b.recv().await;
    assert_eq!((t["status"].as_i64(), t["data"]["id"].as_str(), t["data"]["fromKfId"].as_str()), (Some(4), Some("u4"), Some("ta")));
    b.send(json!({"respStatus": 4, "userId": "u4", "kfId": "tb"})).await;
    let moved = v.recv_until(vstate("assigned")).await;
    assert_eq!(moved["kfId"], "tb");
    v.send(json!({"type": "message", "content": "after"})).await;
    assert_eq!(b.recv().await["data"]["content"], "after");
    a.silent(200).await;
}

#[tokio::test]
async fn transfer_refused_keeps_the_conversation_and_tells_the_first_agent() {
    let s = Server::start().await;
    let mut a = s.agent("ra").await;
    let mut v = s.visitor("u5", "小五").await;
    a.recv().await;
    a.send(json!({"respStatus": 2, "kfId": "ra", "userId": "u5", "userName": "小五"})).await;
    v.recv_until(vstate("assigned")).await;
    let mut b = s.agent("rb").await;
    s.post("/transfer/transferUser", json!({"kfId": "ra", "userId": "u5", "toKfId": "rb"})).await;
    assert_eq!(b.recv().await["status"], 4);
    b.send(json!({"respStatus": 5, "userId": "u5"})).await;
    assert_eq!(a.recv().await, json!({"status": 5, "data": {"id": "u5", "userName": "小五"}}));
    v.send(json!({"type": "message", "content": "still here"})).await;
    assert_eq!(a.recv().await["data"]["content"], "still here");
}

#[tokio::test]
async fn transfer_to_an_offline_or_busy_agent_fails_clearly() {
    let s = Server::start_with(|c| c.max_conversations = 1).await;
    let mut a = s.agent("fa").await;
    let mut v = s.visitor("u6", "V").await;
    a.recv().await;
    a.send(json!({"respStatus": 2, "kfId": "fa", "userId": "u6", "userName": "V"})).await;
    v.recv_until(vstate("assigned")).await;
    let (code, body) = s.post("/transfer/transferUser", json!({"kfId": "fa", "userId": "u6", "toKfId": "nobody"})).await;
    assert_eq!(code, 409);
    assert!(body["msg"].as_str().unwrap().contains("不在线"), "{body}");
    // fb is online but already at its limit of one conversation.
    let mut b = s.agent("fb").await;
    let mut v2 = s.visitor("u7", "V2").await;
    let offer = b.recv_until(status(2)).await;
    assert_eq!(offer["data"]["id"], "u7");
    b.send(json!({"respStatus": 2, "kfId": "fb", "userId": "u7", "userName": "V2"})).await;
    v2.recv_until(vstate("assigned")).await;
    let (code, body) = s.post("/transfer/transferUser", json!({"kfId": "fa", "userId": "u6", "toKfId": "fb"})).await;
    assert_eq!(code, 409);
    assert!(body["msg"].as_str().unwrap().contains("忙碌"), "{body}");
    let (code, _) = s.post("/transfer/transferUser", json!({"kfId": "fa", "userId": "u6"})).await;
    assert_eq!(code, 400);
}

#[tokio::test]
async fn ending_a_conversation_tells_the_visitor() {
    let s = Server::start().await;
    let mut a = s.agent("ea").await;
    let mut v = s.visitor("u8", "V").await;
    a.recv().await;
    a.send(json!({"respStatus": 2, "kfId": "ea", "userId": "u8", "userName": "V"})).await;
    v.recv_until(vstate("assigned")).await;
    let (code, body) = s.get("/overSession/overUser?kfId=ea&userId=u8").await;
    assert_eq!((code, body["code"].as_i64(), body["msg"].as_str()), (200, Some(0), Some("会话已结束")));
    v.recv_until(vstate("ended")).await;
    let (code, body) = s.get("/overSession/overUser?kfId=ea&userId=u8").await;
    assert_eq!(code, 409, "{body}");
    let (code, _) = s.get("/overSession/overUser?kfId=ea&userId=nobody").await;
    assert_eq!(code, 404);
    let (code, _) = s.get("/overSession/overUser?kfId=ea").await;
    assert_eq!(code, 400);
}

#[tokio::test]
async fn every_ping_is_answered_at_once_and_bad_frames_leave_the_socket_up() {
    let s = Server::start().await;
    let mut a = s.agent("hb").await;
    for bad in ["nonsense", "[1]", r#"{"respStatus":77}"#, r#"{"respStatus":2}"#, r#"{"content":"x"}"#] {
        a.send_text(bad).await;
    }
    a.send(json!({"respStatus": 9, "kfId": "hb"})).await;
    assert_eq!(a.recv().await, json!({"status": 9}));
    a.send(json!({"respStatus": "9", "kfId": "hb"})).await;
    assert_eq!(a.recv().await, json!({"status": 9}));
}

#[tokio::test]
async fn an_agent_who_drops_resumes_within_the_grace_period_with_held_frames() {
    let s = Server::start_with(|c| c.grace_ms = 5_000).await;
    let mut a = s.agent("ga").await;
    let mut v = s.visitor("u9", "V").await;
    a.recv().await;
    a.send(json!({"respStatus": 2, "kfId": "ga", "userId": "u9", "userName": "V"})).await;
    v.recv_until(vstate("assigned")).await;
    a.close().await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    v.send(json!({"type": "message", "content": "while you were away"})).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut a2 = s.agent("ga").await;
    let held = a2.recv().await;
    assert_eq!((held["status"].as_i64(), held["data"]["content"].as_str()), (Some(1), Some("while you were away")));
    a2.send(json!({"kfId": "ga", "kfName": "ga", "userId": "u9", "userName": "V", "content": "back"})).await;
    assert_eq!(v.recv_until(|f| f["type"] == "message").await["content"], "back");
}

#[tokio::test]
async fn after_the_grace_period_conversations_go_to_another_agent() {
    let s = Server::start_with(|c| c.grace_ms = 300).await;
    let mut a = s.agent("xa").await;
    let mut v = s.visitor("u10", "V").await;
    a.recv().await;
    a.send(json!({"respStatus": 2, "kfId": "xa", "userId": "u10", "userName": "V"})).await;
    v.recv_until(vstate("assigned")).await;
    let mut b = s.agent("xb").await;
    a.close().await;
    let offer = b.recv_until(status(2)).await;
    assert_eq!(offer["data"]["id"], "u10");
}

#[tokio::test]
async fn a_customer_who_left_is_ended_and_never_offered_to_the_next_agent() {
    let s = Server::start_with(|c| c.grace_ms = 300).await;
    let (a, v) = assigned(&s, "la", "left1").await;
    v.close().await; // the customer closes their page
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert_eq!(s.hub.visitor_count(), 0, "gone after the grace period: conversation ended, forgotten");
    let mut b = s.agent("lb").await;
    a.close().await;
    tokio::time::sleep(std::time::Duration::from_millis(700)).await; // the agent's grace period too
    b.silent(300).await; // no ghost is offered
    assert!(s.hub.store().open_conversations().unwrap().is_empty(), "the conversation is ended in the store");
}

#[tokio::test]
async fn a_waiting_customer_without_a_socket_is_offered_only_once_back() {
    let s = Server::start_with(|c| c.grace_ms = 5_000).await;
    let mut v = s.visitor("away1", "V").await;
    v.recv_until(vstate("waiting")).await;
    v.close().await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut a = s.agent("wa").await;
    a.silent(300).await;
    let _back = s.visitor("away1", "V").await;
    assert_eq!(a.recv_until(status(2)).await["data"]["id"], "away1");
}

#[tokio::test]
async fn nobody_is_offered_to_an_agent_at_the_cap_and_the_queue_moves_when_one_frees_up() {
    let s = Server::start_with(|c| c.max_conversations = 1).await;
    let (mut a, _v1) = assigned(&s, "cap-a", "cap1").await;
    let mut v2 = s.visitor("cap2", "V2").await;
    v2.recv_until(|f| f["type"] == "status" && f["text"].as_str().unwrap_or("").contains("客服忙")).await;
    a.silent(300).await; // at the cap: no offer
    let (code, _) = s.get("/overSession/overUser?kfId=cap-a&userId=cap1").await;
    assert_eq!(code, 200);
    assert_eq!(a.recv_until(status(2)).await["data"]["id"], "cap2", "offered the moment the agent frees up");
}

#[tokio::test]
async fn waiting_customers_are_told_their_place_and_an_estimate_from_recent_handling() {
    let s = Server::start_with(|c| c.grace_ms = 200).await;
    let mut v1 = s.visitor("q1", "Q1").await;
    let first = v1.recv().await;
    assert_eq!((first["position"].as_u64(), first["etaSeconds"].is_null()), (Some(1), true), "no history: no estimate");
    let mut v2 = s.visitor("q2", "Q2").await;
    assert_eq!(v2.recv().await["position"], 2);
    let mut v3 = s.visitor("q3", "Q3").await;
    let third = v3.recv().await;
    assert_eq!(third["position"], 3);
    assert!(third["text"].as_str().unwrap().contains("前面还有 2 位"), "{third}");
    v1.close().await; // gone: after the grace period the queue moves up
    // (Each was also told nobody could take them yet, with the same place.)
    v2.recv_until(|f| f["position"] == 1).await;
    v3.recv_until(|f| f["position"] == 2).await;
    // One conversation handled (accepted, then ended): the next estimates use its handling time.
    let mut a = s.agent("qa").await;
    a.recv_until(status(2)).await;
    a.send(json!({"respStatus": 2, "kfId": "qa", "userId": "q2", "userName": "Q2"})).await;
    v2.recv_until(vstate("assigned")).await;
    v3.recv_until(|f| f["position"] == 1).await; // moved up when q2 was accepted
    let (code, _) = s.get("/overSession/overUser?kfId=qa&userId=q2").await;
    assert_eq!(code, 200);
    let mut v4 = s.visitor("q4", "Q4").await;
    let f = v4.recv().await;
    assert!(f["etaSeconds"].as_u64().is_some_and(|e| e >= 1), "an estimate now: {f}");
}

#[tokio::test]
async fn customers_who_come_and_go_are_forgotten() {
    let s = Server::start_with(|c| c.grace_ms = 200).await;
    for i in 0..50 {
        let v = s.visitor(&format!("passing{i}"), "P").await;
        v.close().await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(s.hub.visitor_count(), 0);
}

#[tokio::test]
async fn a_newer_socket_replaces_the_older_one() {
    let s = Server::start().await;
    let mut a1 = s.agent("dup").await;
    let _a2 = s.agent("dup").await;
    match a1.next().await {
        Some(tokio_tungstenite::tungstenite::Message::Close(Some(f))) => assert_eq!(u16::from(f.code), 4409),
        other => panic!("expected close 4409, got {other:?}"),
    }
}

#[tokio::test]
async fn silent_sockets_are_dropped_after_the_idle_timeout() {
    let s = Server::start_with(|c| c.idle_timeout_ms = 300).await;
    let mut a = s.agent("idle").await;
    match a.next().await {
        Some(tokio_tungstenite::tungstenite::Message::Close(Some(f))) => assert_eq!(u16::from(f.code), 4408),
        other => panic!("expected close 4408, got {other:?}"),
    }
}

#[tokio::test]
async fn unknown_agents_are_refused_unless_registration_is_open() {
    let s = Server::start_with(|c| c.open_registration = false).await;
    let r = reqwest::Client::new().post(s.http("/auth/login")).json(&json!({"kfId": "stranger", "password": "stranger"})).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401, "an unknown agent cannot sign in");
    let url = format!("ws://{}/websocket/stranger", s.base);
    let e = tokio_tungstenite::connect_async(&url).await.unwrap_err().to_string();
    assert!(e.contains("401"), "{e}");
    // A seeded agent gets in.
    s.agent("xiaoming").await;
}

#[tokio::test]
async fn oversized_frames_close_with_1009() {
    let s = Server::start_with(|c| c.max_frame_bytes = 1024).await;
    let mut a = s.agent("big").await;
    a.send_text(&"x".repeat(4096)).await;
    match a.next().await {
        Some(tokio_tungstenite::tungstenite::Message::Close(Some(f))) => assert_eq!(u16::from(f.code), 1009),
        None => {} // the library may cut the connection without a close frame
        other => panic!("expected close 1009, got {other:?}"),
    }
}

#[tokio::test]
async fn percent_encoded_and_non_ascii_ids_arrive_intact() {
    let s = Server::start().await;
    let mut a = s.agent("客服%2F1%3F%23").await;
    let (_, online) = s.get("/agents/online").await;
    assert_eq!(online["data"][0]["id"], "客服/1?#");
    let _v = s.visitor("u%2Fx", "V").await;
    assert_eq!(a.recv().await["data"]["id"], "u/x");
}

#[tokio::test]
async fn a_flooding_socket_is_closed_with_a_policy_code() {
    let s = Server::start_with(|c| c.max_msgs_per_sec = 10).await;
    let mut v = s.visitor("flood", "F").await;
    for i in 0..100 {
        let _ = futures_util::SinkExt::send(&mut v.ws, tokio_tungstenite::tungstenite::Message::Text(format!(r#"{{"type":"ping","n":{i}}}"#).into())).await;
    }
    loop {
        match v.next().await {
            Some(tokio_tungstenite::tungstenite::Message::Close(Some(f))) => {
                assert_eq!(u16::from(f.code), 1008);
                break;
            }
            Some(_) => continue,
            None => panic!("closed without the policy code"),
        }
    }
}

#[tokio::test]
async fn the_token_and_origin_allow_list_guard_agents_and_the_api() {
    let s = Server::start_with(|c| c.allowed_origins = vec!["http://console.example".into()]).await;
    let token = s.token("xiaoming").await;
    let get = |path: String, origin: Option<&'static str>| {
        let mut r = reqwest::Client::new().get(s.http(&path));
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        async move { r.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(get("/agents/online".into(), None).await, 401);
    assert_eq!(get(format!("/agents/online?token={token}"), None).await, 200);
    let r = reqwest::Client::new().get(s.http("/agents/online")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(get(format!("/agents/online?token={token}"), Some("http://evil.example")).await, 403);
    assert_eq!(get(format!("/agents/online?token={token}"), Some("http://console.example")).await, 200);
    // Agent sockets need the token; visitor sockets do not (they prove the id another way).
    let e = tokio_tungstenite::connect_async(format!("ws://{}/websocket/xiaoming", s.base)).await.unwrap_err().to_string();
    assert!(e.contains("401"), "{e}");
    let mut a = Peer::connect(&format!("ws://{}/websocket/xiaoming?token={token}", s.base)).await;
    assert_eq!(a.recv().await["status"], 100);
    let _v = s.visitor("anon", "A").await;
}

#[tokio::test]
async fn graceful_shutdown_closes_sockets_with_1001() {
    let s = Server::start().await;
    let mut a = s.agent("bye").await;
    let stopping = tokio::spawn(s.stop());
    let mut code = None;
    while let Some(m) = a.next().await {
        if let tokio_tungstenite::tungstenite::Message::Close(Some(f)) = m {
            code = Some(u16::from(f.code));
            break;
        }
    }
    assert_eq!(code, Some(1001));
    let _ = stopping.await;
}
