//! Headless-Chrome suite: the real wasm shell against the real reference server.
//! The server's base URL is baked in at build time from `KEFU_TEST_SERVER` (scripts/test.sh starts
//! a server with `--test-hooks` on a free port and sets it).
#![cfg(target_arch = "wasm32")]

use js_sys::Reflect;
use kefu_agent::core::{AgentFrame, Scalar};
use kefu_agent::web::AgentSession;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/web_support.js")]
extern "C" {
    fn recorder() -> JsValue;
    fn count(hooks: &JsValue, name: &str) -> u32;
    fn last(hooks: &JsValue, name: &str) -> JsValue;
    fn states(hooks: &JsValue) -> String;
    #[wasm_bindgen(js_name = waitHook)]
    fn wait_hook(hooks: &JsValue, name: &str, n: u32, ms: u32) -> js_sys::Promise;
    fn sleep(ms: u32) -> js_sys::Promise;
    fn post(url: &str, body: &str) -> js_sys::Promise;
    fn visitor(base: &str, user_id: &str, user_name: &str) -> JsValue;
    #[wasm_bindgen(js_name = visitorSend)]
    fn visitor_send(v: &JsValue, content: &str);
    #[wasm_bindgen(js_name = visitorMessages)]
    fn visitor_messages(v: &JsValue) -> String;
    #[wasm_bindgen(js_name = visitorAssigned)]
    fn visitor_assigned(v: &JsValue) -> bool;
    #[wasm_bindgen(js_name = visitorOpen)]
    fn visitor_open(v: &JsValue) -> bool;
    #[wasm_bindgen(js_name = originalFrames)]
    fn original_frames(kf_id: &str, kf_name: &str, wsuser: JsValue, transfer: JsValue, chat: JsValue) -> js_sys::Array;
}

// A runtime message beats env!'s compile error for someone running `wasm-pack test` bare.
#[allow(clippy::option_env_unwrap)]
fn server() -> &'static str {
    option_env!("KEFU_TEST_SERVER").expect("build with KEFU_TEST_SERVER=http://127.0.0.1:PORT (scripts/test.sh does)")
}

async fn ok(p: js_sys::Promise) -> bool {
    JsFuture::from(p).await.unwrap().as_bool().unwrap_or(false)
}

async fn pause(ms: u32) {
    JsFuture::from(sleep(ms)).await.unwrap();
}

/// Polls the session's state until it is `state` or `ms` pass.
async fn reach(s: &AgentSession, state: &str, ms: f64) -> bool {
    let end = js_sys::Date::now() + ms;
    loop {
        if s.state().as_string().as_deref() == Some(state) {
            return true;
        }
        if js_sys::Date::now() > end {
            return false;
        }
        pause(5).await;
    }
}

async fn push(kf_id: &str, frame: &str) {
    let url = format!("{}/test/agent-frame?kfId={}", server(), String::from(js_sys::encode_uri_component(kf_id)));
    let status = JsFuture::from(post(&url, frame)).await.unwrap();
    assert_eq!(status.as_f64(), Some(200.0), "push to {kf_id}");
}

fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &(*k).into(), v).unwrap();
    }
    o.into()
}

fn get(o: &JsValue, k: &str) -> JsValue {
    Reflect::get(o, &k.into()).unwrap()
}

fn config(kf_id: &str, extra: &[(&str, JsValue)]) -> JsValue {
    let mut pairs = vec![("serverUrl", server().into()), ("kfId", kf_id.into()), ("logLevel", "debug".into())];
    pairs.extend(extra.iter().cloned());
    obj(&pairs)
}

fn session(kf_id: &str, extra: &[(&str, JsValue)]) -> (AgentSession, JsValue) {
    let hooks = recorder();
    let s = AgentSession::new(config(kf_id, extra).unchecked_into(), Some(hooks.clone().unchecked_into())).unwrap();
    (s, hooks)
}

fn error_code(e: JsValue) -> String {
    get(&e, "code").as_string().unwrap_or_default()
}

#[wasm_bindgen_test]
fn bad_configs_are_rejected_with_codes_before_any_socket() {
    let bad = [
        obj(&[("serverUrl", "http://h".into())]),
        obj(&[("kfId", "".into())]),
        obj(&[("kfId", "k".into()), ("heartbeatMs", (-5).into())]),
        obj(&[("kfId", "k".into()), ("reconnectMs", 1.5.into())]),
        obj(&[("kfId", "k".into()), ("heartbeatTimout", 5.into())]),
        obj(&[("kfId", "k".into()), ("serverUrl", "ftp://h/".into())]),
        obj(&[("kfId", "k".into()), ("logLevel", "loud".into())]),
        JsValue::from_str("kfId=k"),
    ];
    for cfg in bad {
        let e = AgentSession::new(cfg.clone().unchecked_into(), None).err().expect("rejected");
        assert_eq!(error_code(e.clone()), "INVALID_CONFIG", "{cfg:?}");
        assert_eq!(get(&e, "name").as_string().as_deref(), Some("KefuError"));
        assert!(get(&e, "message").as_string().unwrap().len() > 10);
    }
}

