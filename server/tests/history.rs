//! A customer's page opened anew (`&history=1`: they moved to another page of the site) shows
//! their conversation: their lines and their agent's, never a note or a whisper, then goes on
//! from the last number it covers, each later message once. Only the customer gets it.

mod support;
use serde_json::{json, Value};
use support::*;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn a_page_opened_anew_gets_its_lines_and_nothing_meant_for_agents() {
    let s = Server::start().await;
    let (mut a, mut v) = assigned_with(&s, "hs-a", "hs-v", &["notes", "recall"]).await;
    v.send(json!({"type": "message", "content": "我的订单呢", "msgId": "p-1"})).await;
    a.recv_until(status(1)).await;
    v.send(json!({"type": "message", "content": "写错了", "msgId": "p-2"})).await;
    a.recv_until(status(1)).await;
    v.send(json!({"type": "recall", "msgId": "p-2"})).await;
    v.recv_until(|f| f["type"] == "recall").await;
    a.send(json!({"kfId": "hs-a", "kfName": "A", "userId": "hs-v", "userName": "V", "content": "马上查"})).await;
    v.recv_until(|f| f["type"] == "message").await;
    a.send(json!({"respStatus": 105, "userId": "hs-v", "content": "内部备注：老客户"})).await;
    let (code, _) = s.post("/supervisor/whisper", json!({"userId": "hs-v", "content": "悄悄话：优先处理"})).await;
    assert_eq!(code, 200);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;

    // The customer opens another page of the site.
    let mut again = Peer::connect(&s.visitor_url("hs-v", "userName=V&history=1")).await;
    let h = again.recv_until(|f| f["type"] == "history").await;
    let lines: Vec<Value> = h["lines"].as_array().unwrap().iter().map(|l| json!([l["from"], l["content"], l["msgId"], l["seq"], l["kfId"]])).collect();
    assert_eq!(
        lines,
        vec![json!(["visitor", "我的订单呢", "p-1", null, null]), json!(["visitor", null, "p-2", null, null]), json!(["agent", "马上查", null, 1, "hs-a"])],
        "{h}"
    );
    assert_eq!(h["lastSeq"], 1);
    assert!(!h.to_string().contains("备注") && !h.to_string().contains("悄悄话"), "nothing meant for agents: {h}");

    // Later messages come after it, numbered on, once each.
    a.send(json!({"kfId": "hs-a", "kfName": "A", "userId": "hs-v", "userName": "V", "content": "查到了"})).await;
    let frames = again.drain_for(400).await;
    let got: Vec<(Value, Value)> = frames.iter().filter(|f| f["type"] == "message").map(|f| (f["content"].clone(), f["seq"].clone())).collect();
    assert_eq!(got, vec![(json!("查到了"), json!(2))], "{frames:?}");
    assert_eq!(frames.iter().filter(|f| f["type"] == "history").count(), 0, "one history frame: {frames:?}");

    // A new customer's history is empty; a stranger naming the id gets no line of it.
    let mut fresh = Peer::connect(&s.visitor_url("hs-new", "userName=N&history=1")).await;
    let frames = fresh.drain_for(300).await;
    assert!(frames.iter().all(|f| f["type"] != "history" || f["lines"] == json!([])), "{frames:?}");
    let mut stranger = Peer::connect(&format!("ws://{}/websocket/visitor/hs-v?history=1", s.base)).await;
    let mut seen = Vec::new();
    while let Some(m) = stranger.next().await {
        match m {
            Message::Text(t) => seen.push(t.to_string()),
            Message::Close(c) => {
                assert_eq!(c.map(|c| u16::from(c.code)), Some(4403));
                break;
            }
            _ => {}
        }
    }
    assert!(seen.iter().all(|t| !t.contains("订单") && !t.contains("history")), "{seen:?}");
}

#[tokio::test]
async fn a_page_opened_anew_while_nobody_can_answer_offers_the_form_again() {
    let s = Server::start().await; // queued on connecting, as the console's tests run it
    let mut v = s.visitor("ho-v", "V").await;
    let first = v.drain_for(300).await;
    assert!(first.iter().any(|f| f["type"] == "offline"), "nobody online: the form {first:?}");
    // Another page of the site: told again, once; a reconnect of the same page is not.
    let mut again = Peer::connect(&s.visitor_url("ho-v", "userName=V&history=1")).await;
    let frames = again.drain_for(300).await;
    assert_eq!(frames.iter().filter(|f| f["type"] == "offline").count(), 1, "{frames:?}");
    let mut same = Peer::connect(&s.visitor_url("ho-v", "userName=V&lastSeq=0")).await;
    let frames = same.drain_for(300).await;
    assert_eq!(frames.iter().filter(|f| f["type"] == "offline").count(), 0, "{frames:?}");
}
