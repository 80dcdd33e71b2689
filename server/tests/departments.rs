//! Departments, attacked: customers of a department are offered only to its agents, queue places
//! count within it, the agent a customer spoke to last is offered first (also after a restart,
//! from the store), a transfer to a department goes to its least busy free agent and moves the
//! customer, customers pick one or get one from their page's URL, and only supervisors change the
//! list (which is checked). Runs on SQLite and, with `KEFU_TEST_PG`, on PostgreSQL.

mod support;
use serde_json::{json, Value};
use support::*;

/// Departments `presales` (members `p`) and `aftersales` (members `a`), asking customers when `ask`.
async fn departments(s: &Server, p: &[&str], a: &[&str], ask: bool) {
    let body = json!({
        "departments": [{"id": "presales", "name": "售前", "agents": p}, {"id": "aftersales", "name": "售后", "agents": a}],
        "urlRules": [{"contains": "/pricing", "department": "presales"}],
        "ask": ask,
    });
    let (code, r) = s.post("/settings/departments", body).await;
    assert_eq!(code, 200, "{r}");
}

fn offered(user: &'static str) -> impl Fn(&Value) -> bool {
    move |v| v["status"] == 2 && v["data"]["id"] == user
}

async fn visitor_in(s: &Server, user: &str, department: &str) -> Peer {
    Peer::connect(&s.visitor_url(user, &format!("userName=V&department={department}"))).await
}

#[tokio::test]
async fn a_customer_of_a_department_is_offered_only_to_its_agents() {
    let s = Server::start().await;
    // Without departments both customers would go to dp-a: first by id, then the least busy.
    let mut aa = s.agent("dp-a").await;
    let mut pa = s.agent("dp-b").await;
    departments(&s, &["dp-b"], &["dp-a"], false).await;
    let _v = visitor_in(&s, "dp-v1", "presales").await;
    pa.recv_until(offered("dp-v1")).await;
    let _w = visitor_in(&s, "dp-v2", "presales").await;
    pa.recv_until(offered("dp-v2")).await;
    aa.silent(300).await;
    // An unknown department is no department: anyone's (here the least busy, by id).
    let _x = visitor_in(&s, "dp-v3", "nonesuch").await;
    let got = tokio::select! { f = pa.recv_until(offered("dp-v3")) => f, f = aa.recv_until(offered("dp-v3")) => f };
    assert_eq!(got["data"]["id"], "dp-v3");
    let (_, board) = s.get("/supervisor/board").await;
    let q = board["data"]["queue"].as_array().unwrap();
    assert!(q.iter().any(|w| w["userId"] == "dp-v1" && w["department"] == "presales"), "{board}");
    let me = board["data"]["agents"].as_array().unwrap().iter().find(|a| a["kfId"] == "dp-b").cloned().unwrap();
    assert_eq!(me["departments"], json!(["presales"]));
    // The agent's context panel names the customer's department; no department, none.
    let (code, ctx) = s.get("/visitors/context?userId=dp-v1").await;
    assert_eq!(code, 200, "{ctx}");
    assert_eq!(ctx["data"]["department"], json!({"id": "presales", "name": "售前"}));
    assert_eq!(s.get("/visitors/context?userId=dp-v3").await.1["data"]["department"], Value::Null);
}

#[tokio::test]
async fn an_offer_names_the_department_to_agents_using_queue_and_stays_original_for_others() {
    let s = Server::start().await;
    let mut q = s.agent_with("od-q", &["queue"]).await;
    let mut legacy = s.agent("od-l").await;
    departments(&s, &["od-q"], &["od-l"], false).await;
    let _v = visitor_in(&s, "od-v1", "presales").await;
    let offer = q.recv_until(offered("od-v1")).await;
    assert_eq!(offer["data"]["department"], json!({"id": "presales", "name": "售前"}), "{offer}");
    let _w = visitor_in(&s, "od-v2", "aftersales").await;
    let offer = legacy.recv_until(offered("od-v2")).await;
    assert_eq!(offer["data"], json!({"id": "od-v2", "userName": "V"}), "a legacy console gets the original frame");
}

