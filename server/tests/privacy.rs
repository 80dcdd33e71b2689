//! What the desk forgets and what it records (issue 26), on SQLite and, with `KEFU_TEST_PG`,
//! PostgreSQL: an erased customer leaves no content behind (messages, conversations, messages
//! left, recall originals, uploads; not found by search); only a supervisor erases or reads the
//! audit log, which keeps who did what and when without content; retention removes what is older
//! than its days and nothing newer.

mod support;
use kefu_server::store::{NewMessage, Sender};
use serde_json::json;
use support::*;

async fn upload(s: &Server, kf: &str) -> String {
    let png = [&b"\x89PNG\r\n\x1a\n"[..], &[0u8; 64]].concat();
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(png).file_name("a.png"));
    let r = reqwest::Client::new().post(s.http("/upload/image")).bearer_auth(s.token(kf).await).multipart(form).send().await.unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    v["data"]["src"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_erased_customer_leaves_no_content_behind_and_the_audit_log_says_who() {
    let s = Server::start().await;
    let (mut a, mut v) = assigned_with(&s, "er-a", "er-v", &["ack", "recall"]).await;
    let src = upload(&s, "er-a").await;
    v.send(json!({"type": "message", "content": "我的手机号 13800000000", "msgId": "1"})).await;
    a.recv_until(status(1)).await;
    a.send(json!({"userId": "er-v", "content": format!("img[{src}]"), "msgId": "a1"})).await;
    a.recv_until(status(101)).await;
    a.send(json!({"userId": "er-v", "content": "地址是 机密路 1 号", "msgId": "a2"})).await;
    a.recv_until(status(101)).await;
    a.send(json!({"respStatus": 110, "userId": "er-v", "msgId": "a2"})).await;
    a.recv_until(status(110)).await;
    v.send(json!({"type": "leaveMessage", "name": "王", "contact": "13800000000", "content": "回电"})).await;
    v.recv_until(|f| f["type"] == "left").await;
    assert_eq!(reqwest::get(s.http(&src)).await.unwrap().status().as_u16(), 200);

    let token = s.token("er-a").await;
    let r = reqwest::Client::new().delete(s.http("/visitors/er-v")).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 403, "an agent's valid token cannot erase");
    let r = reqwest::Client::new().delete(s.http("/visitors/er-v")).bearer_auth(s.token(SUPERVISOR).await).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!((body["data"]["messages"].as_u64(), body["data"]["offlineMessages"].as_u64(), body["data"]["uploads"].as_u64()), (Some(3), Some(1), Some(1)), "{body}");

    // Nothing left: chat log, conversations, search, messages left, recall originals, the upload.
    let (_, log) = s.get_as(SUPERVISOR, "/chatLog/list?userId=er-v").await;
    assert_eq!(log["data"]["total"], 0, "{log}");
    let (_, convs) = s.get_as(SUPERVISOR, "/chatLog/conversations?userId=er-v").await;
    assert_eq!((convs["data"]["list"].as_array().unwrap().len(), convs["data"]["recalls"].as_array().unwrap().len()), (0, 0), "{convs}");
    let (_, found) = s.get_as(SUPERVISOR, "/search?q=13800000000").await;
    assert_eq!(found["data"]["list"].as_array().unwrap().len(), 0, "{found}");
    let (_, left) = s.get_as(SUPERVISOR, "/offlineMessages/list").await;
    assert!(!left.to_string().contains("13800000000"), "{left}");
    assert_eq!(reqwest::get(s.http(&src)).await.unwrap().status().as_u16(), 404, "the upload is gone");
    let gone = v.next().await;
    assert!(matches!(gone, Some(tokio_tungstenite::tungstenite::Message::Close(_)) | None), "their socket is closed: {gone:?}");

    // The audit log: who, what, when, no content; supervisors only.
    let (code, audit) = s.get_as(SUPERVISOR, "/audit").await;
    assert_eq!(code, 200);
    let list = audit["data"]["list"].as_array().unwrap();
    let erase = list.iter().find(|e| e["action"] == "erase").expect("the erasure is recorded");
    assert_eq!((erase["actor"].as_str(), erase["target"].as_str()), (Some(SUPERVISOR), Some("er-v")));
    assert!(list.iter().any(|e| e["action"] == "recall" && e["actor"] == "er-a"), "{audit}");
    assert!(list.iter().any(|e| e["action"] == "sign_in" && e["actor"] == "er-a"), "{audit}");
    assert!(!audit.to_string().contains("13800000000") && !audit.to_string().contains("机密路"), "no content: {audit}");
    let (code, _) = s.get_as("er-a", "/audit").await;
    assert_eq!(code, 403);
}

#[tokio::test]
async fn retention_removes_what_is_older_than_its_days_and_nothing_newer() {
    let s = Server::start().await;
    let day = 24 * 3600 * 1000;
    let now = kefu_server::hub::now_ms();
    for (text, at) in [("四十天前的消息", now - 40 * day), ("昨天的消息", now - day)] {
        let m = NewMessage { user_id: "rt-v", user_name: "V", kf_id: Some("rt-a"), sender: Sender::Visitor, content: text, at_ms: at, client_msg_id: None, deliver_to: None };
        s.hub.store().add_and_deliver(&m).unwrap();
    }
    let mut cfg = kefu_server::Config::for_tests(s.dir.clone());
    if let Ok(url) = std::fs::read_to_string(s.dir.join("pg-store-url")) {
        cfg.store = url;
    }
    cfg.retention_days = 30;
    let removed = kefu_server::privacy_api::retention_pass(&s.hub, &cfg).expect("a pass ran");
    assert_eq!(removed.messages, 1);
    let (_, log) = s.get_as(SUPERVISOR, "/chatLog/list?userId=rt-v").await;
    let texts: Vec<&str> = log["data"]["list"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(texts, vec!["昨天的消息"]);
    let (_, audit) = s.get_as(SUPERVISOR, "/audit").await;
    assert!(audit["data"]["list"].as_array().unwrap().iter().any(|e| e["action"] == "retention" && e["detail"].as_str().unwrap().contains("messages=1")), "{audit}");
    cfg.retention_days = 0;
    assert!(kefu_server::privacy_api::retention_pass(&s.hub, &cfg).is_none(), "0: kept for ever");
}
