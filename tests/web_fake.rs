//! Headless-Chrome suite that needs no server: the wasm shell against an in-page fake server
//! (`FakeSocket` in `tests/web_support.js`, installed as `WebSocket` for `ws://fake.invalid/…`).
//! It covers config checks, the socket URL, the original's frames, connect and dispatch, the
//! heartbeat and reconnect on real browser timers, held messages, acks and re-entrant hooks.
//! `web_live.rs` runs the same shell against the real reference server.
#![cfg(target_arch = "wasm32")]

mod web_common;

use kefu_agent::core::{AgentFrame, Scalar};
use kefu_agent::web::AgentSession;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;
use web_common::*;

wasm_bindgen_test_configure!(run_in_browser);

const HELLO: &str = r#"{"status":100,"data":{"features":["withdraw","ack","seq"],"epoch":"e1"}}"#;

/// A session on the fake server; `extra` options on top. Returns it with its hooks and the index
/// its first socket will have.
fn fake_session(kf_id: &str, extra: &[(&str, JsValue)]) -> (AgentSession, JsValue, u32) {
    install_fake_sockets();
    let mut pairs = vec![("serverUrl", "http://fake.invalid/".into()), ("kfId", kf_id.into()), ("logLevel", "debug".into())];
    pairs.extend(extra.iter().cloned());
    let (s, hooks) = session_with(obj(&pairs));
    (s, hooks, fake_count())
}

