//! Signed webhooks (issue 26): a receiver on this machine checks every delivery's signature,
//! survives an outage (the first deliveries refused) and sees each event once, in order; the
//! delivery log is the supervisors'; a webhook without a secret is refused at start.

mod support;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use support::*;
use kefu_server::store::outbox::PendingEvent;

#[derive(Default)]
struct Receiver {
    /// Requests still to refuse (the outage).
    refuse: usize,
    /// Requests seen: (event id, event, body verified).
    seen: Vec<(u64, String, bool)>,
}

fn verified(headers: &HeaderMap, body: &str) -> bool {
    let ts = headers.get("x-kefu-timestamp").and_then(|v| v.to_str().ok()).unwrap_or("");
    let sig = headers.get("x-kefu-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    let fresh = ts.parse::<i64>().is_ok_and(|t| (t - kefu_server::hub::now_ms() / 1000).abs() < 300);
    let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
    mac.update(format!("{ts}.{body}").as_bytes());
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    fresh && sig == expected
}

async fn receiver(state: Arc<Mutex<Receiver>>) -> String {
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let state = state.clone();
            async move {
                let mut r = state.lock().unwrap();
                if r.refuse > 0 {
                    r.refuse -= 1;
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                let v: Value = serde_json::from_str(&body).unwrap();
                let ok = verified(&headers, &body) && headers.get("x-kefu-event").and_then(|e| e.to_str().ok()) == v["event"].as_str();
                r.seen.push((v["id"].as_u64().unwrap(), v["event"].as_str().unwrap().to_owned(), ok));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test]
async fn every_event_arrives_signed_once_and_in_order_after_a_receiver_outage() {
    let state = Arc::new(Mutex::new(Receiver { refuse: 3, ..Default::default() }));
    let url = receiver(state.clone()).await;
    let s = Server::start_with(|c| {
        c.webhook_urls = vec![url.clone()];
        c.webhook_secrets = vec!["s3cret".into()];
        c.webhook_retry_ms = 20;
        c.offer_silent_visitors = false;
    })
    .await;
    let mut a = s.agent_with("wh-a", &["ack"]).await;
    let mut v = s.visitor("wh-v", "V").await;
    v.send(json!({"type": "message", "content": "你好", "msgId": "1"})).await;
    a.recv_until(status(2)).await;
    a.send(json!({"respStatus": 2, "userId": "wh-v"})).await;
    v.recv_until(vstate("assigned")).await;
    a.send(json!({"userId": "wh-v", "content": "您好，请讲", "msgId": "a1"})).await;
    a.recv_until(status(101)).await;
    let (code, _) = s.get("/overSession/overUser?kfId=wh-a&userId=wh-v").await;
    assert_eq!(code, 200);
    v.send(json!({"type": "rate", "stars": 5})).await;
    v.recv_until(|f| f["type"] == "rated").await;
    v.send(json!({"type": "leaveMessage", "name": "王", "contact": "1", "content": "再联系"})).await;
    v.recv_until(|f| f["type"] == "left").await;
    let want = ["conversation.started", "message.created", "conversation.assigned", "message.created", "conversation.ended", "conversation.rated", "offline_message.created"];
    for _ in 0..200 {
        if state.lock().unwrap().seen.len() >= want.len() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await; // a duplicate would be here by now
    let seen = state.lock().unwrap().seen.clone();
    let events: Vec<&str> = seen.iter().map(|(_, e, _)| e.as_str()).collect();
    assert_eq!(events, want, "each once, in order");
    assert!(seen.iter().all(|(_, _, ok)| *ok), "every signature checks out: {seen:?}");
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "ids ascend: {seen:?}");

    let (code, log) = s.get_as(SUPERVISOR, "/webhooks/deliveries").await;
    assert_eq!(code, 200);
    let list = log["data"]["list"].as_array().unwrap();
    assert_eq!(list.iter().filter(|a| a["outcome"] == "retrying").count(), 3, "the outage: {log}");
    assert_eq!(list.iter().filter(|a| a["outcome"] == "delivered").count(), want.len());
    let (code, _) = s.get_as("wh-a", "/webhooks/deliveries").await;
    assert_eq!(code, 403, "an agent's valid token is not enough");
}

#[test]
fn a_webhook_without_a_secret_or_with_a_bad_url_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = kefu_server::Config::for_tests(dir.path().to_path_buf());
    c.webhook_urls = vec!["http://127.0.0.1:9/hook".into()];
    let e = kefu_server::state(c.clone()).err().expect("refused");
    assert!(e.to_string().contains("--webhook-secret"), "{e}");
    c.webhook_secrets = vec!["x".into()];
    c.webhook_urls = vec!["ftp://x/y".into()];
    assert!(kefu_server::state(c).err().expect("refused").to_string().contains("http(s)"));
}

/// Events a receiver has not taken yet outlive the server: kept in the store's outbox, they are
/// sent after a restart, once each, in order, with the ids they had, and the outbox ends empty.
#[tokio::test]
async fn pending_events_are_sent_after_a_restart_once_and_in_order() {
    let state = Arc::new(Mutex::new(Receiver { refuse: usize::MAX, ..Default::default() }));
    let url = receiver(state.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let tweak = |c: &mut kefu_server::Config| {
        c.webhook_urls = vec![url.clone()];
        c.webhook_secrets = vec!["s3cret".into()];
        c.webhook_retry_ms = 50; // twelve attempts take ~20 s: none is given up during the test
        c.offer_silent_visitors = false;
    };
    let s = Server::start_in(dir.path().to_path_buf(), tweak).await;
    let mut a = s.agent_with("wh-r", &["ack"]).await;
    let mut v = s.visitor("wh-rv", "V").await;
    v.send(json!({"type": "message", "content": "在吗", "msgId": "1"})).await;
    a.recv_until(status(2)).await;
    a.send(json!({"respStatus": 2, "userId": "wh-rv"})).await;
    v.recv_until(vstate("assigned")).await;
    a.send(json!({"userId": "wh-rv", "content": "在的", "msgId": "a1"})).await;
    a.recv_until(status(101)).await;
    let want = ["conversation.started", "message.created", "conversation.assigned", "message.created"];
    let mut kept = Vec::new();
    for _ in 0..200 {
        kept = s.hub.store().outbox_pending(&url).unwrap();
        if kept.len() >= want.len() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let kept_events: Vec<&str> = kept.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(kept_events, want, "kept in the outbox while the receiver is down");
    assert!(state.lock().unwrap().seen.is_empty());
    a.close().await;
    v.close().await;
    s.stop().await;

    state.lock().unwrap().refuse = 0; // the receiver is back
    let s = Server::start_in(dir.path().to_path_buf(), tweak).await;
    for _ in 0..200 {
        if state.lock().unwrap().seen.len() >= want.len() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await; // a duplicate would be here by now
    let seen = state.lock().unwrap().seen.clone();
    let ids: Vec<u64> = seen.iter().map(|(id, _, _)| *id).collect();
    assert_eq!(ids, kept.iter().map(|e| e.id).collect::<Vec<_>>(), "the events kept, once each, in order: {seen:?}");
    assert!(seen.iter().all(|(_, _, ok)| *ok), "signed: {seen:?}");
    let mut left = usize::MAX;
    for _ in 0..100 {
        left = s.hub.store().outbox_pending(&url).unwrap().len();
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(left, 0, "delivered events leave the outbox");
    s.stop().await;
}

/// The outbox's own rules: an event is kept once; a receiver taken out of the configuration loses
/// its events (they would never be sent), the others keep theirs; delivered events go in order; the
/// retention period removes old ones.
#[tokio::test]
async fn a_receiver_removed_from_the_configuration_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_in(dir.path().to_path_buf(), |_| {}).await;
    let store = s.hub.store_arc();
    let ev = |id: u64| PendingEvent { id, event: "message.created".into(), body: format!("{{\"id\":{id}}}"), user_id: Some("v".into()), created_at: 1 };
    store.outbox_keep("http://127.0.0.1:9/old", &[ev(1), ev(2)]).unwrap();
    store.outbox_keep("http://127.0.0.1:9/kept", &[ev(3)]).unwrap();
    store.outbox_keep("http://127.0.0.1:9/kept", &[ev(3)]).unwrap(); // kept once
    assert_eq!(store.outbox_pending("http://127.0.0.1:9/kept").unwrap(), vec![ev(3)]);
    assert_eq!(store.outbox_forget_others(&["http://127.0.0.1:9/kept".to_owned()]).unwrap(), 2);
    assert!(store.outbox_pending("http://127.0.0.1:9/old").unwrap().is_empty());
    assert_eq!(store.outbox_pending("http://127.0.0.1:9/kept").unwrap().len(), 1);
    store.outbox_keep("http://127.0.0.1:9/kept", &[ev(4), ev(5)]).unwrap();
    store.outbox_keep("http://127.0.0.1:9/kept", &[ev(6)]).unwrap();
    store.outbox_done("http://127.0.0.1:9/kept", &[3, 4, 6]).unwrap(); // those, not one between
    assert_eq!(store.outbox_pending("http://127.0.0.1:9/kept").unwrap(), vec![ev(5)]);
    store.purge_before(2).unwrap(); // the retention period: events made before it go too
    assert!(store.outbox_pending("http://127.0.0.1:9/kept").unwrap().is_empty());
    s.stop().await;
}

/// An erased customer's events waiting for a receiver go with the rest of them: out of the outbox
/// at once, and never sent when the receiver comes back; the other customers' still are.
#[tokio::test]
async fn an_erased_customers_pending_events_are_never_sent() {
    let state = Arc::new(Mutex::new(Receiver { refuse: usize::MAX, ..Default::default() }));
    let url = receiver(state.clone()).await;
    let s = Server::start_with(|c| {
        c.webhook_urls = vec![url.clone()];
        c.webhook_secrets = vec!["s3cret".into()];
        c.webhook_retry_ms = 50;
    })
    .await;
    let mut gone = s.visitor("wh-gone", "G").await;
    gone.send(json!({"type": "message", "content": "我的手机号 13800000000"})).await;
    let mut stays = s.visitor("wh-stays", "S").await;
    stays.send(json!({"type": "message", "content": "你好"})).await;
    let about = |who: &str| s.hub.store().outbox_pending(&url).unwrap().into_iter().filter(|e| e.user_id.as_deref() == Some(who)).count();
    for _ in 0..200 {
        if about("wh-gone") >= 1 && about("wh-stays") >= 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await; // any later event of theirs is kept by now
    let staying = about("wh-stays");
    assert!(about("wh-gone") >= 1 && staying >= 1, "each customer's events are kept while the receiver is down");
    let r = reqwest::Client::new().delete(s.http("/visitors/wh-gone")).bearer_auth(s.token(SUPERVISOR).await).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(about("wh-gone"), 0, "out of the outbox with the rest of the customer");
    assert!(s.hub.store().outbox_pending(&url).unwrap().iter().all(|e| !e.body.contains("13800000000")));
    state.lock().unwrap().refuse = 0;
    for _ in 0..200 {
        if state.lock().unwrap().seen.len() >= staying {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let seen = state.lock().unwrap().seen.clone();
    assert_eq!(seen.len(), staying, "only the customer who stays: {seen:?}");
    let (_, log) = s.get_as(SUPERVISOR, "/webhooks/deliveries").await;
    let delivered: Vec<u64> = log["data"]["list"].as_array().unwrap().iter().filter(|a| a["outcome"] == "delivered").map(|a| a["id"].as_u64().unwrap()).collect();
    assert_eq!(delivered, seen.iter().map(|(id, _, _)| *id).collect::<Vec<_>>());
}
