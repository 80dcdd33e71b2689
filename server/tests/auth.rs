//! The attacker suite: agent sockets and API calls without a token, with another agent's, a
//! tampered, forged, expired or signed-out one; a visitor resuming someone else's conversation
//! with the id alone; chat logs without rights; login brute force. Every one is refused, and the
//! legitimate way in still works.

mod support;
use kefu_server::auth::visitor::sign_visitor_id;
use kefu_server::auth::Claims;
use serde_json::{json, Value};
use support::*;
use tokio_tungstenite::tungstenite::Message;

async fn login(s: &Server, kf_id: &str, password: &str) -> (u16, Value) {
    let r = reqwest::Client::new().post(s.http("/auth/login")).json(&json!({"kfId": kf_id, "password": password})).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn get_with(s: &Server, path: &str, token: &str) -> u16 {
    reqwest::Client::new().get(s.http(path)).bearer_auth(token).send().await.unwrap().status().as_u16()
}

async fn socket_status(url: &str) -> String {
    match tokio_tungstenite::connect_async(url).await {
        Ok(_) => "open".into(),
        Err(e) => e.to_string(),
    }
}

/// A token signed with `key` for `claims`.
fn sign(key: &[u8], claims: &Claims) -> String {
    jsonwebtoken::encode(&jsonwebtoken::Header::default(), claims, &jsonwebtoken::EncodingKey::from_secret(key)).unwrap()
}

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

#[tokio::test]
async fn login_answers_in_layim_shape_with_a_token_bound_to_the_agent() {
    let s = Server::start().await;
    let (code, body) = login(&s, "xiaoming", "xiaoming").await;
    assert_eq!((code, body["code"].as_i64()), (200, Some(0)), "{body}");
    let token = body["data"]["token"].as_str().unwrap();
    assert_eq!(body["data"]["kfId"], "xiaoming");
    let r = reqwest::Client::new().get(s.http("/auth/me")).bearer_auth(token).send().await.unwrap();
    let me: Value = r.json().await.unwrap();
    assert_eq!((me["data"]["kfId"].as_str(), me["data"]["role"].as_str()), (Some("xiaoming"), Some("agent")));
    let (code, body) = login(&s, "xiaoming", "wrong").await;
    assert_eq!((code, body["data"].is_null()), (401, true));
}

#[tokio::test]
async fn agent_sockets_and_calls_refuse_missing_foreign_tampered_forged_and_expired_tokens() {
    let s = Server::start().await;
    let mine = s.token("xiaoming").await;
    let theirs = s.token("xiaohong").await;
    let ws = |t: &str| format!("ws://{}/websocket/xiaoming{}", s.base, if t.is_empty() { String::new() } else { format!("?token={t}") });
    // No token.
    assert!(socket_status(&ws("")).await.contains("401"));
    assert_eq!(reqwest::get(s.http("/agents/online")).await.unwrap().status().as_u16(), 401);
    // Another agent's token: no socket as xiaoming, no ending or transferring xiaoming's customers.
    assert!(socket_status(&ws(&theirs)).await.contains("403"));
    assert_eq!(get_with(&s, "/overSession/overUser?kfId=xiaoming&userId=u1", &theirs).await, 403);
    assert_eq!(get_with(&s, "/personalConfig/getInfo?kfId=xiaoming", &theirs).await, 403);
    assert_eq!(get_with(&s, "/personalConfig/getInfo?kfId=xiaoming", &mine).await, 200);
    let r = reqwest::Client::new()
        .post(s.http("/transfer/transferUser"))
        .bearer_auth(&theirs)
        .json(&json!({"kfId": "xiaoming", "userId": "u1", "toKfId": "xiaohong"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    // Tampered: the payload changed to another agent, the signature kept.
    let parts: Vec<&str> = theirs.split('.').collect();
    let claims: Claims = serde_json::from_slice(&base64_url(parts[1])).unwrap();
    let forged_payload = base64_url_encode(&serde_json::to_vec(&Claims { sub: "xiaoming".into(), ..claims.clone() }).unwrap());
    let tampered = [parts[0], &forged_payload, parts[2]].join(".");
    assert!(socket_status(&ws(&tampered)).await.contains("401"));
    // Forged with a key of the attacker's own.
    let forged = sign(b"attacker-key-attacker-key-attack", &Claims { sub: "xiaoming".into(), ..claims.clone() });
    assert!(socket_status(&ws(&forged)).await.contains("401"));
    // Expired, though signed with the server's own key.
    let key = s.token_key();
    let expired = sign(&key, &Claims { sub: "xiaoming".into(), exp: now_secs() - 3600, ..claims });
    assert!(socket_status(&ws(&expired)).await.contains("401"));
    let r = reqwest::Client::new().get(s.http("/agents/online")).bearer_auth(&expired).send().await.unwrap();
    let body: Value = r.json().await.unwrap();
    assert!(body["msg"].as_str().unwrap().contains("expired"), "{body}");
    // The right token works.
    assert_eq!(socket_status(&ws(&mine)).await, "open");
}

#[tokio::test]
async fn signing_out_voids_the_token_and_closes_the_agents_sockets() {
    let s = Server::start().await;
    let token = s.token("xiaoming").await;
    let mut a = s.agent("xiaoming").await;
    let r = reqwest::Client::new().post(s.http("/auth/logout")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    loop {
        match a.next().await {
            Some(Message::Close(Some(f))) => {
                assert_eq!(u16::from(f.code), 4401);
                break;
            }
            Some(_) => continue,
            None => panic!("closed without 4401"),
        }
    }
    assert_eq!(get_with(&s, "/agents/online", &token).await, 401, "a signed-out token is void");
    let (code, _) = login(&s, "xiaoming", "xiaoming").await;
    assert_eq!(code, 200, "signing in again works");
}

#[tokio::test]
async fn a_visitor_id_alone_gets_nothing_and_the_resume_secret_resumes() {
    let s = Server::start().await;
    let mut a = s.agent("kf-owner").await;
    let url = |q: &str| format!("ws://{}/websocket/visitor/victim?userName=V{q}", s.base);
    let mut v = Peer::connect(&url("")).await;
    let first = v.recv().await;
    let secret = first["resume"].as_str().expect("a new id gets its resume secret").to_owned();
    assert_eq!(secret.len(), 32, "128 bits");
    a.recv_until(status(2)).await;
    a.send(json!({"respStatus": 2, "kfId": "kf-owner", "userId": "victim", "userName": "V"})).await;
    v.recv_until(vstate("assigned")).await;
    a.send(json!({"kfId": "kf-owner", "kfName": "O", "userId": "victim", "userName": "V", "content": "寄到 北京市朝阳区 1 号"})).await;
    v.recv_until(|f| f["type"] == "message").await;
    v.close().await;
    // The attacker knows the id (and asks for a replay from the start): refused, nothing replayed.
    for q in ["&lastSeq=0", "&lastSeq=0&resume=00000000000000000000000000000000"] {
        let mut x = Peer::connect(&url(q)).await;
        let mut frames = Vec::new();
        let code = loop {
            match x.next().await {
                Some(Message::Text(t)) => frames.push(t.to_string()),
                Some(Message::Close(f)) => break f.map(|f| u16::from(f.code)),
                Some(_) => continue,
                None => break None,
            }
        };
        assert_eq!(code, Some(4403), "{q}: {frames:?}");
        assert!(frames.iter().all(|f| !f.contains("北京") && !f.contains("\"message\"")), "{frames:?}");
    }
    // Nothing the attacker tried reached the agent as the customer.
    a.silent(300).await;
    // The owner, with the secret, resumes: the replay and sending work.
    let mut back = Peer::connect(&url(&format!("&lastSeq=0&resume={secret}"))).await;
    let m = back.recv_until(|f| f["type"] == "message").await;
    assert!(m["content"].as_str().unwrap().contains("北京"));
    back.send(json!({"type": "message", "content": "谢谢", "msgId": "m1"})).await;
    assert_eq!(a.recv_until(status(1)).await["data"]["content"], "谢谢");
}

#[tokio::test]
async fn a_site_signed_visitor_id_is_checked() {
    let s = Server::start().await;
    let exp = now_secs() + 600;
    let good = sign_visitor_id(kefu_server::config::TEST_VISITOR_ID_SECRET.as_bytes(), "u123", exp);
    let mut v = Peer::connect(&format!("ws://{}/websocket/visitor/u123?sig={good}&exp={exp}", s.base)).await;
    let first = v.recv().await;
    assert_eq!((first["state"].as_str(), first.get("resume")), (Some("waiting"), None));
    let bad = sign_visitor_id(b"not the site key", "u123", exp);
    let mut x = Peer::connect(&format!("ws://{}/websocket/visitor/u123?sig={bad}&exp={exp}", s.base)).await;
    assert_eq!(x.recv().await["type"], "error");
    // The expiry is signed: moving it later breaks the signature.
    let mut x = Peer::connect(&format!("ws://{}/websocket/visitor/u123?sig={good}&exp={}", s.base, exp + 86_400)).await;
    assert_eq!(x.recv().await["type"], "error");
    // Without a site key configured, signatures are refused rather than ignored.
    let plain = Server::start_with(|c| c.visitor_id_secret = None).await;
    let mut y = Peer::connect(&format!("ws://{}/websocket/visitor/u9?sig={good}&exp={exp}", plain.base)).await;
    assert_eq!(y.recv().await["type"], "error");
}

#[tokio::test]
async fn chat_logs_need_a_token_and_the_right_to_read() {
    let s = Server::start().await;
    let mut a = s.agent("served").await;
    let mut v = s.visitor("logged", "L").await;
    a.recv_until(status(2)).await;
    a.send(json!({"respStatus": 2, "kfId": "served", "userId": "logged", "userName": "L"})).await;
    v.recv_until(vstate("assigned")).await;
    let path = "/chatLog/list?userId=logged";
    assert_eq!(reqwest::get(s.http(path)).await.unwrap().status().as_u16(), 401);
    assert_eq!(get_with(&s, path, &s.token("stranger-agent").await).await, 403);
    assert_eq!(get_with(&s, path, &s.token("served").await).await, 200);
    assert_eq!(get_with(&s, path, &s.token(SUPERVISOR).await).await, 200);
    // Adding shared phrases is a supervisor's job.
    let add = |t: String| {
        let r = reqwest::Client::new().post(s.http("/sessionComm/add")).bearer_auth(t).json(&json!({"content": "x"}));
        async move { r.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(add(s.token("served").await).await, 403);
    assert_eq!(add(s.token(SUPERVISOR).await).await, 200);
}

#[tokio::test]
async fn login_brute_force_is_throttled_per_account_and_per_address() {
    let s = Server::start_with(|c| c.open_registration = false).await;
    for _ in 0..5 {
        assert_eq!(login(&s, "xiaoming", "guess").await.0, 401);
    }
    let (code, body) = login(&s, "xiaoming", "xiaoming").await;
    assert_eq!(code, 429, "locked even with the right password: {body}");
    assert_eq!(login(&s, "xiaohong", "xiaohong").await.0, 200, "other accounts are not locked by one");
    // Spraying many accounts from one address locks the address.
    for i in 0..20 {
        login(&s, &format!("nobody{i}"), "guess").await;
    }
    assert_eq!(login(&s, "kf001", "kf001").await.0, 429);
}

#[tokio::test]
async fn insecure_mode_is_an_explicit_choice() {
    let s = Server::start_with(|c| c.insecure_no_auth = true).await;
    let mut p = Peer::connect(&format!("ws://{}/websocket/legacy-demo", s.base)).await;
    assert_eq!(p.recv().await["status"], 100, "legacy demos connect without a token");
}

fn base64_url(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap()
}

fn base64_url_encode(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}
