//! Dispatch to the UI, the waiting-customer queue, transfers and held sends.
#![cfg(not(target_arch = "wasm32"))]

mod support;
use kefu_agent::core::*;
use support::*;

const WAIT_A: &str = r#"{"status":2,"data":{"id":"a","userName":"A"}}"#;
const WAIT_B: &str = r#"{"status":2,"data":{"id":"b","userName":"B"}}"#;
const MSG_A: &str = r#"{"status":1,"data":{"userId":"a","userName":"A","kfId":"xiaoming","content":"hello","createTime":1}}"#;

fn ids(d: &Driver) -> Vec<String> {
    d.s.waiting().iter().map(|c| c.id.key()).collect()
}

#[test]
fn a_second_request_queues_behind_the_first_instead_of_overwriting_it() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    let out = d.frame(conn, WAIT_A);
    assert!(matches!(&ui(&out)[0], UiEvent::CustomerWaiting { waiting: 1, .. }));
    let out = d.frame(conn, WAIT_B);
    assert!(matches!(&ui(&out)[0], UiEvent::CustomerWaiting { waiting: 2, .. }));
    assert_eq!(ids(&d), vec!["a", "b"]);
}

#[test]
fn a_message_from_a_customer_does_not_touch_the_queue() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    d.frame(conn, WAIT_B);
    let out = d.frame(conn, MSG_A);
    assert!(matches!(&ui(&out)[..], [UiEvent::Message(m)] if m["content"] == "hello" && m["userId"] == "a" && m["createTime"] == 1));
    assert_eq!(ids(&d), vec!["b"]);
}

#[test]
fn a_repeated_offer_updates_instead_of_duplicating() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    d.frame(conn, WAIT_A);
    d.frame(conn, r#"{"status":2,"data":{"id":"a","userName":"A2"}}"#);
    assert_eq!(d.s.waiting(), &[Customer { id: "a".into(), user_name: "A2".into() }]);
}

