//! Heartbeat and reconnect timing rules, with a fake clock.
#![cfg(not(target_arch = "wasm32"))]

mod support;
use kefu_agent::core::*;
use support::*;

#[test]
fn ping_exactly_at_30s_of_silence() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    let t0 = d.now;
    // First deadline: the wait for a server hello (legacy servers never send one).
    assert_eq!(d.s.poll_timeout(), Some(t0 + 3_000));
    d.run_until(t0 + 3_000);
    assert_eq!(d.s.poll_timeout(), Some(t0 + 30_000));
    assert!(sent(&d.run_until(t0 + 29_999)).is_empty(), "no ping before 30 s");
    assert_eq!(sent(&d.run_until(t0 + 30_000)), vec![PING.to_string()]);
    assert_eq!(d.s.stats().pings_sent, 1);
    let _ = conn;
}

#[test]
fn any_frame_resets_the_heartbeat_even_a_bad_one() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    let t0 = d.now;
    d.run_until(t0 + 20_000);
    d.frame(conn, r#"{"status":2,"data":{"id":"u1","userName":"A"}}"#);
    assert!(sent(&d.run_until(t0 + 49_999)).is_empty(), "a frame at 20 s moves the ping to 50 s");
    d.frame(conn, "garbage, not JSON");
    assert!(sent(&d.run_until(t0 + 79_998)).is_empty(), "a bad frame at 49.999 s still counts as life");
    assert_eq!(sent(&d.run_until(t0 + 79_999)), vec![PING.to_string()]);
}

#[test]
fn answer_within_5s_keeps_the_socket_and_rearms_30s() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    let t0 = d.now;
    d.run_until(t0 + 30_000);
    d.run_until(t0 + 34_000);
    d.frame(conn, PONG);
    let out = d.run_until(t0 + 63_999);
    assert!(closes(&out).is_empty() && sent(&out).is_empty());
    assert_eq!(sent(&d.run_until(t0 + 64_000)), vec![PING.to_string()]);
}

#[test]
fn close_at_5s_without_answer_then_reconnect_5s_later() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    let t0 = d.now;
    d.run_until(t0 + 30_000);
    assert!(closes(&d.run_until(t0 + 34_999)).is_empty());
    let out = d.run_until(t0 + 35_000);
    assert_eq!(closes(&out), vec![(conn, 4000)]);
    assert_eq!(states(&out), vec![LinkState::Reconnecting]);
    assert_eq!(opens(&d.run_until(t0 + 39_999)), 0, "no reconnect before 5 s");
    let out = d.run_until(t0 + 40_000);
    assert_eq!(opened(&out), Some(conn + 1));
}

#[test]
fn reconnect_5s_after_close_and_repeats_until_connected() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    let t0 = d.now;
    d.s.handle_socket_closed(t0, conn, 1006);
    let out = d.drain();
    assert_eq!(states(&out), vec![LinkState::Reconnecting]);
    assert_eq!(opened(&d.run_until(t0 + 5_000)), Some(2));
    // The retry fails at once: the next one comes 5 s after that failure.
    d.s.handle_socket_error(d.now, 2);
    d.drain();
    assert_eq!(opens(&d.run_until(t0 + 9_999)), 0);
    assert_eq!(opened(&d.run_until(t0 + 10_000)), Some(3));
    d.s.handle_socket_opened(d.now, 3);
    let out = d.drain();
    assert_eq!(states(&out), vec![LinkState::Open]);
}

#[test]
fn a_service_restart_close_reconnects_within_half_a_second_then_every_5s() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    let t0 = d.now;
    d.s.handle_socket_closed(t0, conn, 1012); // a cluster's routing moved: come back now
    let out = d.drain();
    assert_eq!(states(&out), vec![LinkState::Reconnecting]);
    let at = d.s.poll_timeout().expect("a reconnect is due");
    let delay = at - t0;
    assert!((RESTART_MIN_MS..RESTART_MIN_MS + RESTART_SPREAD_MS).contains(&delay), "{delay} ms");
    assert_eq!(opens(&d.run_until(at - 1)), 0);
    assert_eq!(opened(&d.run_until(at)), Some(conn + 1));
    // That attempt fails: back to the usual 5 s.
    d.s.handle_socket_error(d.now, conn + 1);
    d.drain();
    assert_eq!(opens(&d.run_until(at + 4_999)), 0);
    assert_eq!(opened(&d.run_until(at + 5_000)), Some(conn + 2));
    // Every other close keeps the 5 s (1006 above); and agents spread over the window.
    let delays: std::collections::BTreeSet<u64> = ["a", "b", "c", "xiaoming", "xiaohong", "kf001"]
        .iter()
        .map(|kf| {
            let mut d = Driver::new(SessionConfig::new(*kf));
            let conn = d.connect_open();
            let t0 = d.now;
            d.s.handle_socket_closed(t0, conn, 1012);
            d.drain();
            d.s.poll_timeout().unwrap() - t0
        })
        .collect();
    assert!(delays.len() >= 4, "spread, not one instant: {delays:?}");
}

