//! Wire protocol: exact outgoing bytes, decoding of every status, every bad-frame class.
#![cfg(not(target_arch = "wasm32"))]

mod support;
use kefu_agent::core::*;
use support::*;

fn num(n: i64) -> Scalar {
    Scalar::from(n)
}

#[test]
fn outgoing_frames_match_the_original_byte_for_byte() {
    // Expected strings are what the original's JSON.stringify of its object literals produces.
    let cases: Vec<(AgentFrame, &str)> = vec![
        (
            AgentFrame::Accept { kf_id: "xiaoming".into(), user_id: "u1".into(), user_name: "张三".into() },
            r#"{"respStatus":2,"kfId":"xiaoming","userId":"u1","userName":"张三"}"#,
        ),
        (
            AgentFrame::Decline { kf_id: "xiaoming".into(), user_id: num(42), user_name: "李四".into() },
            r#"{"respStatus":3,"kfId":"xiaoming","userId":42,"userName":"李四"}"#,
        ),
        (
            AgentFrame::AcceptTransfer { user_id: "u1".into(), kf_id: "xiaoming".into() },
            r#"{"respStatus":4,"userId":"u1","kfId":"xiaoming"}"#,
        ),
        (AgentFrame::RejectTransfer { user_id: num(7) }, r#"{"respStatus":5,"userId":7}"#),
        (AgentFrame::Ping { kf_id: "xiaoming".into() }, r#"{"respStatus":9,"kfId":"xiaoming"}"#),
        (
            AgentFrame::Chat {
                kf_id: "xiaoming".into(),
                kf_name: "小明".into(),
                user_id: "u1".into(),
                user_name: "张三".into(),
                content: "你好 \"quoted\" \\ </script> face[微笑]".into(),
                msg_id: None,
            },
            r#"{"kfId":"xiaoming","kfName":"小明","userId":"u1","userName":"张三","content":"你好 \"quoted\" \\ </script> face[微笑]"}"#,
        ),
    ];
    for (frame, expected) in cases {
        assert_eq!(frame.encode(), expected, "{frame:?}");
    }
}

#[test]
fn session_actions_emit_those_frames() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    d.run_until(d.now + 3_000); // legacy server: the hello wait is over
    d.frame(conn, r#"{"status":2,"data":{"id":"u1","userName":"张三"}}"#);
    d.frame(conn, r#"{"status":2,"data":{"id":42,"userName":"李四"}}"#);
    d.frame(conn, r#"{"status":4,"data":{"id":"u9","userName":"王五","fromKfId":"kf2"}}"#);
    d.frame(conn, r#"{"status":4,"data":{"id":8,"userName":"赵六"}}"#);
    d.s.accept_customer(&"u1".into()).unwrap();
    d.s.decline_customer(&num(42)).unwrap();
    d.s.accept_transfer(&"u9".into()).unwrap();
    d.s.reject_transfer(&num(8)).unwrap();
    d.s.send_message("u1".into(), "张三".into(), "您好".into()).unwrap();
    assert_eq!(
        sent(&d.drain()),
        vec![
            r#"{"respStatus":2,"kfId":"xiaoming","userId":"u1","userName":"张三"}"#,
            r#"{"respStatus":3,"kfId":"xiaoming","userId":42,"userName":"李四"}"#,
            r#"{"respStatus":4,"userId":"u9","kfId":"xiaoming"}"#,
            r#"{"respStatus":5,"userId":8}"#,
            r#"{"kfId":"xiaoming","kfName":"小明","userId":"u1","userName":"张三","content":"您好"}"#,
        ]
    );
}

#[test]
fn status_1_becomes_a_message_event() {
    let f = decode_frame(r#"{"status":1,"data":{"userId":"u1","userName":"张三","kfId":"xiaoming","content":"<b>hi</b>","createTime":1700000000000,"extra":true}}"#).unwrap();
    // The data object goes to the UI as sent, unknown fields included.
    let expected: serde_json::Value = serde_json::from_str(
        r#"{"userId":"u1","userName":"张三","kfId":"xiaoming","content":"<b>hi</b>","createTime":1700000000000,"extra":true}"#,
    )
    .unwrap();
    assert_eq!(f, ServerFrame::CustomerMessage(expected));
}

#[test]
fn a_message_without_user_name_is_given_the_id_text() {
    match decode_frame(r#"{"status":1,"data":{"userId":42,"content":"x"}}"#) {
        Ok(ServerFrame::CustomerMessage(m)) => {
            assert_eq!(m["userName"], "42");
            assert_eq!(m["userId"], 42, "the id keeps its JSON type");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn status_may_be_a_numeric_string_like_the_originals_loose_equality() {
    assert_eq!(decode_frame(r#"{"status":"9"}"#), Ok(ServerFrame::Heartbeat));
    assert_eq!(decode_frame(r#"{"status":9.0,"data":null}"#), Ok(ServerFrame::Heartbeat));
}

#[test]
fn statuses_2_4_5_name_the_customer_by_id() {
    let c = |id: Scalar, n: &str| Customer { id, user_name: n.into() };
    let who = |f: ServerFrame<serde_json::Value>| match f {
        ServerFrame::CustomerWaiting(o) | ServerFrame::TransferRejected(o) | ServerFrame::TransferRequest(o) => o,
        other => panic!("{other:?}"),
    };
    let w = decode_frame(r#"{"status":2,"data":{"id":5,"userName":"A"}}"#).unwrap();
    assert!(matches!(w, ServerFrame::CustomerWaiting(_)));
    assert_eq!(who(w).customer, c(num(5), "A"));
    let r = decode_frame(r#"{"status":5,"data":{"id":"x","userName":"B"}}"#).unwrap();
    assert!(matches!(r, ServerFrame::TransferRejected(_)));
    assert_eq!(who(r).customer, c("x".into(), "B"));
    let t = decode_frame(r#"{"status":4,"data":{"id":"x","userName":"B","reason":"lunch"}}"#).unwrap();
    assert!(matches!(t, ServerFrame::TransferRequest(_)));
    let t = who(t);
    assert_eq!(t.customer, c("x".into(), "B"));
    assert_eq!(t.data["reason"], "lunch");
    // A missing userName falls back to the id, in the core and in the payload the UI gets.
    let w = who(decode_frame(r#"{"status":2,"data":{"id":"u7"}}"#).unwrap());
    assert_eq!(w.customer, c("u7".into(), "u7"));
    assert_eq!(w.data["userName"], "u7");
}

#[test]
fn every_bad_frame_class_is_named() {
    let class = |t: &str| decode_frame(t).unwrap_err().class();
    assert_eq!(class("not json"), "not-json");
    assert_eq!(class(""), "not-json");
    assert_eq!(class(r#"{"status":1"#), "not-json");
    assert_eq!(class("[1,2]"), "not-object");
    assert_eq!(class("42"), "not-object");
    assert_eq!(class("null"), "not-object");
    assert_eq!(class(r#"{"data":{}}"#), "bad-status");
    assert_eq!(class(r#"{"status":"one"}"#), "bad-status");
    assert_eq!(class(r#"{"status":1.5}"#), "bad-status");
    assert_eq!(class(r#"{"status":7}"#), "unknown-status");
    assert_eq!(class(r#"{"status":-1}"#), "unknown-status");
    assert_eq!(class(r#"{"status":1}"#), "bad-data");
    assert_eq!(class(r#"{"status":1,"data":{"userName":"x","content":"c"}}"#), "bad-data");
    assert_eq!(class(r#"{"status":1,"data":{"userId":"u","content":5}}"#), "bad-data");
    assert_eq!(class(r#"{"status":1,"data":{"userId":true,"content":"c"}}"#), "bad-data");
    assert_eq!(class(r#"{"status":2,"data":"u1"}"#), "bad-data");
    assert_eq!(class(r#"{"status":2,"data":{"id":""}}"#), "bad-data");
    assert_eq!(class(r#"{"status":4,"data":{"id":null}}"#), "bad-data");
    assert_eq!(class(r#"{"status":1,"data":{"userId":"u","content":"c","userName":7}}"#), "bad-data");
    assert_eq!(class(r#"{"status":1,"data":{"userId":"u","content":"c","createTime":{}}}"#), "bad-data");
    assert_eq!(class(r#"{"status":1,"data":{"userId":"u","content":"c"},"seq":-1}"#), "bad-data");
    assert_eq!(class(r#"{"status":100,"data":{"features":"ack"}}"#), "bad-data");
    assert_eq!(class(r#"{"status":101,"data":{}}"#), "bad-data");
    assert_eq!(class(r#"{"status":5,"data":{"id":{"a":1}}}"#), "bad-data");
}

#[test]
fn bad_frames_are_logged_counted_and_skipped_and_the_session_stays_up() {
    let mut c = SessionConfig::new("xiaoming");
    c.max_frame_chars = 64;
    let mut d = Driver::new(c);
    let conn = d.connect_open();
    let bad = ["{", "[]", r#"{"status":77}"#, r#"{"status":1,"data":{}}"#];
    for b in bad {
        let out = d.frame(conn, b);
        assert!(out.iter().any(|o| matches!(o, Output::Log { level: LogLevel::Warn, .. })), "{b} is logged");
    }
    d.s.handle_frame(d.now, conn, FrameIn::Binary(10));
    d.s.handle_frame(d.now, conn, FrameIn::TooLong(1 << 30));
    let big = format!(r#"{{"status":1,"data":{{"userId":"u","content":"{}"}}}}"#, "x".repeat(100));
    d.s.handle_frame(d.now, conn, FrameIn::Text(&big));
    let out = d.drain();
    let totals: Vec<u64> = ui(&out)
        .into_iter()
        .filter_map(|e| match e {
            UiEvent::FrameRejected { total, error } => {
                assert!(matches!(error, FrameError::Binary { .. } | FrameError::TooLarge { .. }));
                Some(total)
            }
            _ => None,
        })
        .collect();
    assert_eq!(totals, vec![5, 6, 7]);
    assert_eq!(d.s.stats().frames_rejected, 7);
    assert_eq!(d.s.state(), LinkState::Open);
    // Still works.
    let out = d.frame(conn, r#"{"status":1,"data":{"userId":"u","content":"ok"}}"#);
    assert!(matches!(ui(&out)[..], [UiEvent::Message(_)]));
}

#[test]
fn a_frame_within_the_limit_in_utf16_units_passes_even_if_longer_in_bytes() {
    let mut c = SessionConfig::new("xiaoming");
    c.max_frame_chars = 80;
    let mut d = Driver::new(c);
    let conn = d.connect_open();
    let text = format!(r#"{{"status":1,"data":{{"userId":"u","content":"{}"}}}}"#, "好".repeat(30));
    assert!(text.len() > 80 && text.encode_utf16().count() <= 80);
    let out = d.frame(conn, &text);
    assert!(matches!(ui(&out)[..], [UiEvent::Message(_)]));
}

#[test]
fn decode_never_panics_on_truncations_of_valid_frames() {
    let frames = [
        r#"{"status":1,"data":{"userId":"u1","userName":"张三","kfId":"k","content":"hi","createTime":"2024-01-01 10:00"}}"#,
        r#"{"status":4,"data":{"id":12345678901234567890,"userName":"\ud83d\ude00"}}"#,
    ];
    for f in frames {
        for (i, _) in f.char_indices() {
            let _ = decode_frame(&f[..i]);
        }
    }
}

#[test]
fn hello_is_answered_with_the_supported_subset_and_a_legacy_server_never_sees_extensions() {
    // Legacy server: no hello, so no extension frame is ever sent.
    let mut d = Driver::agent();
    let conn = d.connect_open();
    d.frame(conn, r#"{"status":2,"data":{"id":"a","userName":"A"}}"#);
    d.s.accept_customer(&"a".into()).unwrap();
    let out = d.run_until(d.now + 30_000);
    assert!(sent(&out).iter().all(|f| !f.contains("100")), "{:?}", sent(&out));
    assert!(d.s.extensions().is_empty());
    // Extension server.
    let mut d = Driver::agent();
    let conn = d.connect_open();
    let out = d.frame(conn, r#"{"status":100,"data":{"server":"x","features":["withdraw","teleport"]}}"#);
    assert_eq!(sent(&out), vec![r#"{"respStatus":100,"features":["withdraw"]}"#]);
    assert_eq!(d.s.extensions(), &[Extension::Withdraw]);
    // A new socket starts legacy again until its own hello.
    d.s.handle_socket_closed(d.now, conn, 1006);
    d.reopen();
    assert!(d.s.extensions().is_empty());
}

#[test]
fn a_withdrawn_offer_leaves_the_queue() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    d.frame(conn, r#"{"status":2,"data":{"id":"a","userName":"A"}}"#);
    d.frame(conn, r#"{"status":2,"data":{"id":"b","userName":"B"}}"#);
    let out = d.frame(conn, r#"{"status":3,"data":{"id":"a","userName":"A","reason":"customer left"}}"#);
    assert!(matches!(&ui(&out)[0], UiEvent::OfferWithdrawn { reason, .. } if reason == "customer left"));
    assert_eq!(d.s.waiting().len(), 1);
    assert_eq!(d.s.accept_customer(&"a".into()), Err(SessionError::UnknownCustomer("a".into())));
}

fn hello(d: &mut Driver, conn: ConnId, epoch: &str) -> Vec<JsonOutput> {
    d.frame(conn, &format!(r#"{{"status":100,"data":{{"features":["withdraw","ack","seq"],"epoch":"{epoch}"}}}}"#))
}

#[test]
fn with_ack_messages_carry_ids_and_unacked_ones_are_resent_after_reconnect() {
    let mut c = SessionConfig::new("xiaoming");
    c.client_token = "t1".into();
    let mut d = Driver::new(c);
    let conn = d.connect_open();
    let out = hello(&mut d, conn, "e1");
    assert_eq!(sent(&out), vec![r#"{"respStatus":100,"features":["withdraw","ack","seq"],"lastSeq":0}"#]);
    let a = d.s.send_message("u1".into(), "U".into(), "one".into()).unwrap();
    let b = d.s.send_message("u1".into(), "U".into(), "two".into()).unwrap();
    let out = d.drain();
    assert_eq!(
        sent(&out),
        vec![
            format!(r#"{{"kfId":"xiaoming","kfName":"xiaoming","userId":"u1","userName":"U","content":"one","msgId":"t1-{a}"}}"#),
            format!(r#"{{"kfId":"xiaoming","kfName":"xiaoming","userId":"u1","userName":"U","content":"two","msgId":"t1-{b}"}}"#),
        ]
    );
    let out = d.frame(conn, &format!(r#"{{"status":101,"data":{{"msgId":"t1-{a}"}}}}"#));
    assert_eq!(ui(&out), vec![UiEvent::MessageStatus { local_id: a, status: DeliveryStatus::Acked, reason: None }]);
    assert_eq!(d.s.unacked_count(), 1);
    // The socket dies before "two" is acked; a third is typed while down.
    d.s.handle_socket_closed(d.now, conn, 1006);
    d.s.send_message("u1".into(), "U".into(), "three".into()).unwrap();
    let c2 = d.reopen();
    let out = hello(&mut d, c2, "e1");
    let texts = sent(&out);
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert!(texts[0].starts_with(r#"{"respStatus":100"#));
    assert!(texts[1].contains(r#""content":"two""#) && texts[1].contains(&format!("t1-{b}")), "unacked first");
    assert!(texts[2].contains(r#""content":"three""#), "then the held one");
    assert_eq!(d.s.stats().resent, 1);
}

#[test]
fn with_seq_duplicates_are_dropped_and_last_seq_is_reported_on_reconnect() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    hello(&mut d, conn, "e1");
    let m = |seq: u64, text: &str| format!(r#"{{"status":1,"data":{{"userId":"u","content":"{text}"}},"seq":{seq}}}"#);
    let messages = |out: &[JsonOutput]| ui(out).iter().filter(|e| matches!(e, UiEvent::Message(_))).count();
    assert_eq!(messages(&d.frame(conn, &m(1, "a"))), 1);
    assert_eq!(messages(&d.frame(conn, &m(2, "b"))), 1);
    assert_eq!(messages(&d.frame(conn, &m(2, "b"))), 0, "a replayed frame is dropped");
    assert_eq!(d.s.stats().duplicates_dropped, 1);
    d.s.handle_socket_closed(d.now, conn, 1006);
    let c2 = d.reopen();
    let out = hello(&mut d, c2, "e1");
    assert!(sent(&out)[0].ends_with(r#""lastSeq":2}"#), "{:?}", sent(&out));
    // A restarted server (new epoch) numbers from 1 again: nothing is dropped.
    d.s.handle_socket_closed(d.now, c2, 1006);
    let c3 = d.reopen();
    let out = hello(&mut d, c3, "e2");
    assert!(sent(&out)[0].ends_with(r#""lastSeq":0}"#));
    assert_eq!(messages(&d.frame(c3, &m(1, "fresh"))), 1);
}

#[test]
fn a_legacy_server_ignores_seq_fields_and_never_sees_msg_ids() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    d.run_until(d.now + 3_000);
    let f = r#"{"status":1,"data":{"userId":"u","content":"x"},"seq":5}"#;
    d.frame(conn, f);
    let out = d.frame(conn, f);
    assert_eq!(ui(&out).len(), 1, "without the seq extension both are delivered, as the original would");
    d.s.send_message("u".into(), "U".into(), "hi".into()).unwrap();
    assert!(!sent(&d.drain())[0].contains("msgId"));
}

#[test]
fn a_failed_write_is_held_again_in_order() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    d.run_until(d.now + 3_000);
    let a = d.s.send_message("u".into(), "U".into(), "a".into()).unwrap();
    let b = d.s.send_message("u".into(), "U".into(), "b".into()).unwrap();
    d.drain();
    d.s.handle_send_failed(d.now, conn, Some(b));
    d.s.handle_send_failed(d.now, conn, Some(a));
    d.drain();
    assert_eq!(d.s.held_count(), 2);
    d.run_until(d.now + 5_000);
    let c2 = d.s.live_conn().unwrap();
    d.s.handle_socket_opened(d.now, c2);
    let out = d.run_until(d.now + 3_000);
    let texts = sent(&out);
    assert_eq!(texts[0], PING, "opening with held messages pings first");
    assert!(texts[1].contains(r#""content":"a""#) && texts[2].contains(r#""content":"b""#), "{texts:?}");
}

#[test]
fn a_flood_of_offers_or_bad_frames_is_bounded() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    for i in 0..MAX_WAITING + 50 {
        d.s.handle_frame(d.now, conn, FrameIn::Text(&format!(r#"{{"status":2,"data":{{"id":"f{i}"}}}}"#)));
        while d.s.poll_output().is_some() {}
    }
    assert_eq!(d.s.waiting().len(), MAX_WAITING);
    assert_eq!(d.s.stats().frames_rejected, 50);
    // 10 000 bad frames in one second: all counted, only the first 20 reported.
    let mut reported = 0;
    for _ in 0..10_000 {
        d.s.handle_frame(d.now, conn, FrameIn::Text("garbage"));
        reported += ui(&d.drain()).iter().filter(|e| matches!(e, UiEvent::FrameRejected { .. })).count();
    }
    assert_eq!(d.s.stats().frames_rejected, 10_050);
    assert!(reported <= 20, "{reported}");
    assert_eq!(d.s.state(), LinkState::Open);
}

#[test]
fn a_first_frame_that_is_not_a_hello_ends_the_wait_at_once() {
    let mut d = Driver::agent();
    d.s.send_message("u".into(), "U".into(), "held".into()).unwrap();
    let conn = d.connect_open();
    assert_eq!(d.s.held_count(), 1);
    let out = d.frame(conn, PONG);
    assert_eq!(d.s.held_count(), 0, "a legacy server's first frame releases held messages");
    assert!(sent(&out)[0].contains(r#""content":"held""#) && !sent(&out)[0].contains("msgId"));
}

#[test]
fn a_full_queue_rejection_in_a_new_second_is_reported_again() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    for i in 0..MAX_WAITING {
        d.s.handle_frame(d.now, conn, FrameIn::Text(&format!(r#"{{"status":2,"data":{{"id":"f{i}"}}}}"#)));
        while d.s.poll_output().is_some() {}
    }
    let offer = |d: &mut Driver, i: u32| {
        d.s.handle_frame(d.now, conn, FrameIn::Text(&format!(r#"{{"status":2,"data":{{"id":"over{i}"}}}}"#)));
        ui(&d.drain()).iter().filter(|e| matches!(e, UiEvent::FrameRejected { .. })).count()
    };
    // A second's worth of rejections: the first 20 are reported, the rest only counted.
    let first: usize = (0..30).map(|i| offer(&mut d, i)).sum();
    assert_eq!(first, 20);
    // A later second opens a new window: a queue-full rejection is reported again.
    d.now += 1_000;
    assert_eq!(offer(&mut d, 100), 1, "a new second reports rejections again");
}