#[test]
fn accept_and_decline_act_on_the_named_customer() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    d.frame(conn, WAIT_A);
    d.frame(conn, WAIT_B);
    d.s.accept_customer(&"b".into()).unwrap();
    let out = d.drain();
    assert_eq!(sent(&out), vec![r#"{"respStatus":2,"kfId":"xiaoming","userId":"b","userName":"B"}"#]);
    assert!(ui(&out).contains(&UiEvent::QueueChanged(vec![Customer { id: "a".into(), user_name: "A".into() }])));
    assert_eq!(d.s.accept_customer(&"b".into()), Err(SessionError::UnknownCustomer("b".into())));
    d.s.decline_customer(&"a".into()).unwrap();
    assert_eq!(sent(&d.drain()), vec![r#"{"respStatus":3,"kfId":"xiaoming","userId":"a","userName":"A"}"#]);
    assert!(d.s.waiting().is_empty());
}

#[test]
fn numeric_ids_match_their_text_and_are_echoed_as_numbers() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    d.frame(conn, r#"{"status":2,"data":{"id":42,"userName":"N"}}"#);
    d.s.accept_customer(&"42".into()).unwrap();
    assert_eq!(sent(&d.drain()), vec![r#"{"respStatus":2,"kfId":"xiaoming","userId":42,"userName":"N"}"#]);
}

#[test]
fn answering_while_disconnected_is_refused_and_keeps_the_customer() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    d.frame(conn, WAIT_A);
    d.frame(conn, r#"{"status":4,"data":{"id":"t","userName":"T"}}"#);
    d.s.handle_socket_closed(d.now, conn, 1006);
    d.drain();
    assert_eq!(d.s.accept_customer(&"a".into()), Err(SessionError::NotConnected));
    assert_eq!(d.s.accept_transfer(&"t".into()), Err(SessionError::NotConnected));
    assert_eq!(ids(&d), vec!["a"]);
    assert_eq!(d.s.pending_transfers().len(), 1);
}

#[test]
fn transfers_are_tracked_until_answered() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    let out = d.frame(conn, r#"{"status":4,"data":{"id":"t","userName":"T","from":"kf2"}}"#);
    assert!(matches!(&ui(&out)[..], [UiEvent::TransferRequest(t)] if t.customer.user_name == "T"));
    assert_eq!(d.s.reject_transfer(&"nobody".into()), Err(SessionError::UnknownTransfer("nobody".into())));
    d.s.accept_transfer(&"t".into()).unwrap();
    assert_eq!(d.s.accept_transfer(&"t".into()), Err(SessionError::UnknownTransfer("t".into())));
    let out = d.frame(conn, r#"{"status":5,"data":{"id":"z","userName":"Z"}}"#);
    assert!(matches!(&ui(&out)[..], [UiEvent::TransferRejected(t)] if t.customer.id.key() == "z"));
    let out = d.frame(conn, PONG);
    assert_eq!(ui(&out), vec![UiEvent::Heartbeat]);
}

#[test]
fn sends_while_disconnected_are_held_and_flushed_in_order_on_reconnect() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    d.s.handle_socket_closed(d.now, conn, 1006);
    d.drain();
    let ids: Vec<u64> = (0..3).map(|i| d.s.send_message("u1".into(), "U".into(), format!("m{i}")).unwrap()).collect();
    let out = d.drain();
    assert!(sent(&out).is_empty(), "nothing is written to a dead socket");
    let held: Vec<u64> = ui(&out)
        .into_iter()
        .filter_map(|e| match e {
            UiEvent::MessageStatus { local_id, status: DeliveryStatus::Held, .. } => Some(local_id),
            _ => None,
        })
        .collect();
    assert_eq!(held, ids);
    assert_eq!(d.s.held_count(), 3);
    let out = d.run_until(d.now + 5_000);
    let new = opened(&out).unwrap();
    d.s.handle_socket_opened(d.now, new);
    let early = d.drain();
    assert_eq!(sent(&early), vec![PING.to_string()], "held messages wait; a ping asks the server to speak");
    // A legacy server answers the ping without a hello: they go out without extensions.
    let out = d.frame(new, PONG);
    let contents: Vec<String> = sent(&out).iter().map(|t| t.split("\"content\":").nth(1).unwrap().to_string()).collect();
    assert_eq!(contents, vec![r#""m0"}"#, r#""m1"}"#, r#""m2"}"#]);
    assert!(out.iter().all(|o| !matches!(o, Output::Send { conn: c, .. } if *c != new)));
    assert_eq!(d.s.held_count(), 0);
}

#[test]
fn sends_before_the_first_connect_are_held_too() {
    let mut d = Driver::agent();
    d.s.send_message("u1".into(), "U".into(), "early".into()).unwrap();
    d.connect_open();
    d.run_until(d.now + 3_000); // a silent server: the hello wait runs out
    assert_eq!(d.s.stats().frames_sent, 2, "the opening ping, then the message");
}

#[test]
fn fail_mode_reports_instead_of_holding() {
    let mut c = SessionConfig::new("xiaoming");
    c.offline_send = OfflineSend::Fail;
    let mut d = Driver::new(c);
    let id = d.s.send_message("u1".into(), "U".into(), "x".into()).unwrap();
    let out = d.drain();
    assert_eq!(
        ui(&out),
        vec![UiEvent::MessageStatus { local_id: id, status: DeliveryStatus::Failed, reason: Some("not connected".into()) }]
    );
    d.connect_open();
    assert_eq!(d.s.stats().frames_sent, 0);
}

#[test]
fn a_full_outbox_fails_loudly() {
    let mut c = SessionConfig::new("xiaoming");
    c.max_held_messages = 2;
    let mut d = Driver::new(c);
    for _ in 0..3 {
        d.s.send_message("u1".into(), "U".into(), "x".into()).unwrap();
    }
    let out = d.drain();
    let failed = ui(&out).iter().filter(|e| matches!(e, UiEvent::MessageStatus { status: DeliveryStatus::Failed, .. })).count();
    assert_eq!(failed, 1);
    assert_eq!(d.s.held_count(), 2);
}

#[test]
fn blank_user_id_is_an_invalid_argument() {
    let mut d = Driver::agent();
    assert!(matches!(d.s.send_message("".into(), "U".into(), "x".into()), Err(SessionError::InvalidArgument(_))));
}

#[test]
fn state_changes_are_reported_once_each() {
    let mut d = Driver::agent();
    d.s.connect(d.now);
    let out = d.drain();
    assert_eq!(states(&out), vec![LinkState::Connecting]);
    let conn = opened(&out).unwrap();
    d.s.handle_socket_opened(d.now, conn);
    assert_eq!(states(&d.drain()), vec![LinkState::Open]);
    d.s.handle_socket_error(d.now, conn);
    assert_eq!(states(&d.drain()), vec![LinkState::Reconnecting]);
    let out = d.run_until(d.now + 5_000);
    assert_eq!(states(&out), Vec::<LinkState>::new(), "retrying is still 'reconnecting'");
    d.s.close(d.now);
    assert_eq!(states(&d.drain()), vec![LinkState::Closed]);
}

#[test]
fn handle_input_drives_the_same_machine() {
    let mut s = Session::new(SessionConfig::new("k"));
    let frame = Received::from_text(FrameIn::Text(WAIT_A), 1 << 20);
    assert_eq!(s.handle_input(0, Input::Connect), Ok(None));
    assert_eq!(s.handle_input(1, Input::SocketOpened(1)), Ok(None));
    assert_eq!(s.handle_input(2, Input::Frame(1, frame)), Ok(None));
    // refused: returned and logged
    assert_eq!(s.handle_input(3, Input::Act(Action::AcceptCustomer("zzz".into()))), Err(SessionError::UnknownCustomer("zzz".into())));
    assert_eq!(s.handle_input(4, Input::Act(Action::AcceptCustomer("a".into()))), Ok(None));
    let out: Vec<JsonOutput> = std::iter::from_fn(|| s.poll_output()).collect();
    assert_eq!(sent(&out), vec![r#"{"respStatus":2,"kfId":"k","userId":"a","userName":"A"}"#]);
    assert!(out.iter().any(|o| matches!(o, Output::Log { message, .. } if message.to_text().contains("zzz"))));
}

#[test]
fn config_validation_names_the_bad_setting() {
    let mut c = SessionConfig::new("  ");
    assert!(c.validate().unwrap_err().contains("kfId"));
    c = SessionConfig::new("k");
    c.reconnect_ms = 0;
    assert!(c.validate().unwrap_err().contains("reconnectMs"));
    assert!(SessionConfig::new("k").validate().is_ok());
}

#[test]
fn a_socket_replaced_by_a_newer_connection_is_not_fought_for() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    d.s.handle_socket_closed(d.now, conn, 4409);
    assert_eq!(states(&d.drain()), vec![LinkState::Replaced]);
    assert_eq!(d.s.poll_timeout(), None, "no reconnect is scheduled");
    let out = d.advance(60_000);
    assert!(opened(&out).is_none(), "a minute later still no new socket");
    d.s.handle_wake(d.now, WakeReason::Visible);
    assert!(opened(&d.drain()).is_none(), "nor when the tab becomes visible");
    // Messages typed meanwhile are held, not lost; connect() takes the connection back.
    d.s.send_message("u".into(), "U".into(), "held".into()).unwrap();
    assert_eq!(d.s.held_count(), 1);
    d.s.connect(d.now);
    assert!(opened(&d.drain()).is_some());
    assert_eq!(d.s.state(), LinkState::Connecting);
}

#[test]
fn log_lines_above_the_shells_level_are_not_output() {
    let lines = |max: Option<Option<LogLevel>>| {
        let mut s = JsonSession::new(SessionConfig::new("k"));
        if let Some(max) = max {
            s.log_only_to(max);
        }
        s.handle_input(0, Input::Connect).unwrap();
        s.handle_input(1, Input::SocketOpened(1)).unwrap();
        s.handle_input(2, Input::Frame(1, Received::Json(serde_json::json!({"status": 9})))).unwrap();
        s.handle_input(3, Input::Frame(1, Received::Json(serde_json::json!({"status": 77})))).unwrap();
        std::iter::from_fn(|| s.poll_output())
            .filter_map(|o| match o {
                Output::Log { level, message } => Some((level, message.to_text())),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let all = lines(None);
    assert!(all.iter().any(|(l, t)| *l == LogLevel::Debug && t.contains("heartbeat")), "every line by default: {all:?}");
    let warn = lines(Some(Some(LogLevel::Warn)));
    assert!(warn.iter().all(|(l, _)| *l <= LogLevel::Warn), "{warn:?}");
    assert!(warn.iter().any(|(_, t)| t.contains("77")), "the rejected frame is still logged: {warn:?}");
    assert_eq!(lines(Some(None)), vec![], "silent: none");
}