#[test]
fn a_failover_server_gets_a_quick_first_reconnect_after_any_loss_a_legacy_one_5s() {
    let hello = r#"{"status":100,"data":{"features":["ack","failover"],"epoch":"e1"}}"#;
    let mut d = Driver::agent();
    let conn = d.connect_open();
    d.frame(conn, hello);
    d.drain();
    let t0 = d.now;
    d.s.handle_socket_closed(t0, conn, 1006); // the node holding the socket died
    d.drain();
    let mut at = t0;
    for attempt in 1..=QUICK_ATTEMPTS {
        let next = d.s.poll_timeout().unwrap();
        assert!(next - at < RESTART_MIN_MS + RESTART_SPREAD_MS, "attempt {attempt}: {} ms", next - at);
        d.run_until(next);
        d.s.handle_socket_error(next, conn + u64::from(attempt)); // no router yet: refused
        d.drain();
        at = next;
    }
    assert_eq!(d.s.poll_timeout(), Some(at + 5_000), "then the usual 5 s");
    // The same loss with a legacy server: exactly the original 5 s.
    let mut d = Driver::agent();
    let conn = d.connect_open();
    let t0 = d.now;
    d.s.handle_socket_error(t0, conn);
    d.drain();
    assert_eq!(d.s.poll_timeout(), Some(t0 + 5_000));
}

#[test]
fn lock_many_errors_and_closes_give_one_reconnect() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    let t = d.now;
    d.s.handle_socket_error(t, conn);
    d.s.handle_socket_error(t + 1, conn);
    d.s.handle_socket_closed(t + 2, conn, 1006);
    d.s.handle_socket_error(t + 3, conn);
    d.s.handle_wake(t + 4, WakeReason::Online); // a wake while waiting reconnects at once...
    d.s.handle_socket_closed(t + 5, conn, 1006);
    let out = d.drain();
    // ...so exactly one new socket: the wake's. No timer-driven duplicate follows.
    assert_eq!(opens(&out), 1);
    let new = opened(&out).unwrap();
    d.s.handle_socket_opened(t + 6, new);
    d.frame(new, PONG);
    d.s.handle_frame(t + 20_000, new, FrameIn::Text(PONG));
    assert_eq!(opens(&d.run_until(t + 49_000)), 0);
    assert_eq!(d.s.stats().stale_events, 4);
}

#[test]
fn stale_socket_events_are_ignored() {
    let mut d = Driver::agent();
    let old = d.connect_open();
    d.s.handle_socket_closed(d.now, old, 1006);
    d.run_until(d.now + 5_000);
    let new = d.s.live_conn().unwrap();
    assert!(new > old);
    // The old socket's late open, frames and close change nothing.
    d.s.handle_socket_opened(d.now, old);
    let out = d.frame(old, r#"{"status":2,"data":{"id":"u1","userName":"A"}}"#);
    assert!(ui(&out).is_empty());
    assert_eq!(d.s.state(), LinkState::Reconnecting);
    d.s.handle_socket_opened(d.now, new);
    d.s.handle_socket_closed(d.now, old, 1000);
    d.s.handle_socket_error(d.now, old);
    d.drain();
    assert_eq!(d.s.state(), LinkState::Open);
    assert!(d.s.waiting().is_empty());
}

#[test]
fn explicit_close_never_reconnects() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    d.s.close(d.now);
    let out = d.drain();
    assert_eq!(closes(&out), vec![(conn, 1000)]);
    assert_eq!(states(&out), vec![LinkState::Closed]);
    d.s.handle_socket_closed(d.now, conn, 1000);
    d.s.handle_wake(d.now, WakeReason::Visible);
    assert_eq!(d.s.poll_timeout(), None);
    assert_eq!(opens(&d.run_until(d.now + 3_600_000)), 0);
    // connect() starts again.
    d.s.connect(d.now);
    assert_eq!(opened(&d.drain()), Some(conn + 1));
}

