//! Presence in the core (extension `presence`): what the agent asks for is sent after the hello or
//! at once, re-sent after a reconnect until the server confirms it, reported when the server says
//! it; a legacy server, or one without the extension, never sees a presence frame.
#![cfg(not(target_arch = "wasm32"))]

mod support;
use kefu_agent::core::*;
use support::*;

const HELLO: &str = r#"{"status":100,"data":{"features":["withdraw","ack","seq","presence","queue"],"epoch":"e1"}}"#;
const PONG: &str = r#"{"status":9}"#;

fn presence_frames(out: &[JsonOutput]) -> Vec<String> {
    sent(out).into_iter().filter(|f| f.contains(r#""respStatus":102"#)).collect()
}

fn changes(out: &[JsonOutput]) -> Vec<(Presence, Option<u64>)> {
    ui(out)
        .into_iter()
        .filter_map(|e| if let UiEvent::PresenceChanged { presence, max_conversations } = e { Some((presence, max_conversations)) } else { None })
        .collect()
}

#[test]
fn presence_asked_before_connecting_goes_out_after_the_hello_and_until_confirmed() {
    let mut d = Driver::agent();
    d.s.handle_input(d.now, Input::Act(Action::SetPresence(Presence::Away))).unwrap();
    let conn = d.connect_open();
    let out = d.frame(conn, HELLO);
    let frames = sent(&out);
    assert!(frames[0].contains(r#""features":["withdraw","ack","seq","presence","queue"]"#), "{frames:?}");
    assert_eq!(presence_frames(&out), [r#"{"respStatus":102,"presence":"away"}"#]);
    // The server's stored presence comes first, then ours: both reported, ours last.
    let out = d.frame(conn, r#"{"status":102,"data":{"presence":"online","maxConversations":5}}"#);
    assert_eq!(changes(&out), [(Presence::Online, Some(5))]);
    // The socket drops before the server confirmed: asked again on the next socket.
    let conn = d.reopen();
    assert_eq!(presence_frames(&d.frame(conn, HELLO)), [r#"{"respStatus":102,"presence":"away"}"#]);
    let out = d.frame(conn, r#"{"status":102,"data":{"presence":"away","maxConversations":5}}"#);
    assert_eq!(changes(&out), [(Presence::Away, Some(5))]);
    assert_eq!(d.s.presence(), Some((Presence::Away, Some(5))));
    // Confirmed: the next socket asks nothing; the server's stored presence rules.
    let conn = d.reopen();
    assert!(presence_frames(&d.frame(conn, HELLO)).is_empty());
    // While open, a change goes out at once.
    d.s.handle_input(d.now, Input::Act(Action::SetPresence(Presence::Busy))).unwrap();
    assert_eq!(presence_frames(&d.drain()), [r#"{"respStatus":102,"presence":"busy"}"#]);
}

#[test]
fn a_legacy_server_or_one_without_the_extension_never_sees_presence() {
    let mut d = Driver::agent();
    d.s.handle_input(d.now, Input::Act(Action::SetPresence(Presence::Busy))).unwrap();
    let conn = d.connect_open();
    let out = d.frame(conn, PONG); // a legacy first frame
    assert!(presence_frames(&out).is_empty());
    d.s.handle_input(d.now, Input::Act(Action::SetPresence(Presence::Away))).unwrap();
    let out = d.drain();
    assert!(sent(&out).is_empty(), "nothing new on a legacy socket: {:?}", sent(&out));
    assert!(out.iter().any(|o| matches!(o, Output::Log { level: LogLevel::Warn, .. })), "the agent is told why");
    assert_eq!(d.s.presence(), None);
    let mut e = Driver::agent();
    let conn = e.connect_open();
    e.s.handle_input(e.now, Input::Act(Action::SetPresence(Presence::Away))).unwrap();
    let out = e.frame(conn, r#"{"status":100,"data":{"features":["ack"],"epoch":"e"}}"#);
    assert!(presence_frames(&out).is_empty(), "{:?}", sent(&out));
}

#[test]
fn a_malformed_presence_frame_is_rejected_and_changes_nothing() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    d.frame(conn, HELLO);
    for bad in [
        r#"{"status":102,"data":{"presence":"asleep"}}"#,
        r#"{"status":102,"data":{"presence":"away","maxConversations":-1}}"#,
        r#"{"status":102,"data":{}}"#,
    ] {
        let out = d.frame(conn, bad);
        assert!(ui(&out).iter().any(|e| matches!(e, UiEvent::FrameRejected { .. })), "{bad}");
        assert!(changes(&out).is_empty());
    }
    assert_eq!(d.s.presence(), None);
}
