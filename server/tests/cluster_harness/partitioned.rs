//! What the partitioned-cluster tests share (`partitions.rs`, `affinity.rs`): the departments
//! they start with, and agents and customers speaking the protocol through a given address.

use super::{login, next, Ws};
use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

/// The partitions [`departments`] makes.
pub const PARTITIONS: [&str; 3] = ["billing", "default", "presales"];

/// A store with two departments of one agent each (`ps-a` in presales, `bl-a` in billing);
/// agents in neither (`df-a`) route in `default`.
pub fn departments(dir: &std::path::Path, store: &str) {
    let s = json!({"departments": [
        {"id": "presales", "name": "售前", "agents": ["ps-a"]},
        {"id": "billing", "name": "账单", "agents": ["bl-a"]},
    ], "ask": true});
    save_departments(dir, store, s);
}

pub fn save_departments(dir: &std::path::Path, store: &str, s: serde_json::Value) {
    let mut cfg = kefu_server::Config::for_tests(dir.join("admin"));
    cfg.store = store.to_owned();
    cfg.open_store().expect("the store").set_meta("settings.departments", &s.to_string()).expect("departments saved");
}

pub async fn send(ws: &mut Ws, v: serde_json::Value) {
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

/// Agent `kf` signed in and connected through node address `at`.
pub async fn agent(at: &str, kf: &str) -> Ws {
    let token = login(at, kf, kf).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{at}/websocket/{kf}?token={token}")).await.unwrap();
    next(&mut ws, |f| f["status"] == 100).await;
    ws
}

/// Customer `user` (of `department`, if any) connected through node address `at`.
pub async fn visitor(at: &str, user: &str, department: Option<&str>) -> Ws {
    let dep = department.map(|d| format!("&department={d}")).unwrap_or_default();
    let url = format!("ws://{at}/websocket/visitor/{user}?{}&userName=V{dep}", super::super::support::signed(user));
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

/// Agent `kf` accepts `user`'s offer; then one message each way.
pub async fn converse(agent: &mut Ws, kf: &str, visitor: &mut Ws, user: &str, what: &str) {
    next(agent, |f| f["status"] == 2 && f["data"]["id"] == user).await;
    send(agent, json!({"respStatus": 2, "kfId": kf, "userId": user, "userName": "V"})).await;
    next(visitor, |f| f["type"] == "status" && f["state"] == "assigned").await;
    chat(agent, kf, visitor, user, what).await;
}

/// One message each way between `kf` and `user`, already in a conversation.
pub async fn chat(agent: &mut Ws, kf: &str, visitor: &mut Ws, user: &str, what: &str) {
    send(visitor, json!({"type": "message", "content": format!("{what} from {user}")})).await;
    next(agent, |f| f["status"] == 1 && f["data"]["content"] == format!("{what} from {user}")).await;
    send(agent, json!({"kfId": kf, "userId": user, "userName": "V", "content": format!("{what} to {user}")})).await;
    next(visitor, |f| f["type"] == "message" && f["content"] == format!("{what} to {user}")).await;
}