#[test]
fn close_while_waiting_to_reconnect_cancels_the_retry() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    d.s.handle_socket_error(d.now, conn);
    d.s.close(d.now + 100);
    assert_eq!(opens(&d.run_until(d.now + 60_000)), 0);
}

#[test]
fn late_timer_in_a_throttled_tab_judges_by_elapsed_time() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    let t0 = d.now;
    // The timer for 30 s fires at 61 s: the ping goes out then, with 5 s from then to answer.
    d.s.handle_timeout(t0 + 61_000);
    assert_eq!(sent(&d.drain()), vec![PING.to_string()]);
    // An early spurious wake-up does nothing.
    d.s.handle_timeout(t0 + 62_000);
    assert!(closes(&d.drain()).is_empty());
    d.s.handle_timeout(t0 + 66_000);
    assert_eq!(closes(&d.drain()), vec![(conn, 4000)]);
}

#[test]
fn wake_pings_at_once_when_open_and_reconnects_at_once_when_not() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    d.now += 1_000;
    d.s.handle_wake(d.now, WakeReason::Visible);
    assert_eq!(sent(&d.drain()), vec![PING.to_string()]);
    // A second wake while the ping is out sends nothing more.
    d.s.handle_wake(d.now, WakeReason::PageShow);
    assert!(sent(&d.drain()).is_empty());
    d.s.handle_socket_closed(d.now, conn, 1006);
    d.drain();
    d.s.handle_wake(d.now + 10, WakeReason::Online);
    assert_eq!(opened(&d.drain()), Some(conn + 1));
}

#[test]
fn wake_after_a_long_sleep_with_a_ping_out_reconnects() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    let t0 = d.now;
    d.s.handle_timeout(t0 + 30_000);
    d.drain();
    // Laptop lid closed; opens an hour later: the ping was never answered.
    d.s.handle_wake(t0 + 3_600_000, WakeReason::Visible);
    let out = d.drain();
    assert_eq!(closes(&out), vec![(conn, 4000)]);
    assert_eq!(opened(&out), Some(conn + 1), "reconnects at once, not 5 s later");
}

#[test]
fn connect_timeout_abandons_a_socket_that_never_opens() {
    let mut d = Driver::agent();
    d.s.connect(d.now);
    let c1 = opened(&d.drain()).unwrap();
    let t0 = d.now;
    let out = d.run_until(t0 + 10_000);
    assert_eq!(closes(&out), vec![(c1, 4001)]);
    assert_eq!(opened(&d.run_until(t0 + 15_000)), Some(c1 + 1));
}

#[test]
fn idle_ten_minutes_wakes_only_for_the_pings_it_needs() {
    let mut d = Driver::agent();
    let conn = d.connect_open();
    let t0 = d.now;
    let mut wakeups = 0;
    let mut pings = 0;
    while let Some(deadline) = d.s.poll_timeout() {
        if deadline > t0 + 600_000 {
            break;
        }
        wakeups += 1;
        d.now = deadline;
        d.s.handle_timeout(deadline);
        let out = d.drain();
        pings += sent(&out).len();
        if !sent(&out).is_empty() {
            // The server answers at once.
            d.frame(conn, PONG);
        }
    }
    assert_eq!(pings, 20, "one ping per 30 s");
    assert_eq!(wakeups, 21, "the hello wait after opening, then no wake-up without a ping to send");
}

#[test]
fn custom_timings_are_honoured() {
    let mut c = SessionConfig::new("k");
    c.heartbeat_ms = 200;
    c.heartbeat_timeout_ms = 50;
    c.reconnect_ms = 70;
    let mut d = Driver::new(c);
    let conn = d.connect_open();
    let t0 = d.now;
    assert_eq!(sent(&d.run_until(t0 + 200)).len(), 1);
    assert_eq!(closes(&d.run_until(t0 + 250)), vec![(conn, 4000)]);
    assert_eq!(opened(&d.run_until(t0 + 320)), Some(conn + 1));
}
