//! A supervisor's socket actions (extension `supervise`): each goes out as one respStatus 109
//! frame only where the server offers it, bad arguments are refused before, and the server's
//! answers reach the UI.
#![cfg(not(target_arch = "wasm32"))]

mod support;
use kefu_agent::core::*;
use support::*;

#[test]
fn supervisor_actions_go_out_only_where_offered_and_are_answered() {
    let mut d = Driver::agent();
    let act = |d: &mut Driver, a: Action| d.s.handle_input(d.now, Input::Act(a));
    assert_eq!(act(&mut d, Action::Join("u1".into())), Err(SessionError::NotConnected));
    let conn = d.connect_open();
    d.frame(conn, r#"{"status":100,"data":{"features":["ack","supervise"],"epoch":"e1"}}"#);
    act(&mut d, Action::Whisper { user_id: "u1".into(), content: "问订单号".into() }).unwrap();
    act(&mut d, Action::Join(Scalar::from(7i64))).unwrap();
    act(&mut d, Action::Leave("u1".into())).unwrap();
    act(&mut d, Action::Reassign { user_id: "u1".into(), to_kf_id: "xiaohong".into() }).unwrap();
    act(&mut d, Action::EndConversation("u1".into())).unwrap();
    assert_eq!(
        sent(&d.drain()),
        vec![
            r#"{"respStatus":109,"action":"whisper","userId":"u1","content":"问订单号"}"#,
            r#"{"respStatus":109,"action":"join","userId":7}"#,
            r#"{"respStatus":109,"action":"leave","userId":"u1"}"#,
            r#"{"respStatus":109,"action":"reassign","userId":"u1","toKfId":"xiaohong"}"#,
            r#"{"respStatus":109,"action":"end","userId":"u1"}"#,
        ]
    );
    assert!(matches!(act(&mut d, Action::Whisper { user_id: "u1".into(), content: " ".into() }), Err(SessionError::InvalidArgument(_))));
    assert!(matches!(act(&mut d, Action::Reassign { user_id: "u1".into(), to_kf_id: String::new() }), Err(SessionError::InvalidArgument(_))));
    let answer = r#"{"status":109,"data":{"action":"end","userId":"u1","error":"no live conversation"}}"#;
    assert!(matches!(&ui(&d.frame(conn, answer))[..], [UiEvent::Supervised(v)] if v["error"] == "no live conversation"));

    let mut agent = Driver::agent();
    let conn = agent.connect_open();
    agent.frame(conn, r#"{"status":100,"data":{"features":["ack"],"epoch":"e1"}}"#);
    assert_eq!(act(&mut agent, Action::EndConversation("u1".into())).unwrap_err().code(), ErrorCode::NotSupported);
}
