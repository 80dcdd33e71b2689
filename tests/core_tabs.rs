//! The core's side of one socket shared by the tabs of an agent: a message another tab accepted is
//! sent here under its own id (and never stored twice), and numbering continues where the tab that
//! owned the socket before stopped, so nothing is replayed twice.
#![cfg(not(target_arch = "wasm32"))]

mod support;
use kefu_agent::core::*;
use support::*;

const HELLO: &str = r#"{"status":100,"data":{"features":["ack","seq"],"epoch":"e1"}}"#;

fn durable(token: &str) -> Driver {
    let mut c = SessionConfig::new("xiaoming");
    c.client_token = token.into();
    c.durable_outbox = true;
    Driver::new(c)
}

fn msg(id: &str, content: &str) -> PersistedMessage {
    PersistedMessage { msg_id: id.into(), user_id: "u1".into(), user_name: "U".into(), content: content.into() }
}

fn persists(out: &[JsonOutput]) -> usize {
    out.iter().filter(|o| matches!(o, Output::Persist { .. })).count()
}

fn forgotten(out: &[JsonOutput]) -> Vec<String> {
    out.iter().filter_map(|o| if let Output::Forget { msg_id } = o { Some(msg_id.clone()) } else { None }).collect()
}

#[test]
fn a_relayed_message_is_sent_under_its_own_id_not_stored_again_and_forgotten_when_acked() {
    let mut leader = durable("leader");
    let conn = leader.connect_open();
    leader.frame(conn, HELLO);
    let mut follower = durable("follower");
    let (local, msg_id) = follower.s.new_message_id();
    assert_eq!((local, msg_id.as_str()), (1, "follower-1"));
    let here = leader.s.handle_input(leader.now, Input::Relay(msg(&msg_id, "from the other tab"))).unwrap();
    let out = leader.drain();
    assert_eq!(persists(&out), 0, "the tab that accepted it stored it");
    let frames = sent(&out);
    assert_eq!(frames.len(), 1);
    assert!(frames[0].contains(r#""msgId":"follower-1""#) && frames[0].contains("from the other tab"), "{frames:?}");
    assert_eq!(forgotten(&leader.frame(conn, r#"{"status":101,"data":{"msgId":"follower-1"}}"#)), vec!["follower-1"]);
    // Its fate was reported under the local id it got here.
    assert!(here.is_some());
}

#[test]
fn a_message_both_relayed_and_restored_is_sent_once_whichever_comes_first() {
    for relay_first in [true, false] {
        let mut d = durable("new-leader");
        let m = msg("old-tab-3", "in flight when the leader closed");
        let relay = |d: &mut Driver| d.s.handle_input(d.now, Input::Relay(m.clone())).unwrap();
        let restore = |d: &mut Driver| d.s.handle_input(d.now, Input::Restore(vec![m.clone()])).unwrap();
        if relay_first {
            assert!(relay(&mut d).is_some());
            restore(&mut d);
        } else {
            restore(&mut d);
            assert_eq!(relay(&mut d), None, "already known by id");
        }
        assert_eq!(d.s.held_count(), 1);
        let conn = d.connect_open();
        let frames = sent(&d.frame(conn, HELLO));
        assert_eq!(frames.iter().filter(|f| f.contains("old-tab-3")).count(), 1, "{frames:?}");
    }
}

#[test]
fn a_relayed_message_that_fails_is_dropped_from_storage() {
    let mut c = SessionConfig::new("xiaoming");
    c.durable_outbox = true;
    c.offline_send = OfflineSend::Fail;
    let mut d = Driver::new(c);
    d.s.handle_input(d.now, Input::Relay(msg("t-1", "offline"))).unwrap();
    let out = d.drain();
    assert_eq!(forgotten(&out), vec!["t-1"], "a failed message must not come back on the next load");
    assert!(ui(&out).iter().any(|e| matches!(e, UiEvent::MessageStatus { status: DeliveryStatus::Failed, .. })));
    let err = d.s.handle_input(d.now, Input::Relay(PersistedMessage { user_id: "".into(), ..msg("t-2", "x") }));
    assert!(matches!(err, Err(SessionError::InvalidArgument(_))));
}

#[test]
fn a_new_owner_resumes_numbering_where_the_old_one_stopped() {
    let mut old = durable("old");
    let conn = old.connect_open();
    old.frame(conn, HELLO);
    let m = |seq: u64| format!(r#"{{"status":1,"data":{{"userId":"u","content":"m{seq}"}},"seq":{seq}}}"#);
    old.frame(conn, &m(1));
    old.frame(conn, &m(2));
    let (epoch, last) = old.s.resume_point();
    assert_eq!((epoch, last), (Some("e1"), 2));
    let mut new = durable("new");
    new.s.resume_from(epoch.map(String::from), last);
    let conn = new.connect_open();
    let out = new.frame(conn, HELLO);
    assert!(sent(&out)[0].ends_with(r#""lastSeq":2}"#), "{:?}", sent(&out));
    assert!(ui(&new.frame(conn, &m(2))).is_empty(), "seen by the old owner's tabs already");
    assert_eq!(ui(&new.frame(conn, &m(3))).len(), 1);
    // A server that restarted (new epoch) numbers from the start again.
    let mut other = durable("other");
    other.s.resume_from(Some("e0".into()), 9);
    let conn = other.connect_open();
    assert!(sent(&other.frame(conn, HELLO))[0].ends_with(r#""lastSeq":0}"#));
}
