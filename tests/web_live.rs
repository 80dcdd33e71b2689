//! Headless-Chrome suite against the real reference server: the wasm shell end to end. The
//! server's base URL is baked in at build time from `KEFU_TEST_SERVER`, so a plain
//! `wasm-pack test --headless --chrome` reports these as ignored; `scripts/test-web.sh` starts a
//! server and runs them (`scripts/test.sh` does too). `web_fake.rs` covers the session without one.
#![cfg(target_arch = "wasm32")]

mod web_common;

use js_sys::Reflect;
use kefu_agent::web::AgentSession;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_common::*;

wasm_bindgen_test_configure!(run_in_browser);

// A runtime message beats env!'s compile error for someone running these without a server.
#[allow(clippy::option_env_unwrap)]
fn server() -> &'static str {
    option_env!("KEFU_TEST_SERVER").expect("build with KEFU_TEST_SERVER=http://127.0.0.1:PORT: run scripts/test-web.sh")
}

async fn push(kf_id: &str, frame: &str) {
    let url = format!("{}/test/agent-frame?kfId={}", server(), String::from(js_sys::encode_uri_component(kf_id)));
    let status = JsFuture::from(post(&url, frame)).await.unwrap();
    assert_eq!(status.as_f64(), Some(200.0), "push to {kf_id}");
}

/// A config for agent `kf_id`, signed in: the token goes in the server URL's query.
async fn config(kf_id: &str, extra: &[(&str, JsValue)]) -> JsValue {
    let token = JsFuture::from(login(server(), kf_id)).await.unwrap().as_string().unwrap();
    let url = format!("{}/?token={token}", server());
    let mut pairs = vec![("serverUrl", url.into()), ("kfId", kf_id.into()), ("logLevel", "debug".into())];
    pairs.extend(extra.iter().cloned());
    obj(&pairs)
}

async fn session(kf_id: &str, extra: &[(&str, JsValue)]) -> (AgentSession, JsValue) {
    session_with(config(kf_id, extra).await)
}

