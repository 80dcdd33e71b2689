//! Internal notes and whispers (extension `notes`): an agent's note goes out only on a socket that
//! speaks `notes` and is refused, never held or dropped silently, otherwise; a note or whisper
//! from the server reaches the UI as it came, and a malformed one is rejected.
#![cfg(not(target_arch = "wasm32"))]

mod support;
use kefu_agent::core::*;
use support::*;

const WITH_NOTES: &str = r#"{"status":100,"data":{"features":["ack","notes"],"epoch":"e1"}}"#;
const WITHOUT: &str = r#"{"status":100,"data":{"features":["ack"],"epoch":"e1"}}"#;

fn note(d: &mut Driver, content: &str) -> Result<Option<u64>, SessionError> {
    d.s.handle_input(d.now, Input::Act(Action::AddNote { user_id: "u1".into(), content: content.into() }))
}

#[test]
fn a_note_goes_out_only_where_the_server_offers_notes_and_is_refused_otherwise() {
    let mut d = Driver::agent();
    assert_eq!(note(&mut d, "先查订单"), Err(SessionError::NotConnected), "not held: the agent keeps it");
    let conn = d.connect_open();
    assert_eq!(note(&mut d, "先查订单"), Err(SessionError::NotConnected), "not before the hello decided");
    d.frame(conn, WITH_NOTES);
    note(&mut d, "@xiaohong 先查订单").unwrap();
    assert_eq!(sent(&d.drain()), vec![r#"{"respStatus":105,"userId":"u1","content":"@xiaohong 先查订单"}"#]);
    assert!(matches!(note(&mut d, "  "), Err(SessionError::InvalidArgument(_))));

    let mut legacy = Driver::agent();
    let conn = legacy.connect_open();
    legacy.frame(conn, r#"{"status":9}"#); // a legacy server: no hello
    let err = note(&mut legacy, "x").unwrap_err();
    assert_eq!((err.code(), err.message().contains("notes")), (ErrorCode::NotSupported, true));
    assert!(sent(&legacy.drain()).is_empty(), "a legacy server never sees a new frame");
    let mut old = Driver::agent();
    let conn = old.connect_open();
    old.frame(conn, WITHOUT);
    assert_eq!(note(&mut old, "x").unwrap_err().code(), ErrorCode::NotSupported);
}

#[test]
fn notes_and_whispers_reach_the_ui_as_they_came_and_bad_ones_are_rejected() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    d.frame(conn, WITH_NOTES);
    let whisper = r#"{"status":105,"data":{"userId":"u1","userName":"七","kind":"whisper","fromKfId":"zhuguan","fromKfName":"主管","content":"<b>问订单号</b>","mentions":[],"createTime":1}}"#;
    let events = ui(&d.frame(conn, whisper));
    match &events[..] {
        [UiEvent::Note(data)] => {
            assert_eq!(data["kind"], "whisper");
            assert_eq!(data["content"], "<b>问订单号</b>", "passed on as text, untouched");
        }
        other => panic!("{other:?}"),
    }
    for bad in [
        r#"{"status":105,"data":{"userId":"u1","kind":"shout","fromKfId":"z","content":"x"}}"#,
        r#"{"status":105,"data":{"userId":"","kind":"note","fromKfId":"z","content":"x"}}"#,
        r#"{"status":105,"data":{"userId":"u1","kind":"note","fromKfId":"z","content":7}}"#,
    ] {
        let events = ui(&d.frame(conn, bad));
        assert!(matches!(events[..], [UiEvent::FrameRejected { .. }]), "{bad}: {events:?}");
    }
}