#[tokio::test]
async fn queue_places_and_estimates_count_within_the_department() {
    let s = Server::start_with(|c| c.max_conversations = 1).await;
    let mut pa = s.agent("qp-pre").await;
    let mut aa = s.agent("qp-after").await;
    departments(&s, &["qp-pre"], &["qp-after"], false).await;
    for (agent, kf, user, dep) in [(&mut pa, "qp-pre", "qp-0", "presales"), (&mut aa, "qp-after", "qp-00", "aftersales")] {
        let mut v = visitor_in(&s, user, dep).await;
        agent.recv_until(offered(user)).await;
        agent.send(json!({"respStatus": 2, "kfId": kf, "userId": user, "userName": "V"})).await;
        v.recv_until(vstate("assigned")).await;
        std::mem::forget(v); // keeps the conversation
    }
    let mut p1 = visitor_in(&s, "qp-1", "presales").await;
    let mut a1 = visitor_in(&s, "qp-2", "aftersales").await;
    let mut p2 = visitor_in(&s, "qp-3", "presales").await;
    assert_eq!(p1.recv_until(vstate("waiting")).await["position"], 1);
    assert_eq!(a1.recv_until(vstate("waiting")).await["position"], 1, "first in its own department");
    assert_eq!(p2.recv_until(vstate("waiting")).await["position"], 2);
    // The presales customer ahead moves to aftersales: the one behind is first now, and the
    // time they waited counts there (they came before the aftersales customer).
    p1.send(json!({"type": "department", "id": "aftersales"})).await;
    assert_eq!(p1.recv_until(|f| f["type"] == "department").await["name"], "售后");
    p2.recv_until(|f| vstate("waiting")(f) && f["position"] == 1).await;
    p1.recv_until(|f| vstate("waiting")(f) && f["position"] == 1).await;
    a1.recv_until(|f| vstate("waiting")(f) && f["position"] == 2).await;
}

#[tokio::test]
async fn the_agent_a_customer_spoke_to_last_is_offered_first_also_after_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let s = Server::start_in(dir.clone(), |_| {}).await;
    let mut x = s.agent("la-x").await; // first by id: the usual pick on a tie
    s.post("/agents/presence", json!({"kfId": "la-x", "presence": "away"})).await;
    let (mut y, mut v) = assigned(&s, "la-y", "la-v").await;
    let (code, r) = s.get("/overSession/overUser?kfId=la-y&userId=la-v").await;
    assert_eq!(code, 200, "{r}");
    v.recv_until(vstate("ended")).await;
    s.post("/agents/presence", json!({"kfId": "la-x", "presence": "online"})).await;
    v.send(json!({"type": "message", "content": "又是我"})).await;
    y.recv_until(offered("la-v")).await;
    x.silent(300).await;
    drop((x, y, v));
    s.stop().await;
    // After a restart routing knows nothing of them: the store does.
    let s = Server::start_in(dir, |_| {}).await;
    let mut x = s.agent("la-x").await;
    let mut y = s.agent("la-y").await;
    let _v = s.visitor("la-v", "V").await;
    y.recv_until(offered("la-v")).await;
    x.silent(300).await;
    drop(tmp);
}

