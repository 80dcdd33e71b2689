//! The durable outbox in the core: which messages the shell is asked to keep (`Persist`) and drop
//! (`Forget`), and how messages kept by an earlier page load are restored: in order, before new
//! ones, under their own ids, once.
#![cfg(not(target_arch = "wasm32"))]

mod support;
use kefu_agent::core::*;
use support::*;

const HELLO_ACK: &str = r#"{"status":100,"data":{"features":["ack"],"epoch":"e"}}"#;

fn durable() -> Driver {
    let mut c = SessionConfig::new("xiaoming");
    c.client_token = "page1".into();
    c.durable_outbox = true;
    Driver::new(c)
}

fn persisted(out: &[JsonOutput]) -> Vec<(u64, String, String)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Persist { local_id, message } => Some((*local_id, message.msg_id.clone(), message.content.clone())),
            _ => None,
        })
        .collect()
}

fn forgotten(out: &[JsonOutput]) -> Vec<String> {
    out.iter()
        .filter_map(|o| match o {
            Output::Forget { msg_id } => Some(msg_id.clone()),
            _ => None,
        })
        .collect()
}

fn msg(id: &str, content: &str) -> PersistedMessage {
    PersistedMessage { msg_id: id.into(), user_id: "u1".into(), user_name: "U".into(), content: content.into() }
}

#[test]
fn held_messages_are_persisted_and_forgotten_once_acked() {
    let mut d = durable();
    let a = d.s.send_message("u1".into(), "U".into(), "offline".into()).unwrap();
    assert_eq!(persisted(&d.drain()), vec![(a, "page1-1".into(), "offline".into())]);
    let conn = d.connect_open();
    let out = d.frame(conn, HELLO_ACK);
    assert!(sent(&out).iter().any(|f| f.contains(r#""msgId":"page1-1""#)));
    assert!(forgotten(&out).is_empty(), "written is not confirmed under ack");
    // Sent while open under ack: persisted until its ack.
    let b = d.s.send_message("u1".into(), "U".into(), "online".into()).unwrap();
    assert_eq!(persisted(&d.drain()), vec![(b, "page1-2".into(), "online".into())]);
    assert_eq!(forgotten(&d.frame(conn, r#"{"status":101,"data":{"msgId":"page1-1"}}"#)), vec!["page1-1"]);
    assert_eq!(forgotten(&d.frame(conn, r#"{"status":101,"data":{"msgId":"page1-2","error":"not yours"}}"#)), vec!["page1-2"], "a refusal is final too");
}

#[test]
fn a_legacy_server_counts_a_written_message_as_sent_so_only_never_sent_ones_are_kept() {
    let mut d = durable();
    d.s.send_message("u1".into(), "U".into(), "held".into()).unwrap();
    assert_eq!(persisted(&d.drain()).len(), 1);
    let conn = d.connect_open();
    let out = d.frame(conn, PONG); // a legacy first frame: held messages go out
    assert_eq!(forgotten(&out), vec!["page1-1"], "written to a legacy server: dropped from storage");
    d.s.send_message("u1".into(), "U".into(), "direct".into()).unwrap();
    let out = d.drain();
    assert!(persisted(&out).is_empty() && forgotten(&out).is_empty(), "written at once: never stored");
    // A write that fails is held, so it is stored again.
    d.s.handle_send_failed(d.now, conn, Some(2));
    assert_eq!(persisted(&d.drain()), vec![(2, "page1-2".into(), "direct".into())]);
}

#[test]
fn restored_messages_go_first_in_order_under_their_own_ids_and_only_once() {
    let mut d = durable();
    d.s.send_message("u1".into(), "U".into(), "typed after the reload".into()).unwrap();
    d.drain();
    let kept = vec![msg("page0-7", "first"), msg("page0-8", "second")];
    d.s.handle_input(d.now, Input::Restore(kept.clone())).unwrap();
    let out = d.drain();
    let restored: Vec<(u64, String)> = ui(&out)
        .into_iter()
        .filter_map(|e| match e {
            UiEvent::Restored { local_id, message } => Some((local_id, message.content)),
            _ => None,
        })
        .collect();
    assert_eq!(restored, vec![(2, "first".into()), (3, "second".into())]);
    assert!(persisted(&out).is_empty(), "already in storage");
    d.s.handle_input(d.now, Input::Restore(kept)).unwrap();
    assert!(ui(&d.drain()).iter().all(|e| !matches!(e, UiEvent::Restored { .. })), "a second restore adds nothing");
    assert_eq!(d.s.held_count(), 3);
    let conn = d.connect_open();
    let texts = sent(&d.frame(conn, HELLO_ACK));
    let order: Vec<&str> = texts.iter().skip(1).map(|t| if t.contains("page0-7") { "first" } else if t.contains("page0-8") { "second" } else { "new" }).collect();
    assert_eq!(order, ["first", "second", "new"], "{texts:?}");
    assert_eq!(forgotten(&d.frame(conn, r#"{"status":101,"data":{"msgId":"page0-7"}}"#)), vec!["page0-7"]);
}

#[test]
fn restoring_while_open_sends_at_once() {
    let mut d = durable();
    let conn = d.connect_open();
    d.frame(conn, HELLO_ACK);
    d.s.handle_input(d.now, Input::Restore(vec![msg("old-1", "late")])).unwrap();
    let texts = sent(&d.drain());
    assert_eq!(texts.len(), 1);
    assert!(texts[0].contains(r#""msgId":"old-1""#) && texts[0].contains("late"));
}

#[test]
fn without_a_durable_outbox_nothing_is_persisted() {
    let mut d = Driver::agent();
    d.s.send_message("u1".into(), "U".into(), "x".into()).unwrap();
    assert!(persisted(&d.drain()).is_empty());
}
