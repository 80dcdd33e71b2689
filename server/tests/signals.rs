//! The workbench signals over real sockets: typing both ways (the customer's unsent text only with
//! `--sneak-peek` and `peek`), read receipts both ways, the visitor page's context for the agent's
//! panel, and nothing of it for an agent that did not negotiate it.

mod support;
use serde_json::json;
use support::*;

#[tokio::test]
async fn typing_goes_both_ways_and_the_unsent_text_only_with_sneak_peek() {
    let s = Server::start().await;
    let (mut a, mut v) = assigned_with(&s, "ty-a", "ty-v", &["typing", "peek"]).await;
    v.send(json!({"type": "typing", "typing": true, "text": "我想退"})).await;
    assert_eq!(a.recv_until(status(103)).await["data"], json!({"userId": "ty-v", "typing": true}), "no text without --sneak-peek");
    a.send(json!({"respStatus": 103, "userId": "ty-v", "typing": true})).await;
    assert_eq!(v.recv_until(|f| f["type"] == "typing").await["typing"], true);
    a.send(json!({"respStatus": 103, "userId": "ty-v", "typing": false})).await;
    assert_eq!(v.recv_until(|f| f["type"] == "typing").await["typing"], false);

    let s = Server::start_with(|c| c.sneak_peek = true).await;
    let mut a = s.agent_with("peek-a", &["typing", "peek"]).await;
    let mut v = s.visitor("peek-v", "V").await;
    assert_eq!(v.recv().await, json!({"type": "hello", "peek": true}), "the page is told its text may be shown");
    a.recv_until(status(2)).await;
    a.send(json!({"respStatus": 2, "kfId": "peek-a", "userId": "peek-v", "userName": "V"})).await;
    v.recv_until(vstate("assigned")).await;
    v.send(json!({"type": "typing", "typing": true, "text": "我想退<b>货</b>"})).await;
    assert_eq!(a.recv_until(status(103)).await["data"], json!({"userId": "peek-v", "typing": true, "text": "我想退<b>货</b>"}));
}

#[tokio::test]
async fn read_receipts_go_both_ways() {
    let s = Server::start().await;
    let (mut a, mut v) = assigned_with(&s, "rd-a", "rd-v", &["ack", "read"]).await;
    a.send(json!({"kfId": "rd-a", "kfName": "A", "userId": "rd-v", "userName": "V", "content": "您好", "msgId": "page-1"})).await;
    a.recv_until(status(101)).await;
    let seq = loop {
        let f = v.recv_raw().await;
        if f["type"] == "message" {
            break f["seq"].as_u64().unwrap();
        }
    };
    v.send(json!({"type": "read", "seq": seq})).await;
    assert_eq!(a.recv_until(status(104)).await["data"], json!({"userId": "rd-v", "msgIds": ["page-1"]}));
    // The other way: the visitor's message, seen by the agent.
    v.send(json!({"type": "message", "content": "谢谢", "msgId": "v-7"})).await;
    a.recv_until(status(1)).await;
    a.send(json!({"respStatus": 104, "userId": "rd-v"})).await;
    assert_eq!(v.recv_until(|f| f["type"] == "read").await["msgIds"], json!(["v-7"]));
    // Someone else's customer: refused, nothing sent.
    let (_b, mut w) = assigned_with(&s, "rd-b", "rd-w", &["read"]).await;
    a.send(json!({"respStatus": 104, "userId": "rd-w"})).await;
    a.send(json!({"respStatus": 103, "userId": "rd-w", "typing": true})).await;
    w.silent(300).await;
}

#[tokio::test]
async fn an_agent_that_did_not_ask_gets_no_signal() {
    let s = Server::start().await;
    let (mut a, mut v) = assigned_with(&s, "lg-a", "lg-v", &[]).await;
    v.send(json!({"type": "typing", "typing": true})).await;
    a.send(json!({"kfId": "lg-a", "kfName": "A", "userId": "lg-v", "userName": "V", "content": "hi"})).await;
    v.recv_until(|f| f["type"] == "message").await;
    v.send(json!({"type": "read", "seq": 99})).await;
    v.send(json!({"type": "context", "url": "https://shop.example/", "title": "店"})).await;
    a.silent(400).await;
    // Bad signal frames get a clear error and leave the socket up.
    v.send(json!({"type": "typing", "typing": "yes"})).await;
    assert_eq!(v.recv_until(|f| f["type"] == "error").await["type"], "error");
    v.send(json!({"type": "read", "seq": -1})).await;
    assert_eq!(v.recv_until(|f| f["type"] == "error").await["type"], "error");
    v.send(json!({"type": "ping"})).await;
    assert_eq!(v.recv_until(|f| f["type"] == "pong").await["type"], "pong");
}

#[tokio::test]
async fn the_context_panel_shows_what_the_page_reported_to_the_agents_who_serve_them() {
    let s = Server::start().await;
    let (_a, mut v) = assigned_with(&s, "cx-a", "cx-v", &[]).await;
    let hostile = "<img src=x onerror=pwn(1)>\u{202e}";
    v.send(json!({"type": "context", "url": format!("https://shop.example/?q={hostile}"), "title": hostile, "referrer": hostile, "language": "zh-CN"})).await;
    v.send(json!({"type": "ping"})).await;
    v.recv_until(|f| f["type"] == "pong").await;
    let (code, body) = s.get_as("cx-a", "/visitors/context?userId=cx-v").await;
    assert_eq!(code, 200, "{body}");
    let d = &body["data"];
    assert_eq!(d["page"]["title"], hostile);
    assert_eq!(d["page"]["language"], "zh-CN");
    assert_eq!(d["conversations"], 1);
    assert!(d["firstSeen"].as_i64().unwrap() > 1_600_000_000_000);
    assert_eq!(d["connected"], true);
    let (_b, _) = assigned_with(&s, "cx-b", "cx-other", &[]).await;
    assert_eq!(s.get_as("cx-b", "/visitors/context?userId=cx-v").await.0, 403, "not their customer");
    assert_eq!(s.get_as(SUPERVISOR, "/visitors/context?userId=nobody").await.0, 404);
}