#[tokio::test]
async fn a_transfer_to_a_department_goes_to_its_least_busy_free_agent_and_moves_the_customer() {
    let s = Server::start().await;
    let (_from, _v) = assigned(&s, "tr-from", "tr-v").await;
    let mut busy = s.agent("tr-busy").await;
    let mut free = s.agent("tr-free").await;
    departments(&s, &["tr-from"], &["tr-busy", "tr-free"], false).await;
    let mut w = visitor_in(&s, "tr-w", "aftersales").await;
    let offer = tokio::select! { f = busy.recv_until(offered("tr-w")) => ("tr-busy", f), f = free.recv_until(offered("tr-w")) => ("tr-free", f) };
    assert_eq!(offer.0, "tr-busy", "a tie goes by id");
    busy.send(json!({"respStatus": 2, "kfId": "tr-busy", "userId": "tr-w", "userName": "V"})).await;
    w.recv_until(vstate("assigned")).await;
    // Someone else's customer, an unknown department, a department with nobody free: refused.
    let (code, _) = s.post_as("tr-free", "/transfer/transferUser", json!({"kfId": "tr-from", "userId": "tr-v", "toDepartment": "aftersales"})).await;
    assert_eq!(code, 403, "a curious agent acting as another");
    let (code, _) = s.post("/transfer/transferUser", json!({"kfId": "tr-free", "userId": "tr-v", "toDepartment": "aftersales"})).await;
    assert_eq!(code, 409, "not their conversation");
    let (code, _) = s.post("/transfer/transferUser", json!({"kfId": "tr-from", "userId": "tr-v", "toDepartment": "nonesuch"})).await;
    assert_eq!(code, 404);
    let (code, r) = s.post("/transfer/transferUser", json!({"kfId": "tr-from", "userId": "tr-v", "toDepartment": "presales"})).await;
    assert_eq!(code, 409, "only the asker is in presales: {r}");
    let (code, r) = s.post("/transfer/transferUser", json!({"kfId": "tr-from", "userId": "tr-v", "toDepartment": "aftersales"})).await;
    assert_eq!((code, r["data"]["toKfId"].as_str()), (200, Some("tr-free")), "the least busy: {r}");
    free.recv_until(|f| f["status"] == 4 && f["data"]["id"] == "tr-v").await;
    free.send(json!({"respStatus": 4, "kfId": "tr-free", "userId": "tr-v"})).await;
    let board = loop {
        let (_, b) = s.get("/supervisor/board").await;
        let me = b["data"]["agents"].as_array().unwrap().iter().find(|a| a["kfId"] == "tr-free").cloned().unwrap();
        if me["conversations"].as_array().is_some_and(|c| !c.is_empty()) {
            break me;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(board["conversations"][0]["department"], "aftersales", "{board}");
    // The reports count each conversation in its department: tr-w's from the start, tr-v's once
    // handed over (it began in none).
    let (_, r) = s.get("/reports/agents?department=aftersales").await;
    assert_eq!(r["data"]["queue"]["conversations"], 2, "{r}");
    let (_, r) = s.get("/reports/agents?department=-").await;
    assert_eq!(r["data"]["queue"]["conversations"], 0, "{r}");
}

#[tokio::test]
async fn customers_pick_a_department_or_get_one_from_their_page_url() {
    let s = Server::start().await;
    let mut pa = s.agent("pk-pre").await;
    let mut aa = s.agent("pk-after").await;
    departments(&s, &["pk-pre"], &["pk-after"], true).await;
    let mut v = s.visitor("pk-v", "V").await;
    let ask = v.recv_until(|f| f["type"] == "departments").await;
    assert_eq!(ask["list"], json!([{"id": "presales", "name": "售前"}, {"id": "aftersales", "name": "售后"}]));
    v.send(json!({"type": "department", "id": "nonesuch"})).await;
    assert!(v.recv_until(|f| f["type"] == "error").await["error"].as_str().unwrap_or_default().contains("unknown department"));
    v.send(json!({"type": "department", "id": "aftersales"})).await;
    v.recv_until(|f| f["type"] == "department").await;
    aa.recv_until(offered("pk-v")).await;
    // The page's URL: a rule puts them in presales (a withdrawn offer if it was elsewhere).
    let mut u = s.visitor("pk-u", "U").await;
    u.send(json!({"type": "context", "url": "https://shop.example/pricing?plan=pro"})).await;
    assert_eq!(u.recv_until(|f| f["type"] == "department").await["id"], "presales");
    pa.recv_until(offered("pk-u")).await;
    // In a conversation the department is not theirs to change.
    pa.send(json!({"respStatus": 2, "kfId": "pk-pre", "userId": "pk-u", "userName": "U"})).await;
    u.recv_until(vstate("assigned")).await;
    u.send(json!({"type": "department", "id": "aftersales"})).await;
    assert!(u.recv_until(|f| f["type"] == "error").await.to_string().contains("会话中"));
    // Garbage is an error frame; the socket stays.
    u.send(json!({"type": "department", "id": "x".repeat(40)})).await;
    u.recv_until(|f| f["type"] == "error").await;
    u.send(json!({"type": "ping"})).await;
    u.recv_until(|f| f["type"] == "pong").await;
}

#[tokio::test]
async fn only_supervisors_change_departments_and_bad_lists_are_refused() {
    let s = Server::start().await;
    let _a = s.agent("sv-a").await;
    let good = json!({"departments": [{"id": "vip", "name": "VIP", "agents": ["sv-a"]}]});
    let (code, _) = s.post_as("sv-a", "/settings/departments", good.clone()).await;
    assert_eq!(code, 403, "an agent with a valid token");
    let (code, r) = s.get_as("sv-a", "/settings/departments").await;
    assert_eq!((code, r["data"]["departments"].as_array().map(Vec::len)), (200, Some(0)), "agents read them (transfer picker)");
    let long_name = "名".repeat(33);
    let many: Vec<Value> = (0..51).map(|i| json!({"id": format!("d{i}"), "name": "D", "agents": []})).collect();
    for bad in [
        json!({"departments": [{"id": "Bad Id", "name": "X", "agents": []}]}),
        json!({"departments": [{"id": "-", "name": "X", "agents": []}]}), // `-`: no department, in reports
        json!({"departments": [{"id": "default", "name": "X", "agents": []}]}), // the partition of no department
        json!({"departments": [{"id": "vip", "name": long_name, "agents": []}]}),
        json!({"departments": [{"id": "vip", "name": "X", "agents": ["nobody-here"]}]}),
        json!({"departments": [{"id": "vip", "name": "X", "agents": []}, {"id": "vip", "name": "Y", "agents": []}]}),
        json!({"departments": [{"id": "vip", "name": "X", "agents": []}], "urlRules": [{"contains": "/x", "department": "other"}]}),
        json!({"departments": many}),
        json!({"departments": [], "extra": 1}),
        json!({"departments": [{"id": "vip", "name": "X", "agents": []}], "walkIn": "other"}),
        json!({"departments": [{"id": "vip", "name": "X", "agents": []}], "walkIn": 1}),
    ] {
        let (code, r) = s.post("/settings/departments", bad.clone()).await;
        assert_eq!(code, 400, "{bad} → {r}");
    }
    let (code, r) = s.post("/settings/departments", good).await;
    assert_eq!(code, 200, "{r}");
    let (_, health) = s.get("/healthz").await;
    assert_eq!(health["partitions"], json!(["default", "vip"]), "{health}");
    let (_, online) = s.get("/agents/online").await;
    assert!(online["data"].as_array().unwrap().iter().any(|a| a["id"] == "sv-a" && a["departments"] == json!(["vip"])), "{online}");
}

#[tokio::test]
async fn walk_ins_go_to_the_walk_in_department_once_one_is_named() {
    let s = Server::start().await;
    // By id dw-a would get a walk-in first; the walk-in department is dw-b's.
    let mut a = s.agent("dw-a").await;
    let mut b = s.agent("dw-b").await;
    let mut v1 = Peer::connect(&s.visitor_url("dw-v1", "userName=V")).await;
    let offer = tokio::select! { f = a.recv_until(offered("dw-v1")) => ("dw-a", f), f = b.recv_until(offered("dw-v1")) => ("dw-b", f) };
    assert_eq!(offer.0, "dw-a", "without a walk-in department anyone serves walk-ins");
    let body = json!({
        "departments": [{"id": "presales", "name": "售前", "agents": ["dw-a"]}, {"id": "aftersales", "name": "售后", "agents": ["dw-b"]}],
        "walkIn": "aftersales",
    });
    let (code, r) = s.post("/settings/departments", body).await;
    assert_eq!(code, 200, "{r}");
    assert_eq!(s.get("/settings/departments").await.1["data"]["walkIn"], "aftersales");
    // The open offer to dw-a is withdrawn, and the walk-in offered to the walk-in department.
    b.recv_until(offered("dw-v1")).await;
    let _v2 = Peer::connect(&s.visitor_url("dw-v2", "userName=W")).await;
    b.recv_until(offered("dw-v2")).await;
    a.silent(300).await;
    // A customer who names a department is still its department's.
    let _v3 = visitor_in(&s, "dw-v3", "presales").await;
    a.recv_until(offered("dw-v3")).await;
    v1.recv_until(vstate("waiting")).await;
}
