//! Recall (撤回, extension `recall`) and the conversation's life (extension `lifecycle`): a recall
//! names the acknowledged message by the local id `send` returned and goes out only where the
//! server offers `recall`; the server's answers reach the UI with the agent's local id, lifecycle
//! events as they came; malformed ones are rejected and a legacy server never sees a new frame.
#![cfg(not(target_arch = "wasm32"))]

mod support;
use kefu_agent::core::*;
use support::*;

const WITH: &str = r#"{"status":100,"data":{"features":["ack","recall","lifecycle"],"epoch":"e1"}}"#;

/// `recall(userId, localId)` as the shell does it: the local id mapped here, the action fed.
fn recall(d: &mut Driver, local_id: u64) -> Result<Option<u64>, SessionError> {
    let msg_id = d.s.recall_id(local_id).ok_or_else(|| SessionError::InvalidArgument("not acknowledged".into()))?;
    d.s.handle_input(d.now, Input::Act(Action::Recall { user_id: "u1".into(), msg_id }))
}

fn send(d: &mut Driver, content: &str) -> u64 {
    let a = Action::Send { user_id: "u1".into(), user_name: "V".into(), content: content.into() };
    d.s.handle_input(d.now, Input::Act(a)).unwrap().expect("a local id")
}

#[test]
fn a_recall_names_the_acknowledged_message_and_only_where_the_server_offers_it() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    d.frame(conn, WITH);
    let local = send(&mut d, "发错了");
    let out = sent(&d.drain());
    let msg_id = out.iter().find_map(|f| serde_json::from_str::<serde_json::Value>(f).ok().and_then(|v| v["msgId"].as_str().map(str::to_owned))).unwrap();
    assert!(matches!(recall(&mut d, local), Err(SessionError::InvalidArgument(_))), "not acknowledged yet");
    d.frame(conn, &format!(r#"{{"status":101,"data":{{"msgId":"{msg_id}"}}}}"#));
    d.drain();
    recall(&mut d, local).unwrap();
    assert_eq!(sent(&d.drain()), vec![format!(r#"{{"respStatus":110,"userId":"u1","msgId":"{msg_id}"}}"#)]);
    assert!(matches!(recall(&mut d, local + 7), Err(SessionError::InvalidArgument(_))), "an unknown local id");
    // The server's answer: the agent's own message by its local id; the customer's by msgId only.
    let events = ui(&d.frame(conn, &format!(r#"{{"status":110,"data":{{"userId":"u1","msgId":"{msg_id}","by":"agent","error":null}}}}"#)));
    match &events[..] {
        [UiEvent::Recalled { data, local_id }] => assert_eq!((data["by"].as_str(), *local_id), (Some("agent"), Some(local))),
        other => panic!("{other:?}"),
    }
    let events = ui(&d.frame(conn, &format!(r#"{{"status":110,"data":{{"userId":"u1","msgId":"{msg_id}","by":"visitor","error":null}}}}"#)));
    assert!(matches!(&events[..], [UiEvent::Recalled { local_id: None, .. }]), "a customer's id is never mapped to ours: {events:?}");
    for bad in [
        r#"{"status":110,"data":{"userId":"u1","msgId":7,"by":"agent"}}"#,
        r#"{"status":110,"data":{"userId":"u1","msgId":"x","by":"robot"}}"#,
        r#"{"status":111,"data":{"userId":"u1"}}"#,
        r#"{"status":111,"data":{"userId":"","event":"closed"}}"#,
    ] {
        let events = ui(&d.frame(conn, bad));
        assert!(matches!(events[..], [UiEvent::FrameRejected { .. }]), "{bad}: {events:?}");
    }
    let events = ui(&d.frame(conn, r#"{"status":111,"data":{"userId":"u1","userName":"V","event":"closed","reason":"idle"}}"#));
    match &events[..] {
        [UiEvent::Lifecycle(data)] => assert_eq!(data["reason"], "idle"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn without_the_extension_a_recall_is_refused_and_nothing_goes_out() {
    let mut legacy = Driver::agent();
    let conn = legacy.connect_open();
    legacy.frame(conn, r#"{"status":9}"#);
    let act = |d: &mut Driver| d.s.handle_input(d.now, Input::Act(Action::Recall { user_id: "u1".into(), msg_id: "t-1".into() }));
    assert_eq!(act(&mut legacy).unwrap_err().code(), ErrorCode::NotSupported);
    assert!(sent(&legacy.drain()).is_empty());
    let mut closed = Driver::agent();
    assert_eq!(act(&mut closed), Err(SessionError::NotConnected), "not held");
}
