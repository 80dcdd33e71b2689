//! Headless-Chrome suite for the JS surface of presence and the workbench signals, on the in-page
//! fake server: `setPresence` / `presence` / `onPresenceChange`, `typing`, `markSeen`, `onTyping`,
//! `onRead`, and the settable `kfName` — argument checks with coded errors, and the frames exactly.
#![cfg(target_arch = "wasm32")]

mod web_common;

use kefu_agent::web::AgentSession;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;
use web_common::*;

wasm_bindgen_test_configure!(run_in_browser);

const HELLO: &str = r#"{"status":100,"data":{"features":["ack","presence","typing","read"],"epoch":"e1"}}"#;

fn open_session(kf: &str) -> (AgentSession, JsValue, u32) {
    install_fake_sockets();
    let (s, hooks) = session_with(obj(&[("serverUrl", "http://fake.invalid/".into()), ("kfId", kf.into())]));
    let i = fake_count();
    s.connect();
    fake_open(i);
    fake_frame(i, HELLO);
    (s, hooks, i)
}

fn lines(i: u32) -> Vec<String> {
    fake_sent(i).lines().map(str::to_string).collect()
}

fn id(v: &str) -> JsValue {
    JsValue::from_str(v)
}

#[wasm_bindgen_test]
fn presence_is_checked_sent_and_reported() {
    install_fake_sockets();
    let (s, hooks) = session_with(obj(&[("serverUrl", "http://fake.invalid/".into()), ("kfId", "wb-presence".into())]));
    let bad = s.set_presence(JsValue::from_str("asleep").unchecked_into()).unwrap_err();
    assert_eq!(error_code(bad), "INVALID_ARGUMENT");
    s.set_presence(JsValue::from_str("busy").unchecked_into()).unwrap(); // before connecting: kept
    assert!(JsValue::from(s.presence()).is_null());
    let i = fake_count();
    s.connect();
    fake_open(i);
    fake_frame(i, HELLO);
    assert!(lines(i).contains(&r#"{"respStatus":102,"presence":"busy"}"#.to_string()), "{:?}", lines(i));
    fake_frame(i, r#"{"status":102,"data":{"presence":"busy","maxConversations":3}}"#);
    let e = last(&hooks, "onPresenceChange");
    assert_eq!(get(&e, "presence").as_string().as_deref(), Some("busy"));
    assert_eq!(get(&e, "maxConversations").as_f64(), Some(3.0));
    assert_eq!(JsValue::from(s.presence()).as_string().as_deref(), Some("busy"));
    s.close();
}

#[wasm_bindgen_test]
fn typing_and_seen_go_out_as_frames_and_come_back_as_hooks() {
    let (s, hooks, i) = open_session("wb-signals");
    assert_eq!(error_code(s.typing(JsValue::UNDEFINED.unchecked_into(), true).unwrap_err()), "INVALID_ARGUMENT");
    s.typing(id("u1").unchecked_into(), true).unwrap();
    s.typing(id("u1").unchecked_into(), true).unwrap(); // within 2 s: not again
    s.mark_seen(JsValue::from(7).unchecked_into()).unwrap();
    let sent = lines(i);
    assert!(sent.contains(&r#"{"respStatus":103,"userId":"u1","typing":true}"#.to_string()), "{sent:?}");
    assert_eq!(sent.iter().filter(|l| l.contains(r#""respStatus":103"#)).count(), 1);
    assert!(sent.contains(&r#"{"respStatus":104,"userId":7}"#.to_string()), "numeric ids stay numbers: {sent:?}");
    fake_frame(i, r#"{"status":103,"data":{"userId":"u1","typing":true,"text":"<b>半句</b>"}}"#);
    let t = last(&hooks, "onTyping");
    assert_eq!((get(&t, "typing").as_bool(), get(&t, "text").as_string().as_deref()), (Some(true), Some("<b>半句</b>")));
    // A reply, acknowledged, then read by the customer's page.
    s.set_kf_name("新名字".into());
    let local = s.send(obj(&[("userId", "u1".into()), ("content", "您好".into())]).unchecked_into()).unwrap();
    let chat = lines(i).into_iter().rev().find(|l| l.contains("您好")).unwrap();
    assert!(chat.contains(r#""kfName":"新名字""#), "{chat}");
    let msg_id = chat.split(r#""msgId":""#).nth(1).and_then(|r| r.split('"').next()).unwrap().to_string();
    fake_frame(i, &format!(r#"{{"status":101,"data":{{"msgId":"{msg_id}"}}}}"#));
    fake_frame(i, &format!(r#"{{"status":104,"data":{{"userId":"u1","msgIds":["{msg_id}"]}}}}"#));
    let r = last(&hooks, "onRead");
    assert_eq!(js_sys::Array::from(&get(&r, "localIds")).get(0).as_f64(), Some(local));
    assert_eq!(s.kf_name(), "新名字");
    s.close();
}

/// With `boardDelta` the server sends the board whole once, then only what changed; `onBoard`
/// gets it whole every time (rows merged by `kfId`, the ones gone removed, the queue kept until it
/// changes), and a whole board (after a reconnect) replaces what was held.
#[wasm_bindgen_test]
fn the_board_reaches_on_board_whole_when_the_server_sends_changes() {
    install_fake_sockets();
    let (s, hooks) = session_with(obj(&[("serverUrl", "http://fake.invalid/".into()), ("kfId", "wb-board".into())]));
    let i = fake_count();
    s.connect();
    fake_open(i);
    fake_frame(i, r#"{"status":100,"data":{"features":["board","boardDelta"],"epoch":"e1"}}"#);
    assert!(lines(i)[0].contains(r#""board","boardDelta""#), "{:?}", lines(i));
    let agents = |b: &JsValue| -> Vec<String> { js_sys::Array::from(&get(b, "agents")).iter().map(|a| format!("{}:{}", get(&a, "kfId").as_string().unwrap(), get(&a, "maxConversations").as_f64().unwrap())).collect() };
    let queue = |b: &JsValue| js_sys::Array::from(&get(b, "queue")).length();
    fake_frame(i, r#"{"status":106,"data":{"agents":[{"kfId":"a","maxConversations":5},{"kfId":"b","maxConversations":5},{"kfId":"c","maxConversations":5}],"queue":[{"userId":"v1"}]}}"#);
    let whole = last(&hooks, "onBoard");
    assert_eq!(agents(&whole), ["a:5", "b:5", "c:5"]);
    fake_frame(i, r#"{"status":106,"data":{"delta":true,"agents":[{"kfId":"b","maxConversations":9},{"kfId":"d","maxConversations":1}],"removed":["a"]}}"#);
    let merged = last(&hooks, "onBoard");
    assert_eq!(agents(&merged), ["b:9", "c:5", "d:1"], "changed rows replaced, new ones added, gone ones removed, in order");
    assert_eq!(queue(&merged), 1, "the queue stays until it changes");
    let row = |b: &JsValue, n: u32| js_sys::Array::from(&get(b, "agents")).get(n);
    assert!(js_sys::Object::is(&row(&whole, 2), &row(&merged, 1)), "an unchanged row keeps its object");
    fake_frame(i, r#"{"status":106,"data":{"delta":true,"agents":[],"removed":[],"queue":[]}}"#);
    assert_eq!(queue(&last(&hooks, "onBoard")), 0);
    fake_frame(i, r#"{"status":106,"data":{"delta":true,"agents":{},"removed":[]}}"#);
    assert_eq!(count(&hooks, "onBoard"), 3, "changes that are not a list are refused");
    assert_eq!(get(&last(&hooks, "onFrameRejected"), "reason").as_string().as_deref(), Some("bad-data"));
    fake_frame(i, r#"{"status":106,"data":{"agents":[{"kfId":"z","maxConversations":2}],"queue":[]}}"#);
    assert_eq!(agents(&last(&hooks, "onBoard")), ["z:2"], "a whole board replaces what was held");
    s.close();
}
