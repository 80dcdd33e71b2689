//! Headless-Chrome suite for `shareAcrossTabs`: two sessions of one agent in a page stand for two
//! tabs (Web Locks and BroadcastChannel work the same between them), on the in-page fake server.
//! One socket for both, the same events in both, actions and replies from the tab without the
//! socket, and a takeover that loses nothing and replays nothing; and `resumeAcrossReloads`.
#![cfg(target_arch = "wasm32")]

mod web_common;

use kefu_agent::web::AgentSession;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;
use web_common::*;

wasm_bindgen_test_configure!(run_in_browser);

const HELLO: &str = r#"{"status":100,"data":{"features":["withdraw","ack","seq"],"epoch":"e1"}}"#;

fn tab(kf_id: &str) -> (AgentSession, JsValue) {
    install_fake_sockets();
    session_with(obj(&[
        ("serverUrl", "http://fake.invalid/".into()),
        ("kfId", kf_id.into()),
        ("shareAcrossTabs", true.into()),
        ("durableOutbox", true.into()),
        ("logLevel", "info".into()),
    ]))
}

fn lines(i: u32) -> Vec<String> {
    fake_sent(i).lines().map(str::to_string).collect()
}

fn state(s: &AgentSession) -> String {
    s.state().as_string().unwrap_or_default()
}

/// A string property of `v`; empty while `v` is no object yet (an event not recorded yet: the
/// `until` loops that read it try again rather than fail).
fn text_of(v: &JsValue, key: &str) -> String {
    if !v.is_object() {
        return String::new();
    }
    get(v, key).as_string().unwrap_or_default()
}

