//! The HTTP API over real requests, including bad ones, and persistence across a restart.

mod support;
use serde_json::json;
use support::*;

#[tokio::test]
async fn personal_info_of_a_seeded_agent_and_clear_errors() {
    let s = Server::start().await;
    let (code, body) = s.get("/personalConfig/getInfo?kfId=xiaoming").await;
    assert_eq!(code, 200);
    assert_eq!((body["code"].as_i64(), body["data"]["name"].as_str()), (Some(0), Some("小明")));
    let (code, body) = s.get_as(SUPERVISOR, "/personalConfig/getInfo?kfId=ghost").await;
    assert_eq!((code, body["code"].as_i64()), (404, Some(404)));
    assert!(body["msg"].as_str().unwrap().contains("ghost"));
    let (code, _) = s.get("/personalConfig/getInfo").await;
    assert_eq!(code, 400);
}

#[tokio::test]
async fn canned_phrases_are_seeded_searchable_and_paged() {
    let s = Server::start().await;
    let (code, body) = s.post("/sessionComm/sessionCommList", json!({"content": "", "page": 1, "pageCount": 999, "source": ""})).await;
    assert_eq!(code, 200);
    let all = body["data"]["total"].as_i64().unwrap();
    assert!(all >= 8, "a useful default set: {all}");
    let (_, body) = s.post("/sessionComm/sessionCommList", json!({"content": "退款", "page": 1, "pageCount": 10, "source": ""})).await;
    let list = body["data"]["list"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert!(list[0]["content"].as_str().unwrap().contains("退款"));
    let (_, p1) = s.post("/sessionComm/sessionCommList", json!({"content": "", "page": 1, "pageCount": 3, "source": ""})).await;
    let (_, p2) = s.post("/sessionComm/sessionCommList", json!({"content": "", "page": 2, "pageCount": 3, "source": ""})).await;
    assert_eq!(p1["data"]["list"].as_array().unwrap().len(), 3);
    assert_ne!(p1["data"]["list"][0]["id"], p2["data"]["list"][0]["id"]);
    // A LIKE wildcard in the search is literal.
    let (_, body) = s.post("/sessionComm/sessionCommList", json!({"content": "%", "page": 1, "pageCount": 10, "source": ""})).await;
    assert_eq!(body["data"]["total"], 0);
    let token = s.token(SUPERVISOR).await;
    let r = reqwest::Client::new().post(s.http("/sessionComm/sessionCommList")).bearer_auth(token).body("{not json").header("content-type", "application/json").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
}

#[tokio::test]
async fn online_agents_lists_who_is_connected() {
    let s = Server::start().await;
    let (_, body) = s.get("/agents/online").await;
    assert_eq!(body["data"], json!([]));
    let _a = s.agent("xiaoming").await;
    let _b = s.agent("xiaohong").await;
    let (_, body) = s.get("/agents/online").await;
    let ids: Vec<&str> = body["data"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec!["xiaohong", "xiaoming"]);
}

async fn conversation(s: &Server, kf: &str, user: &str) -> (Peer, Peer) {
    let mut a = s.agent(kf).await;
    let mut v = s.visitor(user, "访客").await;
    a.recv_until(status(2)).await;
    a.send(json!({"respStatus": 2, "kfId": kf, "userId": user, "userName": "访客"})).await;
    v.recv_until(vstate("assigned")).await;
    (a, v)
}

#[tokio::test]
async fn chat_log_pages_newest_last_and_survives_a_restart() {
    let s = Server::start().await;
    let dir = s.dir.clone();
    {
        let (mut a, mut v) = conversation(&s, "xiaoming", "hist").await;
        for i in 0..5 {
            v.send(json!({"type": "message", "content": format!("q{i}")})).await;
            a.recv().await;
            a.send(json!({"kfId": "xiaoming", "kfName": "小明", "userId": "hist", "userName": "访客", "content": format!("a{i}")})).await;
            v.recv_until(|f| f["type"] == "message").await;
        }
    }
    let (_, body) = s.get("/chatLog/list?userId=hist&page=1&pageCount=4").await;
    let contents: Vec<&str> = body["data"]["list"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(contents, vec!["q3", "a3", "q4", "a4"], "page 1 = the newest, oldest first");
    assert_eq!(body["data"]["total"], 10);
    assert_eq!(body["data"]["list"][3]["sender"], "agent");
    let tmp = s.stop().await;
    let s2 = Server::start_in(dir, |_| {}).await;
    let (_, body) = s2.get("/chatLog/list?userId=hist&page=3&pageCount=4").await;
    let contents: Vec<&str> = body["data"]["list"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(contents, vec!["q0", "a0"]);
    let (code, _) = s2.get("/chatLog/list").await;
    assert_eq!(code, 400);
    drop(tmp);
}

#[tokio::test]
async fn chat_log_pages_back_by_message_and_new_messages_do_not_shift_the_pages() {
    let s = Server::start().await;
    let (code, seeded) = s.post("/test/history?userId=long&kfId=xiaoming&count=45", json!({})).await;
    assert_eq!((code, seeded["data"]["stored"].as_u64()), (200, Some(45)), "{seeded}");
    let texts = |b: &serde_json::Value| -> Vec<u64> {
        b["data"]["list"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap().split(' ').nth(1).unwrap().parse().unwrap()).collect()
    };
    let (_, latest) = s.get_as(SUPERVISOR, "/chatLog/list?userId=long&pageCount=20").await;
    assert_eq!(texts(&latest), (26..=45).collect::<Vec<_>>(), "the latest page, oldest first");
    assert_eq!((latest["data"]["more"].as_bool(), latest["data"]["total"].as_u64()), (Some(true), Some(45)));
    // A message arrives while the reader scrolls back: the next page is where it was.
    s.post("/test/history?userId=long&kfId=xiaoming&count=1", json!({})).await;
    let first = latest["data"]["list"][0]["id"].as_i64().expect("ids in the page");
    let (_, older) = s.get_as(SUPERVISOR, &format!("/chatLog/list?userId=long&pageCount=20&before={first}")).await;
    assert_eq!(texts(&older), (6..=25).collect::<Vec<_>>());
    assert_eq!(older["data"]["more"], true);
    let first = older["data"]["list"][0]["id"].as_i64().unwrap();
    let (_, oldest) = s.get_as(SUPERVISOR, &format!("/chatLog/list?userId=long&pageCount=20&before={first}")).await;
    assert_eq!(texts(&oldest), (1..=5).collect::<Vec<_>>());
    assert_eq!(oldest["data"]["more"], false, "nothing older");
    let (code, _) = s.get_as(SUPERVISOR, "/chatLog/list?userId=long&before=abc").await;
    assert_eq!(code, 400, "a cursor that is not a message id");
    // Another agent's valid token reads no more of it by paging than without.
    assert_eq!(s.get_as("kf001", &format!("/chatLog/list?userId=long&before={first}")).await.0, 403);
}

fn png() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend_from_slice(&[0u8; 64]);
    v
}

async fn upload(s: &Server, name: &str, bytes: Vec<u8>) -> (u16, serde_json::Value) {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
    let form = reqwest::multipart::Form::new().part("file", part);
    let token = s.token("uploader").await;
    let r = reqwest::Client::new().post(s.http("/upload/image")).bearer_auth(token).multipart(form).send().await.unwrap();
    let code = r.status().as_u16();
    (code, r.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn image_upload_is_type_and_size_checked_and_served_safely() {
    let s = Server::start_with(|c| c.max_upload_bytes = 1000).await;
    let (code, body) = upload(&s, "a.png", png()).await;
    assert_eq!((code, body["code"].as_i64()), (200, Some(0)), "{body}");
    let src = body["data"]["src"].as_str().unwrap().to_owned();
    let r = reqwest::get(s.http(&src)).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(r.headers()["content-security-policy"].to_str().unwrap().contains("sandbox"));
    assert_eq!(r.bytes().await.unwrap().to_vec(), png());
    // HTML with an image name is refused by content.
    let (code, body) = upload(&s, "evil.png", b"<script>alert(1)</script>".to_vec()).await;
    assert_eq!(code, 415, "{body}");
    let mut big = png();
    big.resize(2000, 0);
    let (code, _) = upload(&s, "big.png", big).await;
    assert_eq!(code, 413);
}

#[tokio::test]
async fn unknown_api_paths_and_visitor_errors_are_clear() {
    let s = Server::start().await;
    let mut v = s.visitor("ve", "V").await;
    v.recv().await;
    v.send_text("not json").await;
    assert_eq!(v.recv_until(|f| f["type"] == "error").await["type"], "error");
    v.send(json!({"type": "message", "content": "   "})).await;
    assert_eq!(v.recv_until(|f| f["type"] == "error").await["error"], "empty message");
    v.send(json!({"type": "ping"})).await;
    assert_eq!(v.recv_until(|f| f["type"] != "status").await["type"], "pong");
}

#[tokio::test]
async fn phrases_can_be_added() {
    let s = Server::start().await;
    let (code, body) = s.post("/sessionComm/add", json!({"content": "新的常用语", "source": "test"})).await;
    assert_eq!((code, body["code"].as_i64()), (200, Some(0)));
    let (_, body) = s.post("/sessionComm/sessionCommList", json!({"content": "新的", "page": 1, "pageCount": 10, "source": "test"})).await;
    assert_eq!(body["data"]["list"][0]["content"], "新的常用语");
    let (code, _) = s.post("/sessionComm/add", json!({"source": "x"})).await;
    assert_eq!(code, 400);
}

#[tokio::test]
async fn conversations_resume_after_a_restart() {
    let s = Server::start().await;
    let dir = s.dir.clone();
    {
        let (_a, _v) = conversation(&s, "xiaoming", "resume").await;
    }
    let tmp = s.stop().await;
    let s2 = Server::start_in(dir, |_| {}).await;
    let mut v = s2.visitor("resume", "访客").await;
    assert_eq!(v.recv().await["state"], "assigned", "the visitor is still with the same agent");
    v.send(json!({"type": "message", "content": "after restart"})).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut a = s2.agent("xiaoming").await;
    let held = a.recv().await;
    assert_eq!((held["status"].as_i64(), held["data"]["content"].as_str()), (Some(1), Some("after restart")));
    drop(tmp);
}

/// Every refusal, axum's own included, is `{code, msg, data}` with the HTTP status as `code`.
async fn refusal(r: reqwest::Response) -> (u16, serde_json::Value, Option<String>) {
    let code = r.status().as_u16();
    let allow = r.headers().get("allow").map(|v| v.to_str().unwrap().to_owned());
    let text = r.text().await.unwrap();
    let body: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("a {code} refusal that is not JSON: {text}"));
    assert_eq!(body["code"], code, "{body}");
    assert!(body["msg"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    (code, body, allow)
}

#[tokio::test]
async fn every_refusal_is_in_the_apis_shape_and_a_wrong_role_is_told_before_a_bad_body() {
    let s = Server::start().await;
    let http = reqwest::Client::new();
    let (agent, boss) = (s.token("shape-a").await, s.token(SUPERVISOR).await);
    // A query string that does not parse (the extractor's refusal).
    let r = http.get(s.http("/reports/agents?from=soon")).bearer_auth(&boss).send().await.unwrap();
    let (code, body, _) = refusal(r).await;
    assert_eq!(code, 400);
    assert!(body["msg"].as_str().unwrap().contains("from"), "{body}");
    // A broken multipart upload.
    let r = http.post(s.http("/upload/image")).bearer_auth(&agent).header("content-type", "multipart/form-data").body("x").send().await.unwrap();
    assert_eq!(refusal(r).await.0, 400);
    // A wrong method keeps its `Allow`.
    let r = http.get(s.http("/supervisor/whisper")).bearer_auth(&boss).send().await.unwrap();
    let (code, _, allow) = refusal(r).await;
    assert_eq!((code, allow.as_deref()), (405, Some("POST")));
    // The supervisor's endpoints: an agent is refused for who they are, whatever the body says;
    // a supervisor's bad body is a 400 naming it.
    for path in ["/supervisor/whisper", "/supervisor/reassign", "/supervisor/join", "/supervisor/leave", "/supervisor/end", "/agents/capacity"] {
        for bad in ["[1]", "{\"userId\": 5}", "not json"] {
            let r = http.post(s.http(path)).bearer_auth(&agent).header("content-type", "application/json").body(bad).send().await.unwrap();
            assert_eq!(refusal(r).await.0, 403, "{path} {bad}");
            let r = http.post(s.http(path)).bearer_auth(&boss).header("content-type", "application/json").body(bad).send().await.unwrap();
            let (code, body, _) = refusal(r).await;
            assert_eq!(code, 400, "{path} {bad}: {body}");
            if bad == "not json" {
                assert!(body["msg"].as_str().unwrap().starts_with("bad request body"), "{body}");
            }
        }
    }
}
