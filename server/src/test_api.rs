//! The `/test/*` endpoints, mounted only with `--test-hooks` (never in production): push a raw
//! frame to an agent, drop an agent's socket, stall heartbeat answers, seed a long history. They sit outside the
//! routing hub, which knows nothing of them.

use crate::app_state::AppState;
use crate::hub::Out;
use crate::reply::{fail, ok, Reply};
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::Value;

/// Query of the test hooks.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestQuery {
    kf_id: Option<String>,
    ms: Option<u64>,
    user_id: Option<String>,
    count: Option<u32>,
}

fn to_agent(app: &AppState, q: TestQuery, out: Out) -> Reply {
    let Some(k) = q.kf_id else { return fail(400, "`kfId` is required") };
    match app.hub.agent_socket(&k) {
        Some(tx) => {
            let _ = tx.send(out);
            ok("ok", Value::Null)
        }
        None => fail(404, "agent not connected"),
    }
}

/// `POST /test/agent-frame?kfId=` (body: raw text) pushes a frame to a connected agent.
pub async fn agent_frame(State(app): State<AppState>, Query(q): Query<TestQuery>, body: String) -> Reply {
    to_agent(&app, q, Out::Text(body))
}

/// `POST /test/drop-agent?kfId=` closes an agent's socket (code 4000).
pub async fn drop_agent(State(app): State<AppState>, Query(q): Query<TestQuery>) -> Reply {
    to_agent(&app, q, Out::Close(4000, "dropped by test hook".into()))
}

/// `POST /test/stall?ms=` stops heartbeat answers for `ms` milliseconds.
pub async fn stall(State(app): State<AppState>, Query(q): Query<TestQuery>) -> Reply {
    match &app.test_hooks {
        Some(t) => {
            t.stall(q.ms.unwrap_or(10_000));
            ok("ok", Value::Null)
        }
        None => fail(404, "no such endpoint"),
    }
}

/// `POST /test/clock?ms=` moves the inactivity rules' clock forward by `ms` and judges at once.
pub async fn clock(State(app): State<AppState>, Query(q): Query<TestQuery>) -> Reply {
    app.hub.advance_clock(q.ms.unwrap_or(0) as i64);
    ok("ok", Value::Null)
}

/// `POST /test/history?userId=&kfId=&count=` stores `count` (at most 100 000) past messages
/// between the customer and the agent, one a second up to now, taking turns (benchmarks of long
/// histories). Returns how many were stored.
pub async fn history(State(app): State<AppState>, Query(q): Query<TestQuery>) -> Reply {
    let (Some(user_id), Some(kf_id)) = (q.user_id, q.kf_id) else { return fail(400, "`userId` and `kfId` are required") };
    let count = q.count.unwrap_or(0).min(100_000);
    let store = app.hub.store_arc();
    let stored = tokio::task::spawn_blocking(move || {
        let now = crate::hub::now_ms();
        for i in 0..count {
            let (sender, who) = if i % 2 == 0 { (crate::store::Sender::Visitor, "访客") } else { (crate::store::Sender::Agent, "客服") };
            let content = format!("第 {} 条（{who}）：以前的消息", i + 1);
            let m = crate::store::NewMessage {
                user_id: &user_id,
                user_name: "老顾客",
                kf_id: Some(&kf_id),
                sender,
                content: &content,
                at_ms: now - (count - i) as i64 * 1000,
                client_msg_id: None,
                deliver_to: None,
            };
            store.add_and_deliver(&m).map_err(|e| e.to_string())?;
        }
        Ok::<u32, String>(count)
    })
    .await;
    match stored {
        Ok(Ok(n)) => ok("ok", serde_json::json!({"stored": n})),
        Ok(Err(e)) => fail(500, &e),
        Err(e) => fail(500, &e.to_string()),
    }
}