#[wasm_bindgen_test]
#[ignore = "needs the reference server: scripts/test-web.sh runs it"]
async fn connects_negotiates_and_dispatches_every_status_to_hooks() {
    let (s, hooks) = session("web-dispatch", &[]).await;
    s.connect();
    assert!(reach(&s, "open", 5000.0).await, "states: {}", states(&hooks));
    assert!(ok(wait_hook(&hooks, "onExtensions", 1, 3000)).await);
    let k = "web-dispatch";
    push(k, r#"{"status":1,"data":{"userId":"c1","userName":"<img src=x onerror=alert(1)>","kfId":"web-dispatch","content":"hi","createTime":1700000000000}}"#).await;
    push(k, r#"{"status":2,"data":{"id":"c2","userName":"Waiter"}}"#).await;
    push(k, r#"{"status":2,"data":{"id":7,"userName":"Second"}}"#).await;
    push(k, r#"{"status":4,"data":{"id":"c4","userName":"Moved","fromKfId":"other"}}"#).await;
    push(k, r#"{"status":5,"data":{"id":"c5","userName":"Back"}}"#).await;
    push(k, r#"{"status":9}"#).await;
    push(k, "this is not json").await;
    push(k, r#"{"status":42}"#).await;
    assert!(ok(wait_hook(&hooks, "onFrameRejected", 2, 3000)).await);
    let m = last(&hooks, "onMessage");
    assert_eq!(get(&m, "userName").as_string().unwrap(), "<img src=x onerror=alert(1)>");
    assert_eq!(get(&m, "createTime").as_f64(), Some(1_700_000_000_000.0));
    assert_eq!(count(&hooks, "onCustomerWaiting"), 2);
    assert_eq!(get(&last(&hooks, "onCustomerWaiting"), "waiting").as_f64(), Some(2.0));
    assert_eq!(get(&last(&hooks, "onCustomerWaiting"), "id").as_f64(), Some(7.0), "numeric ids stay numbers");
    let t = last(&hooks, "onTransferRequest");
    assert_eq!(get(&get(&t, "data"), "fromKfId").as_string().as_deref(), Some("other"));
    assert_eq!(get(&last(&hooks, "onTransferRejected"), "id").as_string().as_deref(), Some("c5"));
    assert!(count(&hooks, "onHeartbeat") >= 1);
    assert_eq!(get(&last(&hooks, "onFrameRejected"), "reason").as_string().as_deref(), Some("unknown-status"));
    assert_eq!(js_sys::Array::from(&s.waiting().into()).length(), 2);
    // Answers act on the named customer; unknown ones throw coded errors.
    s.accept_customer(JsValue::from(7).unchecked_into()).unwrap();
    assert_eq!(js_sys::Array::from(&s.waiting().into()).length(), 1);
    assert_eq!(error_code(s.accept_customer(JsValue::from("nobody").unchecked_into()).unwrap_err()), "UNKNOWN_CUSTOMER");
    assert_eq!(error_code(s.reject_transfer(JsValue::from("nobody").unchecked_into()).unwrap_err()), "UNKNOWN_TRANSFER");
    s.reject_transfer(JsValue::from("c4").unchecked_into()).unwrap();
    assert_eq!(s.state().as_string().as_deref(), Some("open"), "bad frames leave the session up");
    s.close();
}

#[wasm_bindgen_test]
#[ignore = "needs the reference server: scripts/test-web.sh runs it"]
async fn heartbeat_pings_on_silence_and_the_server_answers() {
    let (s, hooks) = session("web-hb", &[("heartbeatMs", 150.into()), ("heartbeatTimeoutMs", 1000.into())]).await;
    s.connect();
    assert!(reach(&s, "open", 5000.0).await);
    assert!(ok(wait_hook(&hooks, "onHeartbeat", 3, 3000)).await, "pings answered: {}", count(&hooks, "onHeartbeat"));
    let pings = get(&s.stats().into(), "pingsSent").as_f64().unwrap();
    assert!(pings >= 3.0);
    assert_eq!(get(&s.stats().into(), "socketsOpened").as_f64(), Some(1.0), "no reconnect while answered");
    s.close();
}

#[wasm_bindgen_test]
#[ignore = "needs the reference server: scripts/test-web.sh runs it"]
async fn unanswered_heartbeat_closes_and_reconnects() {
    let (s, hooks) = session("web-stall", &[("heartbeatMs", 150.into()), ("heartbeatTimeoutMs", 150.into()), ("reconnectMs", 100.into())]).await;
    s.connect();
    assert!(reach(&s, "open", 5000.0).await);
    let status = JsFuture::from(post(&format!("{}/test/stall?ms=600", server()), "")).await.unwrap();
    assert_eq!(status.as_f64(), Some(200.0));
    assert!(reach(&s, "reconnecting", 3000.0).await, "states: {}", states(&hooks));
    assert!(reach(&s, "open", 5000.0).await, "states: {}", states(&hooks));
    assert!(get(&s.stats().into(), "socketsOpened").as_f64().unwrap() >= 2.0);
    s.close();
}

#[wasm_bindgen_test]
#[ignore = "needs the reference server: scripts/test-web.sh runs it"]
async fn a_dropped_socket_reconnects_after_the_delay_and_close_never_does() {
    let (s, hooks) = session("web-drop", &[("reconnectMs", 200.into())]).await;
    s.connect();
    assert!(reach(&s, "open", 5000.0).await);
    let status = JsFuture::from(post(&format!("{}/test/drop-agent?kfId=web-drop", server()), "")).await.unwrap();
    assert_eq!(status.as_f64(), Some(200.0));
    assert!(reach(&s, "reconnecting", 3000.0).await);
    assert!(reach(&s, "open", 5000.0).await, "states: {}", states(&hooks));
    s.close();
    assert_eq!(s.state().as_string().as_deref(), Some("closed"));
    pause(600).await;
    assert_eq!(s.state().as_string().as_deref(), Some("closed"));
    assert_eq!(get(&s.stats().into(), "socketsOpened").as_f64(), Some(2.0));
    assert!(states(&hooks).ends_with("open,closed"), "{}", states(&hooks));
}

#[wasm_bindgen_test]
#[ignore = "needs the reference server: scripts/test-web.sh runs it"]
async fn messages_typed_while_closed_are_held_and_reach_the_customer_on_reconnect() {
    let (s, hooks) = session("web-held", &[]).await;
    s.connect();
    assert!(reach(&s, "open", 5000.0).await);
    let v = visitor(server(), "web-held-customer", "访客");
    assert!(ok(wait_hook(&hooks, "onCustomerWaiting", 1, 3000)).await);
    s.accept_customer(JsValue::from("web-held-customer").unchecked_into()).unwrap();
    s.close();
    for text in ["one", "two", "three"] {
        let m = obj(&[("userId", "web-held-customer".into()), ("userName", "访客".into()), ("content", text.into())]);
        s.send(m.unchecked_into()).unwrap();
    }
    assert_eq!(s.held_count(), 3);
    assert_eq!(get(&last(&hooks, "onMessageStatus"), "status").as_string().as_deref(), Some("held"));
    s.connect();
    assert!(reach(&s, "open", 5000.0).await);
    // Held messages go out once the server's hello has been answered (just after opening).
    let until = js_sys::Date::now() + 3000.0;
    while s.held_count() > 0 && js_sys::Date::now() < until {
        pause(10).await;
    }
    assert_eq!(s.held_count(), 0);
    let deadline = js_sys::Date::now() + 5000.0;
    while visitor_messages(&v) != "one|two|three" && js_sys::Date::now() < deadline {
        pause(20).await;
    }
    assert!(visitor_assigned(&v) && visitor_open(&v));
    assert_eq!(visitor_messages(&v), "one|two|three");
    // And the customer's reply comes back as status 1.
    visitor_send(&v, "thanks");
    assert!(ok(wait_hook(&hooks, "onMessage", 1, 3000)).await);
    assert_eq!(get(&last(&hooks, "onMessage"), "content").as_string().as_deref(), Some("thanks"));
    let bad = s.send(obj(&[("content", "x".into())]).unchecked_into()).unwrap_err();
    assert_eq!(error_code(bad), "INVALID_ARGUMENT");
    s.close();
}

#[wasm_bindgen_test]
#[ignore = "needs the reference server: scripts/test-web.sh runs it"]
async fn a_hook_that_calls_back_into_the_session_is_safe() {
    // onCustomerWaiting accepts at once, re-entering the session from inside its own dispatch.
    let hooks = hooks();
    let cfg = config("web-reentry", &[]).await;
    let s = std::rc::Rc::new(AgentSession::new(cfg.unchecked_into(), Some(hooks.clone().unchecked_into())).unwrap());
    let s2 = std::rc::Rc::downgrade(&s);
    let cb = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        if let Some(s) = s2.upgrade() {
            s.accept_customer(get(&e, "id").unchecked_into()).unwrap();
        }
    });
    Reflect::set(&hooks, &"onCustomerWaiting".into(), cb.as_ref()).unwrap();
    s.connect();
    assert!(reach(&s, "open", 5000.0).await);
    let v = visitor(server(), "web-reentry-customer", "R");
    let deadline = js_sys::Date::now() + 5000.0;
    while !visitor_assigned(&v) && js_sys::Date::now() < deadline {
        pause(20).await;
    }
    assert!(visitor_assigned(&v), "accepted from inside the hook");
    assert_eq!(js_sys::Array::from(&s.waiting().into()).length(), 0);
    s.close();
    drop(cb);
}
