//! Silent monitoring (extension `monitor`): `watch` goes out only where the server offers it, and a
//! watched conversation's messages and the viewers of one's own reach the UI as they came.
#![cfg(not(target_arch = "wasm32"))]

mod support;
use kefu_agent::core::*;
use support::*;

const HELLO: &str = r#"{"status":100,"data":{"features":["ack","monitor"],"epoch":"e1"}}"#;

fn watch(d: &mut Driver, on: bool) -> Result<Option<u64>, SessionError> {
    d.s.handle_input(d.now, Input::Act(Action::Watch { user_id: "u1".into(), on }))
}

#[test]
fn watching_is_asked_for_only_where_the_server_offers_it() {
    let mut d = Driver::agent();
    assert_eq!(watch(&mut d, true), Err(SessionError::NotConnected));
    let conn = d.connect_open();
    d.frame(conn, HELLO);
    watch(&mut d, true).unwrap();
    watch(&mut d, false).unwrap();
    assert_eq!(
        sent(&d.drain()),
        vec![r#"{"respStatus":107,"userId":"u1","watch":true}"#, r#"{"respStatus":107,"userId":"u1","watch":false}"#]
    );
    let mut legacy = Driver::agent();
    let conn = legacy.connect_open();
    legacy.frame(conn, r#"{"status":9}"#);
    assert_eq!(watch(&mut legacy, true).unwrap_err().code(), ErrorCode::NotSupported);
}

#[test]
fn watched_messages_and_viewers_reach_the_ui_and_bad_ones_are_rejected() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    d.frame(conn, HELLO);
    let m = r#"{"status":107,"data":{"userId":"u1","userName":"七","kfId":"a","start":true,"messages":[{"sender":"visitor","content":"<i>x</i>","createTime":1}]}}"#;
    assert!(matches!(&ui(&d.frame(conn, m))[..], [UiEvent::Monitor(v)] if v["messages"][0]["content"] == "<i>x</i>"));
    let w = r#"{"status":108,"data":{"userId":"u1","viewers":[{"kfId":"zhuguan","name":"主管"}]}}"#;
    assert!(matches!(&ui(&d.frame(conn, w))[..], [UiEvent::Viewers(v)] if v["viewers"][0]["kfId"] == "zhuguan"));
    for bad in [r#"{"status":107,"data":{"userId":"u1","messages":"x"}}"#, r#"{"status":108,"data":{"userId":"","viewers":[]}}"#] {
        assert!(matches!(ui(&d.frame(conn, bad))[..], [UiEvent::FrameRejected { .. }]), "{bad}");
    }
}
