//! The workbench signals in the core (extensions `typing`, `read`, `peek`): the agent's typing is
//! throttled to one signal per 2 s per customer and stops once; "seen" goes out as asked; read
//! receipts map message ids back to local ids; a legacy server sees none of it.
#![cfg(not(target_arch = "wasm32"))]

mod support;
use kefu_agent::core::*;
use support::*;

const HELLO: &str = r#"{"status":100,"data":{"features":["ack","typing","read","peek"],"epoch":"e1"}}"#;

fn typing_frames(out: &[JsonOutput]) -> Vec<String> {
    sent(out).into_iter().filter(|f| f.contains(r#""respStatus":103"#)).collect()
}

fn open_with(hello: &str) -> (Driver, ConnId) {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    d.frame(conn, hello);
    (d, conn)
}

#[test]
fn typing_goes_out_at_most_every_two_seconds_and_stops_once() {
    let (mut d, _) = open_with(HELLO);
    let typing = |d: &mut Driver, at: u64, on: bool| {
        d.now = at;
        d.s.handle_input(d.now, Input::Act(Action::Typing("u1".into(), on))).unwrap();
        typing_frames(&d.drain())
    };
    let start = d.now;
    assert_eq!(typing(&mut d, start, true), [r#"{"respStatus":103,"userId":"u1","typing":true}"#]);
    assert!(typing(&mut d, start + 500, true).is_empty());
    assert!(typing(&mut d, start + 1_999, true).is_empty());
    assert_eq!(typing(&mut d, start + 2_000, true).len(), 1, "again after 2 s while it lasts");
    assert_eq!(typing(&mut d, start + 2_100, false), [r#"{"respStatus":103,"userId":"u1","typing":false}"#]);
    assert!(typing(&mut d, start + 2_200, false).is_empty(), "stopping is said once");
    // Sending the message clears it: no "stopped" afterwards.
    assert_eq!(typing(&mut d, start + 3_000, true).len(), 1);
    d.s.send_message("u1".into(), "U".into(), "hi".into()).unwrap();
    d.drain();
    assert!(typing(&mut d, start + 3_100, false).is_empty());
    // Per customer.
    assert_eq!(typing(&mut d, start + 3_200, true).len(), 1);
    d.now = start + 3_300;
    d.s.handle_input(d.now, Input::Act(Action::Typing("u2".into(), true))).unwrap();
    assert_eq!(typing_frames(&d.drain()).len(), 1);
}

#[test]
fn read_receipts_name_the_local_ids_send_returned() {
    let (mut d, conn) = open_with(HELLO);
    let a = d.s.send_message("u1".into(), "U".into(), "one".into()).unwrap();
    let b = d.s.send_message("u1".into(), "U".into(), "two".into()).unwrap();
    let out = d.drain();
    let ids: Vec<String> = sent(&out).iter().filter_map(|f| f.split(r#""msgId":""#).nth(1)?.split('"').next().map(String::from)).collect();
    for id in &ids {
        d.frame(conn, &format!(r#"{{"status":101,"data":{{"msgId":"{id}"}}}}"#));
    }
    let out = d.frame(conn, &format!(r#"{{"status":104,"data":{{"userId":"u1","msgIds":["{}","{}","someone-else"]}}}}"#, ids[0], ids[1]));
    assert_eq!(ui(&out), vec![UiEvent::Read { user_id: "u1".into(), local_ids: vec![a, b] }]);
    assert!(ui(&d.frame(conn, r#"{"status":104,"data":{"userId":"u1","msgIds":["unknown"]}}"#)).is_empty());
    // Seen goes out as asked.
    d.s.handle_input(d.now, Input::Act(Action::Seen("u1".into()))).unwrap();
    assert_eq!(sent(&d.drain()), [r#"{"respStatus":104,"userId":"u1"}"#]);
}

#[test]
fn a_customer_typing_is_reported_with_their_text_under_peek() {
    let (mut d, conn) = open_with(HELLO);
    let out = d.frame(conn, r#"{"status":103,"data":{"userId":"u1","typing":true,"text":"我想问<b>"}}"#);
    assert_eq!(ui(&out), vec![UiEvent::Typing(TypingSignal { user_id: "u1".into(), typing: true, text: Some("我想问<b>".into()) })]);
    let out = d.frame(conn, r#"{"status":103,"data":{"userId":"u1","typing":"yes"}}"#);
    assert!(matches!(ui(&out)[..], [UiEvent::FrameRejected { .. }]));
}

#[test]
fn a_legacy_server_or_one_without_the_extensions_sees_no_signal() {
    for first in [r#"{"status":9}"#, r#"{"status":100,"data":{"features":["ack"],"epoch":"e"}}"#] {
        let (mut d, _) = open_with(first);
        d.s.handle_input(d.now, Input::Act(Action::Typing("u1".into(), true))).unwrap();
        d.s.handle_input(d.now, Input::Act(Action::Seen("u1".into()))).unwrap();
        assert!(sent(&d.drain()).is_empty(), "{first}");
    }
}