#[wasm_bindgen_test]
fn socket_url_is_built_with_the_browser_url_and_percent_encoding() {
    let cases = [
        ("http://11.11.11.12:9981/", "xiaoming", "ws://11.11.11.12:9981/websocket/xiaoming"),
        ("https://kefu.example/app", "a/b?c#d%客", "wss://kefu.example/app/websocket/a%2Fb%3Fc%23d%25%E5%AE%A2"),
        ("https://kefu.example/app/?token=t1#frag", "k", "wss://kefu.example/app/websocket/k?token=t1"),
        ("ws://h:1", "k", "ws://h:1/websocket/k"),
    ];
    for (base, kf, want) in cases {
        let s = AgentSession::new(obj(&[("serverUrl", base.into()), ("kfId", kf.into())]).unchecked_into(), None).unwrap();
        assert_eq!(s.socket_url(), want);
        assert_eq!(s.state().as_string().as_deref(), Some("idle"));
    }
}

#[wasm_bindgen_test]
fn outgoing_frames_equal_the_original_chat_dialog_js_frame_by_frame() {
    let wsuser = obj(&[("id", 42.into()), ("userName", "张三".into())]);
    let transfer = obj(&[("id", "u9".into()), ("userName", "王五".into())]);
    let chat = obj(&[
        ("mine", obj(&[("id", "xiaoming".into()), ("username", "小明".into()), ("content", "你好 <b>\"x\"</b> face[微笑]".into())])),
        ("to", obj(&[("id", "u1".into()), ("username", "李四".into())])),
    ]);
    let original: Vec<String> =
        original_frames("xiaoming", "小明", wsuser, transfer, chat).iter().map(|v| v.as_string().unwrap()).collect();
    let k = || "xiaoming".to_string();
    let ours = [
        AgentFrame::Accept { kf_id: k(), user_id: Scalar::from(42), user_name: "张三".into() },
        AgentFrame::Decline { kf_id: k(), user_id: Scalar::from(42), user_name: "张三".into() },
        AgentFrame::AcceptTransfer { user_id: "u9".into(), kf_id: k() },
        AgentFrame::RejectTransfer { user_id: "u9".into() },
        AgentFrame::Ping { kf_id: k() },
        AgentFrame::Chat { kf_id: k(), kf_name: "小明".into(), user_id: "u1".into(), user_name: "李四".into(), content: "你好 <b>\"x\"</b> face[微笑]".into(), msg_id: None },
    ];
    assert_eq!(original.len(), ours.len());
    for (o, f) in original.iter().zip(ours.iter()) {
        assert_eq!(&kefu_agent::web::encode_frame(f), o);
    }
}

#[wasm_bindgen_test]
async fn connects_negotiates_and_dispatches_every_status_to_hooks() {
    let (s, hooks) = session("web-dispatch", &[]);
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
async fn heartbeat_pings_on_silence_and_the_server_answers() {
    let (s, hooks) = session("web-hb", &[("heartbeatMs", 150.into()), ("heartbeatTimeoutMs", 1000.into())]);
    s.connect();
    assert!(reach(&s, "open", 5000.0).await);
    assert!(ok(wait_hook(&hooks, "onHeartbeat", 3, 3000)).await, "pings answered: {}", count(&hooks, "onHeartbeat"));
    let pings = get(&s.stats().into(), "pingsSent").as_f64().unwrap();
    assert!(pings >= 3.0);
    assert_eq!(get(&s.stats().into(), "socketsOpened").as_f64(), Some(1.0), "no reconnect while answered");
    s.close();
}

#[wasm_bindgen_test]
async fn unanswered_heartbeat_closes_and_reconnects() {
    let (s, hooks) = session("web-stall", &[("heartbeatMs", 150.into()), ("heartbeatTimeoutMs", 150.into()), ("reconnectMs", 100.into())]);
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
async fn a_dropped_socket_reconnects_after_the_delay_and_close_never_does() {
    let (s, hooks) = session("web-drop", &[("reconnectMs", 200.into())]);
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
async fn messages_typed_while_closed_are_held_and_reach_the_customer_on_reconnect() {
    let (s, hooks) = session("web-held", &[]);
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
async fn a_hook_that_calls_back_into_the_session_is_safe() {
    // onCustomerWaiting accepts at once, re-entering the session from inside its own dispatch.
    let hooks = recorder();
    let cfg = config("web-reentry", &[]);
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
