//! Benchmarks that print numbers (run by scripts/bench.sh with --ignored, in release): native cost
//! of decoding and dispatching frames, and timer wake-ups over idle time. Not timed assertions.
#![cfg(not(target_arch = "wasm32"))]

use kefu_agent::core::*;
use std::time::Instant;

fn mixed_frames(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| match i % 5 {
            0 => format!(r#"{{"status":1,"data":{{"userId":"u{}","userName":"张三","kfId":"xiaoming","content":"你好，我的订单 {i} 还没到","createTime":1764064800000}}}}"#, i % 50),
            1 => format!(r#"{{"status":2,"data":{{"id":"w{}","userName":"李四"}}}}"#, i % 50),
            2 => format!(r#"{{"status":4,"data":{{"id":"t{}","userName":"王五","fromKfId":"xiaohong"}}}}"#, i % 50),
            3 => format!(r#"{{"status":5,"data":{{"id":"r{}","userName":"赵六"}}}}"#, i % 50),
            _ => r#"{"status":9}"#.to_owned(),
        })
        .collect()
}

#[test]
#[ignore = "benchmark: run with --ignored --nocapture"]
fn bench_decode_and_dispatch() {
    let frames = mixed_frames(100_000);
    let mut samples = Vec::new();
    for _ in 0..7 {
        let mut s = Session::new(SessionConfig::new("xiaoming"));
        s.connect(0);
        while s.poll_output().is_some() {}
        s.handle_socket_opened(0, 1);
        while s.poll_output().is_some() {}
        let t = Instant::now();
        let mut outputs = 0usize;
        for f in &frames {
            s.handle_frame(1, 1, FrameIn::Text(f));
            while s.poll_output().is_some() {
                outputs += 1;
            }
        }
        samples.push(t.elapsed().as_secs_f64() * 1e9 / frames.len() as f64);
        assert!(outputs >= frames.len());
    }
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!("decode+dispatch, 100 000 mixed status 1/2/4/5/9 frames, native: median {:.0} ns/frame, worst {:.0} ns/frame", samples[3], samples[6]);
}

#[test]
#[ignore = "benchmark: run with --ignored --nocapture"]
fn bench_idle_wakeups() {
    let mut s = Session::new(SessionConfig::new("xiaoming"));
    s.connect(0);
    while s.poll_output().is_some() {}
    s.handle_socket_opened(0, 1);
    let (mut wakeups, mut pings) = (0u32, 0u32);
    while let Some(d) = s.poll_timeout() {
        if d > 600_000 {
            break;
        }
        let now = d;
        wakeups += 1;
        s.handle_timeout(now);
        while let Some(o) = s.poll_output() {
            if matches!(o, Output::Send { .. }) {
                pings += 1;
                s.handle_frame(now, 1, FrameIn::Text(r#"{"status":9}"#));
            }
        }
    }
    println!("timers over 10 idle minutes: {wakeups} wake-ups, {pings} pings ({:.1} per idle minute; one more than the pings: the hello wait after opening, as a legacy server never says hello)", wakeups as f64 / 10.0);
}