fn lines(i: u32) -> Vec<String> {
    fake_sent(i).lines().map(str::to_string).collect()
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
fn every_option_is_read_by_its_rule_and_a_bad_one_is_named() {
    let all: [(&str, JsValue); 17] = [
        ("kfId", 42.into()),
        ("kfName", "小明".into()),
        ("serverUrl", "https://kefu.example/app".into()),
        ("authToken", "t.1".into()),
        ("heartbeatMs", 1.into()),
        ("heartbeatTimeoutMs", 86_400_000.into()),
        ("reconnectMs", 200.into()),
        ("connectTimeoutMs", 1000.into()),
        ("offlineSend", "fail".into()),
        ("maxHeldMessages", 0.into()),
        ("helloWaitMs", 10.into()),
        ("maxFrameChars", 16.into()),
        ("logLevel", "silent".into()),
        ("watchPage", false.into()),
        ("durableOutbox", false.into()),
        ("shareAcrossTabs", false.into()),
        ("resumeAcrossReloads", false.into()),
    ];
    assert_eq!(all.len(), kefu_agent::contract::OPTIONS.len(), "every option is tried");
    let s = AgentSession::new(obj(&all).unchecked_into(), None).expect("every option at a bound is accepted");
    assert_eq!(s.socket_url(), "wss://kefu.example/app/websocket/42", "a number kfId keeps its spelling");
    assert_eq!(s.kf_name(), "小明");
    let bad: [(&str, JsValue, &str); 12] = [
        ("kfName", 7.into(), "kfName must be a string"),
        ("heartbeatMs", 0.into(), "heartbeatMs must be an integer from 1 to 86400000, got 0"),
        ("heartbeatTimeoutMs", 86_400_001.into(), "heartbeatTimeoutMs must be an integer from 1 to 86400000, got 86400001"),
        ("connectTimeoutMs", "5".into(), "connectTimeoutMs must be an integer from 1 to 86400000, got 5"),
        ("helloWaitMs", f64::NAN.into(), "helloWaitMs must be an integer from 1 to 86400000, got NaN"),
        ("maxHeldMessages", (-1).into(), "maxHeldMessages must be an integer from 0 to 1000000, got -1"),
        ("maxFrameChars", 15.into(), "maxFrameChars must be an integer from 16 to 1073741824, got 15"),
        ("offlineSend", "drop".into(), "offlineSend must be \"hold\" or \"fail\", got \"drop\""),
        ("watchPage", "yes".into(), "watchPage must be a boolean"),
        ("resumeAcrossReloads", 1.into(), "resumeAcrossReloads must be a boolean"),
        ("authToken", "a b".into(), "authToken may hold only letters, digits and !#$%&'*+-.^_`|~"),
        ("serverUrl", "http://[::1".into(), "serverUrl \"http://[::1\" is not a valid URL"),
    ];
    // A config whose getter throws is a coded error too, not a bare exception.
    let throwing = obj(&[("kfId", "k".into())]);
    let getter = Closure::<dyn Fn() -> Result<JsValue, JsValue>>::new(|| Err(js_sys::Error::new("no reading").into()));
    let desc = obj(&[("get", getter.as_ref().clone()), ("enumerable", true.into())]);
    js_sys::Object::define_property(throwing.unchecked_ref::<js_sys::Object>(), &"kfName".into(), desc.unchecked_ref::<js_sys::Object>());
    let e = AgentSession::new(throwing.unchecked_into(), None).err().expect("a throwing getter is refused");
    assert_eq!(error_code(e.clone()), "INVALID_CONFIG");
    assert_eq!(get(&e, "message").as_string().as_deref(), Some("the config could not be read: no reading"));
    for (key, value, message) in bad {
        let mut cfg: Vec<(&str, JsValue)> = vec![("kfId", "k".into()), ("serverUrl", "http://h/".into())];
        cfg.retain(|(k, _)| *k != key);
        cfg.push((key, value));
        let e = AgentSession::new(obj(&cfg).unchecked_into(), None).err().expect(key);
        assert_eq!(error_code(e.clone()), "INVALID_CONFIG", "{key}");
        assert_eq!(get(&e, "message").as_string().as_deref(), Some(message), "{key}");
    }
}

#[wasm_bindgen_test]
fn an_auth_token_travels_as_a_subprotocol_never_in_the_url() {
    let (s, _hooks, i) = fake_session("sub-agent", &[("authToken", "eyJ.a-b_c.d".into())]);
    s.connect();
    assert_eq!(fake_protocols(i), "kefu,kefu.bearer.eyJ.a-b_c.d");
    assert_eq!(fake_url(i), "ws://fake.invalid/websocket/sub-agent", "no token in the URL");
    s.close();
    let (s, _hooks, i) = fake_session("plain-agent", &[]);
    s.connect();
    assert_eq!(fake_protocols(i), "", "no subprotocol without a token: a legacy backend sees the original request");
    s.close();
    for bad in ["has space", "quote\"", "comma,x"] {
        let cfg = obj(&[("kfId", "k".into()), ("authToken", bad.into())]);
        let e = AgentSession::new(cfg.unchecked_into(), None).err().expect("rejected");
        assert_eq!(error_code(e), "INVALID_CONFIG", "{bad}");
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
    let (s, hooks, i) = fake_session("fake-dispatch", &[]);
    s.connect();
    assert_eq!(fake_count(), i + 1, "connect opens one socket");
    assert_eq!(fake_url(i), "ws://fake.invalid/websocket/fake-dispatch");
    assert_eq!(s.state().as_string().as_deref(), Some("connecting"));
    fake_open(i);
    assert_eq!(s.state().as_string().as_deref(), Some("open"));
    fake_frame(i, HELLO);
    assert_eq!(lines(i), [r#"{"respStatus":100,"features":["withdraw","ack","seq"],"lastSeq":0}"#]);
    assert_eq!(count(&hooks, "onExtensions"), 1);
    fake_frame(i, r#"{"status":1,"seq":1,"data":{"userId":"c1","userName":"<img src=x onerror=alert(1)>","content":"hi","createTime":1700000000000}}"#);
    fake_frame(i, r#"{"status":1,"seq":1,"data":{"userId":"c1","content":"a duplicate by seq"}}"#);
    fake_frame(i, r#"{"status":2,"data":{"id":"c2","userName":"Waiter"}}"#);
    fake_frame(i, r#"{"status":2,"data":{"id":7,"userName":"Second"}}"#);
    fake_frame(i, r#"{"status":4,"data":{"id":"c4","userName":"Moved","fromKfId":"other"}}"#);
    fake_frame(i, r#"{"status":5,"data":{"id":"c5","userName":"Back"}}"#);
    fake_frame(i, r#"{"status":3,"data":{"id":"c2","reason":"taken"}}"#);
    fake_frame(i, r#"{"status":9}"#);
    fake_frame(i, "this is not json");
    fake_frame(i, r#"{"status":42}"#);
    assert_eq!(count(&hooks, "onMessage"), 1, "the duplicate is dropped");
    let m = last(&hooks, "onMessage");
    assert_eq!(get(&m, "userName").as_string().unwrap(), "<img src=x onerror=alert(1)>");
    assert_eq!(get(&m, "createTime").as_f64(), Some(1_700_000_000_000.0));
    assert_eq!(count(&hooks, "onCustomerWaiting"), 2);
    assert_eq!(get(&last(&hooks, "onCustomerWaiting"), "id").as_f64(), Some(7.0), "numeric ids stay numbers");
    assert_eq!(get(&get(&last(&hooks, "onTransferRequest"), "data"), "fromKfId").as_string().as_deref(), Some("other"));
    assert_eq!(get(&last(&hooks, "onTransferRejected"), "id").as_string().as_deref(), Some("c5"));
    assert_eq!(get(&last(&hooks, "onOfferWithdrawn"), "reason").as_string().as_deref(), Some("taken"));
    assert_eq!(count(&hooks, "onHeartbeat"), 1);
    assert_eq!(count(&hooks, "onFrameRejected"), 2);
    assert_eq!(get(&last(&hooks, "onFrameRejected"), "reason").as_string().as_deref(), Some("unknown-status"));
    assert_eq!(js_sys::Array::from(&s.waiting().into()).length(), 1, "c2 withdrawn, 7 waits");
    assert_eq!(stat(&s, "duplicatesDropped"), 1.0);
    // Answers go out as the original's frames; unknown ids throw coded errors.
    s.accept_customer(JsValue::from(7).unchecked_into()).unwrap();
    s.reject_transfer(JsValue::from("c4").unchecked_into()).unwrap();
    let sent = lines(i);
    assert_eq!(sent[1], r#"{"respStatus":2,"kfId":"fake-dispatch","userId":7,"userName":"Second"}"#);
    assert_eq!(sent[2], r#"{"respStatus":5,"userId":"c4"}"#);
    assert_eq!(error_code(s.accept_customer(JsValue::from("nobody").unchecked_into()).unwrap_err()), "UNKNOWN_CUSTOMER");
    assert_eq!(error_code(s.accept_transfer(JsValue::from("nobody").unchecked_into()).unwrap_err()), "UNKNOWN_TRANSFER");
    assert_eq!(s.state().as_string().as_deref(), Some("open"), "bad frames leave the session up");
    s.close();
    assert_eq!(fake_closed_with(i), 1000);
}

#[wasm_bindgen_test]
async fn the_heartbeat_pings_on_silence_and_an_unanswered_one_reconnects_on_real_timers() {
    let opts = [("heartbeatMs", 100.into()), ("heartbeatTimeoutMs", 100.into()), ("reconnectMs", 100.into())];
    let (s, hooks, i) = fake_session("fake-hb", &opts);
    s.connect();
    fake_open(i);
    fake_frame(i, r#"{"status":9}"#); // a legacy server: no hello
    let ping = r#"{"respStatus":9,"kfId":"fake-hb"}"#;
    assert!(until(1000.0, || lines(i).iter().any(|l| l == ping)).await, "a ping after 100 ms of silence");
    fake_frame(i, r#"{"status":9}"#);
    assert!(until(1000.0, || lines(i).iter().filter(|l| *l == ping).count() >= 2).await, "answered, so pinged again later");
    assert_eq!(stat(&s, "socketsOpened"), 1.0);
    // Now the server stays silent: the socket is closed with 4000 and a new one opened.
    assert!(until(2000.0, || fake_closed_with(i) == 4000).await, "states: {}", states(&hooks));
    assert!(until(2000.0, || fake_count() == i + 2).await, "reconnected after reconnectMs");
    assert_eq!(s.state().as_string().as_deref(), Some("reconnecting"));
    fake_open(i + 1);
    assert_eq!(s.state().as_string().as_deref(), Some("open"));
    // The superseded socket's late events are ignored.
    fake_frame(i, r#"{"status":2,"data":{"id":"ghost"}}"#);
    assert_eq!(count(&hooks, "onCustomerWaiting"), 0);
    assert!(stat(&s, "staleEvents") >= 1.0);
    s.close();
    pause(300).await;
    assert_eq!(fake_count(), i + 2, "closed on purpose: no reconnect");
    assert!(states(&hooks).ends_with("open,closed"), "{}", states(&hooks));
}

#[wasm_bindgen_test]
async fn messages_sent_while_offline_are_held_then_sent_in_order_with_ids_and_acked() {
    let (s, hooks, i) = fake_session("fake-held", &[("reconnectMs", 50.into())]);
    for text in ["one", "two"] {
        let m = obj(&[("userId", "u1".into()), ("userName", "访客".into()), ("content", text.into())]);
        s.send(m.unchecked_into()).unwrap();
    }
    assert_eq!(s.held_count(), 2);
    assert_eq!(get(&last(&hooks, "onMessageStatus"), "status").as_string().as_deref(), Some("held"));
    s.connect();
    fake_open(i);
    assert_eq!(lines(i), [r#"{"respStatus":9,"kfId":"fake-held"}"#], "opening with held messages pings first");
    fake_frame(i, HELLO);
    let sent = lines(i);
    assert_eq!(sent.len(), 4, "{sent:?}");
    assert!(sent[2].contains(r#""content":"one""#) && sent[3].contains(r#""content":"two""#), "{sent:?}");
    let id_of = |l: &str| l.split(r#""msgId":""#).nth(1).and_then(|r| r.split('"').next()).map(str::to_string);
    let first = id_of(&sent[2]).expect("an extension server gets message ids");
    assert_eq!(s.held_count(), 0);
    assert_eq!(stat(&s, "unacked"), 2.0);
    fake_frame(i, &format!(r#"{{"status":101,"data":{{"msgId":"{first}"}}}}"#));
    assert_eq!(stat(&s, "unacked"), 1.0);
    assert_eq!(get(&last(&hooks, "onMessageStatus"), "status").as_string().as_deref(), Some("acked"));
    // The socket drops: the unacked one is re-sent, with the same id, on the next socket.
    fake_drop(i, 1006);
    assert!(until(2000.0, || fake_count() == i + 2).await);
    fake_open(i + 1);
    fake_frame(i + 1, HELLO);
    let again = lines(i + 1);
    assert!(again.last().unwrap().contains(r#""content":"two""#), "{again:?}");
    assert_eq!(id_of(again.last().unwrap()), id_of(&sent[3]), "re-sent with its id");
    assert_eq!(stat(&s, "resent"), 1.0);
    let bad = s.send(obj(&[("content", "x".into())]).unchecked_into()).unwrap_err();
    assert_eq!(error_code(bad), "INVALID_ARGUMENT");
    s.close();
}

#[wasm_bindgen_test]
async fn a_socket_replaced_by_another_tab_is_not_fought_for() {
    let (s, hooks, i) = fake_session("fake-replaced", &[("reconnectMs", 50.into())]);
    s.connect();
    fake_open(i);
    fake_drop(i, 4409);
    assert_eq!(s.state().as_string().as_deref(), Some("replaced"));
    assert_eq!(get(&last(&hooks, "onStateChange"), "state").as_string().as_deref(), Some("replaced"));
    s.check_now(); // what becoming visible does
    pause(300).await;
    assert_eq!(fake_count(), i + 1, "no reconnect loop: 6 reconnect delays later, still one socket");
    s.connect();
    assert_eq!(fake_count(), i + 2, "connect() takes the connection back");
    s.close();
}

#[wasm_bindgen_test]
async fn a_durable_outbox_keeps_unsent_messages_for_the_next_session() {
    install_fake_sockets();
    let kf = format!("fake-durable-{}", js_sys::Date::now());
    let cfg = || obj(&[("serverUrl", "http://fake.invalid/".into()), ("kfId", kf.as_str().into()), ("durableOutbox", true.into())]);
    let (a, hooks_a) = session_with(cfg());
    for text in ["one", "two"] {
        a.send(obj(&[("userId", "u1".into()), ("userName", "U".into()), ("content", text.into())]).unchecked_into()).unwrap();
    }
    assert!(until(3000.0, || count(&hooks_a, "onMessageSaved") == 2).await, "both writes committed");
    drop(a); // the page is reloaded or crashes
    let (b, hooks_b) = session_with(cfg());
    assert!(until(3000.0, || count(&hooks_b, "onMessageRestored") == 2).await, "both restored");
    assert_eq!(get(&last(&hooks_b, "onMessageRestored"), "content").as_string().as_deref(), Some("two"));
    assert_eq!(b.held_count(), 2);
    let i = fake_count();
    b.connect();
    fake_open(i);
    fake_frame(i, HELLO);
    let sent = lines(i);
    assert_eq!(sent.len(), 4, "ping, hello, one, two: {sent:?}");
    let id_of = |l: &str| l.split(r#""msgId":""#).nth(1).and_then(|r| r.split('"').next()).map(str::to_string).unwrap();
    assert!(sent[2].contains(r#""content":"one""#) && sent[3].contains(r#""content":"two""#), "{sent:?}");
    let (one, two) = (id_of(&sent[2]), id_of(&sent[3]));
    assert_ne!(one, two);
    for id in [&one, &two] {
        fake_frame(i, &format!(r#"{{"status":101,"data":{{"msgId":"{id}"}}}}"#));
    }
    assert_eq!(stat(&b, "unacked"), 0.0);
    b.close();
    pause(300).await; // the deletes commit
    let (_c, hooks_c) = session_with(cfg());
    pause(500).await;
    assert_eq!(count(&hooks_c, "onMessageRestored"), 0, "acknowledged messages are gone from storage");
}

#[wasm_bindgen_test]
async fn without_storage_the_durable_outbox_warns_once_and_sends_from_memory() {
    install_fake_sockets();
    let cfg = obj(&[("serverUrl", "http://fake.invalid/".into()), ("kfId", "fake-nostore".into()), ("durableOutbox", true.into())]);
    let made = std::rc::Rc::new(std::cell::RefCell::new(None));
    let slot = made.clone();
    let make = Closure::<dyn FnMut()>::new(move || *slot.borrow_mut() = Some(session_with(cfg.clone())));
    without_indexed_db(make.as_ref().unchecked_ref());
    drop(make);
    let (s, hooks) = made.borrow_mut().take().expect("created");
    for text in ["a", "b"] {
        s.send(obj(&[("userId", "u1".into()), ("content", text.into())]).unchecked_into()).expect("send never throws for storage");
    }
    pause(200).await;
    let warnings = js_sys::Array::from(&get(&hooks, "log"))
        .iter()
        .filter(|e| get(e, "hook").as_string().as_deref() == Some("onLog"))
        .filter(|e| get(&get(e, "e"), "message").as_string().unwrap_or_default().contains("durable outbox unavailable"))
        .count();
    assert_eq!(warnings, 1, "one clear warning");
    assert_eq!(count(&hooks, "onMessageSaved"), 0);
    let i = fake_count();
    s.connect();
    fake_open(i);
    fake_frame(i, r#"{"status":9}"#);
    let sent = lines(i);
    assert!(sent.iter().any(|l| l.contains(r#""content":"a""#)) && sent.iter().any(|l| l.contains(r#""content":"b""#)), "{sent:?}");
    s.close();
}

#[wasm_bindgen_test]
fn a_hook_that_calls_back_into_the_session_is_safe() {
    // onCustomerWaiting accepts at once, re-entering the session from inside its own dispatch.
    install_fake_sockets();
    let hooks = hooks();
    let cfg = obj(&[("serverUrl", "http://fake.invalid/".into()), ("kfId", "fake-reentry".into())]);
    let s = std::rc::Rc::new(AgentSession::new(cfg.unchecked_into(), Some(hooks.clone().unchecked_into())).unwrap());
    let s2 = std::rc::Rc::downgrade(&s);
    let cb = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        if let Some(s) = s2.upgrade() {
            s.accept_customer(get(&e, "id").unchecked_into()).unwrap();
        }
    });
    js_sys::Reflect::set(&hooks, &"onCustomerWaiting".into(), cb.as_ref()).unwrap();
    let i = fake_count();
    s.connect();
    fake_open(i);
    fake_frame(i, r#"{"status":2,"data":{"id":"r1","userName":"R"}}"#);
    assert_eq!(lines(i), [r#"{"respStatus":2,"kfId":"fake-reentry","userId":"r1","userName":"R"}"#]);
    assert_eq!(js_sys::Array::from(&s.waiting().into()).length(), 0);
    assert_eq!(count(&hooks, "onQueueChange"), 2, "queued, then accepted, in order");
    s.close();
    drop(cb);
}

/// A frame's time comes from its event's time stamp; one on another clock (an old engine's epoch
/// milliseconds) is not taken, or the next ping would be due in 55 years.
#[wasm_bindgen_test]
async fn an_event_stamped_on_another_clock_does_not_put_the_heartbeat_off() {
    let opts = [("heartbeatMs", 100.into()), ("heartbeatTimeoutMs", 2000.into())];
    let (s, _hooks, i) = fake_session("fake-stamp", &opts);
    s.connect();
    fake_open(i);
    fake_frame_stamped(i, r#"{"status":9}"#, js_sys::Date::now());
    let ping = r#"{"respStatus":9,"kfId":"fake-stamp"}"#;
    assert!(until(1500.0, || lines(i).iter().any(|l| l == ping)).await, "a ping after 100 ms of silence: {:?}", lines(i));
    s.close();
}

/// The one-call path (`frames.js`) and the full path give the hooks the same payloads: a frame the
/// head cannot describe (a status in text, an id longer than the head copies) reaches them exactly
/// like one it can, and a `userName` the rules fill in is on the object the hook gets.
#[wasm_bindgen_test]
fn frames_on_either_path_reach_the_hooks_alike() {
    let (s, hooks, i) = fake_session("fake-two-paths", &[]);
    s.connect();
    fake_open(i);
    let long = "x".repeat(300);
    fake_frame(i, r#"{"status":2,"data":{"id":"c1","userName":"快"}}"#);
    fake_frame(i, r#"{"status":"2","data":{"id":"c2","userName":"慢"}}"#);
    fake_frame(i, &format!(r#"{{"status":2,"data":{{"id":"{long}","userName":"长"}}}}"#));
    assert_eq!(count(&hooks, "onCustomerWaiting"), 3);
    let third = last(&hooks, "onCustomerWaiting");
    assert_eq!(get(&third, "id").as_string(), Some(long.clone()));
    assert_eq!(get(&third, "waiting").as_f64(), Some(3.0));
    assert_eq!(get(&get(&third, "data"), "userName").as_string().as_deref(), Some("长"));
    let ids: Vec<String> = js_sys::Array::from(&s.waiting().into()).iter().map(|c| get(&c, "id").as_string().unwrap()).collect();
    assert_eq!(ids, ["c1".to_string(), "c2".into(), long], "the queue holds both paths' customers");
    // A missing userName is filled in from the id, on both paths, on the object the hook gets.
    fake_frame(i, r#"{"status":1,"data":{"userId":42,"content":"fast"}}"#);
    assert_eq!(get(&last(&hooks, "onMessage"), "userName").as_string().as_deref(), Some("42"));
    fake_frame(i, r#"{"status":"1","data":{"userId":"u-slow","content":"slow"}}"#);
    assert_eq!(get(&last(&hooks, "onMessage"), "userName").as_string().as_deref(), Some("u-slow"));
    fake_frame(i, r#"{"status":5,"data":{"id":1.5}}"#);
    let refused = last(&hooks, "onTransferRejected");
    assert_eq!((get(&refused, "id").as_f64(), get(&refused, "userName").as_string().as_deref()), (Some(1.5), Some("1.5")));
    // Bad frames are rejected the same way on both paths.
    fake_frame(i, r#"{"status":2,"data":{"id":""}}"#);
    fake_frame(i, r#"{"status":"2","data":{"id":""}}"#);
    assert_eq!(count(&hooks, "onFrameRejected"), 2);
    assert_eq!(get(&last(&hooks, "onFrameRejected"), "message").as_string().as_deref(), Some("status 2: bad data: empty customer id"));
    assert_eq!(count(&hooks, "onCustomerWaiting"), 3);
    s.close();
}