fn msg_id(line: &str) -> String {
    line.split(r#""msgId":""#).nth(1).and_then(|r| r.split('"').next()).unwrap_or_default().to_string()
}

fn reply(to: &str, content: &str) -> JsValue {
    obj(&[("userId", to.into()), ("userName", "七".into()), ("content", content.into())])
}

/// Two tabs of agent `kf`: the first takes the lock and opens the (fake) socket `first`, the
/// second follows it. Returns (leader, its hooks, follower, its hooks, first).
async fn leader_and_follower(kf: &str) -> (AgentSession, JsValue, AgentSession, JsValue, u32) {
    let first = fake_count();
    let (a, ha) = tab(kf);
    a.connect();
    assert!(until(3000.0, || fake_count() == first + 1).await, "the first tab takes the lock and opens the socket");
    fake_open(first);
    fake_frame(first, HELLO);
    assert_eq!(state(&a), "open");
    let (b, hb) = tab(kf);
    b.connect();
    assert!(until(3000.0, || state(&b) == "open").await, "the second tab shows the first one's state");
    (a, ha, b, hb, first)
}

#[wasm_bindgen_test]
async fn two_tabs_share_one_socket_see_the_same_events_and_act_through_its_owner() {
    let kf = format!("tabs-{}", js_sys::Date::now());
    let (a, ha, b, hb, first) = leader_and_follower(&kf).await;
    fake_frame(first, r#"{"status":2,"seq":1,"data":{"id":"u7","userName":"七"}}"#);
    assert!(until(3000.0, || count(&hb, "onCustomerWaiting") == 1).await, "the offer shows in the tab without the socket");
    assert_eq!(count(&ha, "onCustomerWaiting"), 1);
    assert_eq!(js_sys::Array::from(&b.waiting().into()).length(), 1);
    // The tab without the socket accepts; the one socket carries the answer.
    assert_eq!(error_code(b.accept_customer(JsValue::from("nobody").unchecked_into()).unwrap_err()), "UNKNOWN_CUSTOMER");
    b.accept_customer(JsValue::from("u7").unchecked_into()).unwrap();
    assert!(until(3000.0, || lines(first).iter().any(|l| l.starts_with(r#"{"respStatus":2"#))).await, "{:?}", lines(first));
    assert!(until(3000.0, || count(&ha, "onOtherTabAction") == 1).await);
    assert_eq!(text_of(&last(&ha, "onOtherTabAction"), "action"), "acceptCustomer");
    assert_eq!(text_of(&last(&ha, "onOtherTabAction"), "userName"), "七");
    assert!(until(3000.0, || js_sys::Array::from(&b.waiting().into()).length() == 0).await);
    // A reply typed in the second tab goes out once, with its id; its fate comes back to it.
    let local = b.send(reply("u7", "来自第二个标签页").unchecked_into()).unwrap();
    assert!(until(3000.0, || lines(first).iter().any(|l| l.contains("来自第二个标签页"))).await);
    let line = lines(first).into_iter().find(|l| l.contains("来自第二个标签页")).unwrap();
    fake_frame(first, &format!(r#"{{"status":101,"data":{{"msgId":"{}"}}}}"#, msg_id(&line)));
    assert!(until(3000.0, || text_of(&last(&hb, "onMessageStatus"), "status") == "acked").await);
    assert_eq!(get(&last(&hb, "onMessageStatus"), "localId").as_f64(), Some(local));
    assert_eq!(count(&ha, "onOtherTabAction"), 2, "the first tab hears of the reply");
    assert_eq!(text_of(&last(&ha, "onOtherTabAction"), "content"), "来自第二个标签页");
    // A customer's message reaches both tabs.
    fake_frame(first, r#"{"status":1,"seq":2,"data":{"userId":"u7","content":"谢谢"}}"#);
    assert!(until(3000.0, || count(&hb, "onMessage") == 1).await);
    assert_eq!(count(&ha, "onMessage"), 1);
    assert_eq!(fake_count(), first + 1, "one socket for both tabs the whole time");
    a.close();
    b.close();
}

#[wasm_bindgen_test]
async fn when_the_owner_leaves_another_tab_takes_over_resumes_and_loses_nothing() {
    let kf = format!("takeover-{}", js_sys::Date::now());
    let (a, _ha, b, hb, first) = leader_and_follower(&kf).await;
    fake_frame(first, r#"{"status":1,"seq":1,"data":{"userId":"u1","content":"one"}}"#);
    fake_frame(first, r#"{"status":1,"seq":2,"data":{"userId":"u1","content":"two"}}"#);
    assert!(until(3000.0, || count(&hb, "onMessage") == 2).await);
    // A reply the owner wrote but the server never acknowledged, and one from the second tab
    // handed over just before the owner went away.
    a.send(reply("u1", "unacked from the first tab").unchecked_into()).unwrap();
    let local = b.send(reply("u1", "in flight from the second tab").unchecked_into()).unwrap();
    assert!(until(3000.0, || lines(first).iter().any(|l| l.contains("in flight from the second tab"))).await);
    pause(200).await; // the writes commit
    a.close(); // the tab closes: the browser hands the lock on
    assert!(until(5000.0, || fake_count() == first + 2).await, "the second tab opens the socket within 5 s");
    let next = first + 1;
    fake_open(next);
    fake_frame(next, HELLO);
    assert!(until(3000.0, || lines(next).len() >= 3).await, "{:?}", lines(next));
    let sent = lines(next);
    assert!(sent.iter().any(|l| l.ends_with(r#""lastSeq":2}"#)), "asks only for frames after the last one seen: {sent:?}");
    let texts = sent.join("\n");
    assert_eq!(texts.matches("unacked from the first tab").count(), 1, "{sent:?}");
    assert_eq!(texts.matches("in flight from the second tab").count(), 1, "{sent:?}");
    for l in sent.iter().filter(|l| l.contains("msgId")) {
        fake_frame(next, &format!(r#"{{"status":101,"data":{{"msgId":"{}"}}}}"#, msg_id(l)));
    }
    // The two replies go out in the order the outbox restore and the hello happen to meet, so the
    // second tab's own one is looked for by its id, not as the last status.
    let acked_own = || {
        js_sys::Array::from(&get(&hb, "log")).iter().any(|x| {
            let e = get(&x, "e");
            get(&x, "hook").as_string().as_deref() == Some("onMessageStatus") && get(&e, "localId").as_f64() == Some(local) && text_of(&e, "status") == "acked"
        })
    };
    assert!(until(3000.0, acked_own).await, "the second tab's reply is reported acknowledged under its own id");
    fake_frame(next, r#"{"status":1,"seq":2,"data":{"userId":"u1","content":"two"}}"#);
    fake_frame(next, r#"{"status":1,"seq":3,"data":{"userId":"u1","content":"three"}}"#);
    assert_eq!(count(&hb, "onMessage"), 3, "nothing shown twice");
    assert_eq!(state(&b), "open");
    b.close();
}

#[wasm_bindgen_test]
async fn a_reloaded_tab_asks_only_for_frames_after_the_last_one_it_showed() {
    install_fake_sockets();
    let kf = format!("resume-{}", js_sys::Date::now());
    let cfg = |resume: bool| {
        obj(&[("serverUrl", "http://fake.invalid/".into()), ("kfId", kf.as_str().into()), ("resumeAcrossReloads", resume.into())])
    };
    let (a, _) = session_with(cfg(true));
    let i = fake_count();
    a.connect();
    fake_open(i);
    fake_frame(i, HELLO);
    for seq in 1..=3 {
        fake_frame(i, &format!(r#"{{"status":1,"seq":{seq},"data":{{"userId":"u1","content":"m{seq}"}}}}"#));
    }
    a.close(); // what the console does when the page hides (a reload)
    drop(a);
    let (b, hb) = session_with(cfg(true));
    b.connect();
    fake_open(i + 1);
    fake_frame(i + 1, HELLO);
    assert_eq!(lines(i + 1), [r#"{"respStatus":100,"features":["withdraw","ack","seq"],"lastSeq":3}"#]);
    fake_frame(i + 1, r#"{"status":1,"seq":3,"data":{"userId":"u1","content":"m3"}}"#);
    assert_eq!(count(&hb, "onMessage"), 0, "shown before the reload");
    b.close();
    // Without the option a new session asks for everything, as before.
    let (c, _) = session_with(cfg(false));
    c.connect();
    fake_open(i + 2);
    fake_frame(i + 2, HELLO);
    assert!(lines(i + 2)[0].ends_with(r#""lastSeq":0}"#));
    c.close();
}
