//! A conversation's life, attacked and timed on the server's own clock (`/test/clock` moves the
//! inactivity rules' clock forward): offers that lapse move on, silent conversations stop counting
//! against the cap, are warned and closed, close-out tags are checked, ratings go to the last agent
//! once, messages left while nobody answers are claimed by one agent, and recalls are the sender's
//! own, within the window, never seen by a legacy agent. Runs on SQLite and, with `KEFU_TEST_PG`,
//! on PostgreSQL.

mod support;
use serde_json::{json, Value};
use support::*;

const LIFE: &[&str] = &["ack", "withdraw", "queue", "lifecycle", "recall"];

async fn advance(s: &Server, secs: i64) {
    let (code, body) = s.post(&format!("/test/clock?ms={}", secs * 1000), json!({})).await;
    assert_eq!(code, 200, "{body}");
}

fn lifecycle(event: &'static str) -> impl Fn(&Value) -> bool {
    move |v| v["status"] == 111 && v["data"]["event"] == event
}

#[tokio::test]
async fn an_offer_nobody_accepts_moves_to_the_next_agent_not_yet_tried_with_a_countdown() {
    let s = Server::start().await;
    let mut a = s.agent_with("ot-a", LIFE).await;
    let mut b = s.agent_with("ot-b", LIFE).await;
    let _v = s.visitor("ot-v", "V").await;
    let offer = a.recv_until(status(2)).await;
    let left = offer["data"]["offerExpiresInMs"].as_i64().expect("the countdown");
    assert!((55_000..=60_000).contains(&left), "{offer}");
    advance(&s, 61).await;
    let w = a.recv_until(status(3)).await;
    assert_eq!(w["data"]["reason"], "offer timed out");
    a.recv_until(lifecycle("offerExpired")).await;
    assert_eq!(b.recv_until(status(2)).await["data"]["id"], "ot-v", "the agent not yet tried");
    // The lapsed agent can no longer take it.
    a.send(json!({"respStatus": 2, "userId": "ot-v"})).await;
    advance(&s, 61).await; // b lets it lapse too: everyone tried, a new round starts with a
    b.recv_until(status(3)).await;
    assert_eq!(a.recv_until(status(2)).await["data"]["id"], "ot-v");
    a.send(json!({"respStatus": 2, "userId": "ot-v"})).await;
    let (_, board) = s.get("/supervisor/board").await;
    let agents = board["data"]["agents"].as_array().unwrap();
    assert!(agents.iter().any(|x| x["kfId"] == "ot-a" && x["conversations"][0]["userId"] == "ot-v"), "{board}");
}

#[tokio::test]
async fn a_silent_conversation_leaves_the_cap_then_is_warned_and_closed_politely() {
    let s = Server::start_with(|c| {
        c.max_conversations = 1;
        c.inactive_secs = 600;
        c.idle_close_secs = 1800;
        c.idle_warn_secs = 120;
    })
    .await;
    let (mut a, mut v) = assigned_with(&s, "idle-a", "idle-v", LIFE).await;
    let _w = s.visitor("idle-w", "W").await;
    a.silent(300).await; // at the cap: the second customer is not offered
    advance(&s, 601).await;
    assert_eq!(a.recv_until(status(2)).await["data"]["id"], "idle-w", "inactive: off the cap");
    let (_, board) = s.get("/supervisor/board").await;
    let me = board["data"]["agents"].as_array().unwrap().iter().find(|x| x["kfId"] == "idle-a").cloned().unwrap();
    assert_eq!(me["conversations"][0]["inactive"], true, "the board says so: {me}");
    advance(&s, 1080).await; // 1681 s of silence: the warning
    let n = v.recv_until(|f| f["type"] == "notice").await;
    assert!(n["text"].as_str().unwrap().contains("分钟后自动结束"), "{n}");
    let warn = a.recv_until(lifecycle("idleWarning")).await;
    assert!(warn["data"]["closesInMs"].as_i64().unwrap() <= 120_000, "{warn}");
    advance(&s, 120).await;
    let ended = v.recv_until(vstate("ended")).await;
    assert_eq!(ended["rate"], true, "the page asks for a rating: {ended}");
    assert!(ended["text"].as_str().unwrap().contains("自动结束"), "{ended}");
    assert_eq!(a.recv_until(lifecycle("closed")).await["data"]["reason"], "idle");
    let (_, convs) = s.get("/chatLog/conversations?userId=idle-v").await;
    assert_eq!(convs["data"]["list"][0]["outcome"], "idle", "{convs}");
}

#[tokio::test]
async fn a_message_keeps_a_conversation_alive() {
    let s = Server::start_with(|c| {
        c.idle_close_secs = 100;
        c.idle_warn_secs = 20;
    })
    .await;
    let (mut a, mut v) = assigned_with(&s, "alive-a", "alive-v", LIFE).await;
    advance(&s, 85).await;
    v.recv_until(|f| f["type"] == "notice").await;
    v.send(json!({"type": "message", "content": "还在", "msgId": "m1"})).await;
    a.recv_until(status(1)).await;
    advance(&s, 30).await; // 115 s since the start, 30 s since the message
    let seen = v.drain_for(300).await;
    assert!(!seen.iter().any(|f| f["state"] == "ended"), "{seen:?}");
}

#[tokio::test]
async fn close_out_tags_are_the_supervisors_list_and_required_when_they_say_so() {
    let s = Server::start().await;
    let (_a, mut v) = assigned_with(&s, "co-a", "co-v", LIFE).await;
    let (code, _) = s.post_as("co-a", "/settings/closeout", json!({"tags": ["x"], "required": false})).await;
    assert_eq!(code, 403, "agents cannot change the list");
    for bad in [json!({"tags": [" 退款"]}), json!({"tags": ["a,b"]}), json!({"tags": [], "required": true}), json!({"tags": "x"})] {
        let (code, body) = s.post_as(SUPERVISOR, "/settings/closeout", bad.clone()).await;
        assert_eq!(code, 400, "{bad} → {body}");
    }
    let (code, _) = s.post_as(SUPERVISOR, "/settings/closeout", json!({"tags": ["退款", "咨询"], "required": true})).await;
    assert_eq!(code, 200);
    assert_eq!(s.get_as("co-a", "/settings/closeout").await.1["data"]["tags"], json!(["退款", "咨询"]));
    let (code, body) = s.get("/overSession/overUser?kfId=co-a&userId=co-v").await;
    assert_eq!(code, 400, "a tag is required: {body}");
    let (code, _) = s.get("/overSession/overUser?kfId=co-a&userId=co-v&tags=%E9%80%80%E6%AC%BEx").await;
    assert_eq!(code, 400, "not on the list");
    let (code, body) = s.get("/overSession/overUser?kfId=co-a&userId=co-v&tags=%E9%80%80%E6%AC%BE&comment=ok%3Cb%3E").await;
    assert_eq!(code, 200, "{body}");
    v.recv_until(vstate("ended")).await;
    let (_, convs) = s.get_as("co-a", "/chatLog/conversations?userId=co-v").await;
    let c = &convs["data"]["list"][0];
    assert_eq!((c["outcome"].as_str(), c["tags"].clone(), c["comment"].as_str()), (Some("agent"), json!(["退款"]), Some("ok<b>")), "{convs}");
    assert_eq!(convs["data"]["recalls"], Value::Null, "the audit trail is for supervisors");
    let (code, _) = s.get_as("someone-else", "/chatLog/conversations?userId=co-v").await;
    assert_eq!(code, 403, "an agent who did not serve them");
}

#[tokio::test]
async fn a_rating_goes_to_the_last_agent_with_the_transfer_chain_once() {
    let s = Server::start().await;
    let (mut a, mut v) = assigned_with(&s, "r-a", "r-v", LIFE).await;
    let mut b = s.agent_with("r-b", LIFE).await;
    let (code, body) = s.post_as(SUPERVISOR, "/supervisor/reassign", json!({"userId": "r-v", "toKfId": "r-b"})).await;
    assert_eq!(code, 200, "{body}");
    v.send(json!({"type": "rate", "stars": 5})).await;
    let early = v.recv_until(|f| f["type"] == "rated").await;
    assert!(early["error"].is_string(), "nothing ended yet: {early}");
    let (code, _) = s.get("/overSession/overUser?kfId=r-b&userId=r-v").await;
    assert_eq!(code, 200);
    v.recv_until(vstate("ended")).await;
    v.send(json!({"type": "rate", "stars": 0})).await;
    assert!(v.recv_until(|f| f["type"] == "error").await["error"].as_str().unwrap().contains("1 to 5"));
    v.send(json!({"type": "rate", "stars": 4, "comment": "很快 <script>"})).await;
    let r = v.recv_until(|f| f["type"] == "rated").await;
    assert_eq!((r["stars"].as_i64(), r["error"].clone()), (Some(4), Value::Null), "{r}");
    let heard = b.recv_until(lifecycle("rated")).await;
    assert_eq!((heard["data"]["stars"].as_i64(), heard["data"]["agents"].clone()), (Some(4), json!(["r-a", "r-b"])), "{heard}");
    a.silent(200).await;
    v.send(json!({"type": "rate", "stars": 1})).await;
    assert!(v.recv_until(|f| f["type"] == "rated").await["error"].is_string(), "never twice");
    let (_, board) = s.get("/supervisor/board").await;
    let rb = board["data"]["agents"].as_array().unwrap().iter().find(|x| x["kfId"] == "r-b").cloned().unwrap();
    assert_eq!((rb["ratings"].as_u64(), rb["ratingAverage"].as_f64()), (Some(1), Some(4.0)), "supervisors see it: {rb}");
    let (_, convs) = s.get("/chatLog/conversations?userId=r-v").await;
    let c = &convs["data"]["list"][0];
    assert_eq!((c["kfId"].as_str(), c["rating"].as_i64(), c["ratingComment"].as_str()), (Some("r-b"), Some(4), Some("很快 <script>")), "{convs}");
}

#[tokio::test]
async fn a_customer_who_finds_nobody_leaves_a_message_one_agent_answers_and_they_see_it() {
    let s = Server::start_with(|c| c.offer_silent_visitors = false).await;
    let mut v = s.visitor("lm-v", "V").await;
    let first = v.recv().await;
    assert_eq!(first["state"], "offline", "no agent online: {first}");
    v.send(json!({"type": "leaveMessage", "name": "王", "contact": "", "content": "x"})).await;
    assert!(v.recv_until(|f| f["type"] == "error").await["error"].as_str().unwrap().contains("contact"));
    v.send(json!({"type": "leaveMessage", "name": "王先生", "contact": "138", "content": "发票怎么开？"})).await;
    let id = v.recv_until(|f| f["type"] == "left").await["id"].as_i64().unwrap();
    let mut a = s.agent_with("lm-a", LIFE).await;
    let _b = s.agent_with("lm-b", LIFE).await;
    let (_, list) = s.get_as("lm-a", "/offlineMessages/list?open=1").await;
    assert!(list["data"]["list"].as_array().unwrap().iter().any(|m| m["id"] == id && m["content"] == "发票怎么开？"), "{list}");
    let (code, _) = s.post_as("lm-a", "/offlineMessages/claim", json!({"id": id})).await;
    assert_eq!(code, 200);
    let (code, _) = s.post_as("lm-b", "/offlineMessages/claim", json!({"id": id})).await;
    assert_eq!(code, 409, "claimed already");
    let (code, _) = s.post_as("lm-b", "/offlineMessages/handle", json!({"id": id, "answer": "x"})).await;
    assert_eq!(code, 409, "someone else's");
    let (code, _) = s.post_as("lm-a", "/offlineMessages/handle", json!({"id": id, "answer": ""})).await;
    assert_eq!(code, 400);
    let (code, _) = s.post_as("lm-a", "/offlineMessages/handle", json!({"id": id, "answer": "在订单页申请即可"})).await;
    assert_eq!(code, 200);
    let answers = v.recv_until(|f| f["type"] == "answers").await;
    assert_eq!(answers["items"][0]["answer"], "在订单页申请即可", "{answers}");
    // A new left message reaches the agents online.
    let mut w = s.visitor("lm-w", "W").await;
    assert_eq!(w.recv().await["state"], "ready", "an agent is online now");
    w.send(json!({"type": "leaveMessage", "name": "李", "contact": "x@y", "content": "稍后联系"})).await;
    w.recv_until(|f| f["type"] == "left").await;
    a.recv_until(lifecycle("offlineMessage")).await;
    // Coming back later: the answer is there.
    v.close().await;
    let mut back = s.visitor("lm-v", "V").await;
    assert_eq!(back.recv_until(|f| f["type"] == "answers").await["items"][0]["answer"], "在订单页申请即可");
}

#[tokio::test]
async fn outside_business_hours_the_page_offers_the_form_and_only_supervisors_set_the_hours() {
    let s = Server::start_with(|c| c.offer_silent_visitors = false).await;
    let _a = s.agent_with("bh-a", LIFE).await;
    let every_day: serde_json::Map<String, Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().map(|d| (d.to_string(), json!([["00:00", "00:01"]]))).collect();
    let schedule = json!({"schedule": {"timeZone": "UTC", "weekly": every_day, "exceptions": [{"date": "2030-01-01", "hours": []}]}});
    let (code, _) = s.post_as("bh-a", "/settings/hours", schedule.clone()).await;
    assert_eq!(code, 403);
    let (code, body) = s.post_as(SUPERVISOR, "/settings/hours", json!({"schedule": {"timeZone": "Nowhere/Land", "weekly": {}}})).await;
    assert!(code == 400 && body["msg"].as_str().unwrap().contains("time zone"), "{body}");
    let (code, _) = s.post_as(SUPERVISOR, "/settings/hours", schedule).await;
    assert_eq!(code, 200);
    let (_, hours) = s.get_as("bh-a", "/settings/hours").await;
    let midnight = chrono_like_minute() == 0;
    if !midnight {
        assert_eq!(hours["data"]["open"], false, "{hours}");
        let mut v = s.visitor("bh-v", "V").await;
        let first = v.recv().await;
        assert_eq!(first["state"], "offline", "{first}");
        assert!(first["nextOpen"].as_i64().is_some(), "{first}");
    }
    let (code, _) = s.post_as(SUPERVISOR, "/settings/hours", json!({"schedule": null})).await;
    assert_eq!(code, 200);
    let mut v = s.visitor("bh-w", "W").await;
    assert_eq!(v.recv().await["state"], "ready", "always open again");
}

/// Minutes since midnight UTC.
fn chrono_like_minute() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() / 60 % 1440
}

#[tokio::test]
async fn a_recall_is_the_senders_own_within_the_window_and_the_original_stays_for_supervisors() {
    let s = Server::start().await;
    let (mut a, mut v) = assigned_with(&s, "rc-a", "rc-v", LIFE).await;
    a.send(json!({"userId": "rc-v", "content": "发错了", "msgId": "m1"})).await;
    a.recv_until(status(101)).await;
    let seq = loop {
        let f = v.recv_raw().await; // with its `seq`
        if f["type"] == "message" {
            break f["seq"].as_u64().unwrap();
        }
    };
    // Someone else's message, and a made-up id: refused.
    let mut other = s.agent_with("rc-x", LIFE).await;
    other.send(json!({"respStatus": 110, "userId": "rc-v", "msgId": "m1"})).await;
    assert!(other.recv_until(status(110)).await["data"]["error"].is_string());
    a.send(json!({"respStatus": 110, "userId": "rc-v", "msgId": "nope"})).await;
    assert!(a.recv_until(status(110)).await["data"]["error"].is_string());
    a.send(json!({"respStatus": 110, "userId": "rc-v", "msgId": "m1"})).await;
    let done = a.recv_until(status(110)).await;
    assert_eq!((done["data"]["by"].as_str(), done["data"]["error"].clone()), (Some("agent"), Value::Null), "{done}");
    let recall = loop {
        let f = v.recv_raw().await;
        if f["type"] == "recall" {
            break f;
        }
    };
    assert_eq!(recall["seq"].as_u64(), Some(seq), "{recall}");
    // The customer recalls theirs; the agent hears it by the message's id.
    v.send(json!({"type": "message", "content": "我的手机号是 138…", "msgId": "v1"})).await;
    assert_eq!(a.recv_until(status(1)).await["data"]["msgId"], "v1");
    v.send(json!({"type": "recall", "msgId": "v1"})).await;
    assert_eq!(v.recv_until(|f| f["type"] == "recall").await["msgId"], "v1");
    let heard = a.recv_until(status(110)).await;
    assert_eq!((heard["data"]["msgId"].as_str(), heard["data"]["by"].as_str()), (Some("v1"), Some("visitor")));
    // Too late after the window.
    a.send(json!({"userId": "rc-v", "content": "第二条", "msgId": "m2"})).await;
    a.recv_until(status(101)).await;
    advance(&s, 121).await;
    a.send(json!({"respStatus": 110, "userId": "rc-v", "msgId": "m2"})).await;
    assert!(a.recv_until(status(110)).await["data"]["error"].as_str().unwrap().contains("超过"));
    // The history keeps no text; the audit trail is the supervisors'.
    let (_, log) = s.get_as("rc-a", "/chatLog/list?userId=rc-v").await;
    let list = log["data"]["list"].as_array().unwrap();
    assert!(!log.to_string().contains("发错了") && !log.to_string().contains("138…"), "{log}");
    assert_eq!(list.iter().filter(|m| m["recalled"] == true).count(), 2, "{log}");
    let (_, audit) = s.get("/chatLog/conversations?userId=rc-v").await;
    let recalls = audit["data"]["recalls"].as_array().unwrap();
    assert!(recalls.iter().any(|r| r["content"] == "发错了" && r["recalledBy"] == "rc-a"), "{audit}");
    // A replay to the page after reconnecting holds no recalled text either.
    v.close().await;
    let mut again = Peer::connect(&s.visitor_url("rc-v", "userName=V&lastSeq=0")).await;
    let seen = again.drain_for(500).await;
    assert!(!seen.iter().any(|f| f.to_string().contains("发错了")), "{seen:?}");
}

#[tokio::test]
async fn a_replayed_customer_message_keeps_its_id_so_a_later_recall_names_it() {
    let s = Server::start().await;
    let (mut a, mut v) = assigned_with(&s, "rp-a", "rp-v", LIFE).await;
    v.send(json!({"type": "message", "content": "第一条", "msgId": "v1"})).await;
    v.send(json!({"type": "message", "content": "第二条", "msgId": "v2"})).await;
    let mut seqs = Vec::new();
    while seqs.len() < 2 {
        let f = a.recv_raw().await;
        if f["status"] == 1 {
            assert!(f["data"]["msgId"].is_string(), "live: {f}");
            seqs.push(f["seq"].as_u64().unwrap());
        }
    }
    // The agent's page reloads having shown only the first: the second is replayed with its id.
    a.close().await;
    let mut features = vec!["seq"];
    features.extend_from_slice(LIFE);
    let mut back = s.legacy_agent("rp-a").await;
    back.send(json!({"respStatus": 100, "features": features, "lastSeq": seqs[0]})).await;
    let replayed = back.recv_until(status(1)).await;
    assert_eq!((replayed["data"]["content"].as_str(), replayed["data"]["msgId"].as_str()), (Some("第二条"), Some("v2")), "{replayed}");
    // The customer then recalls it: the agent's console can find the message it names.
    v.send(json!({"type": "recall", "msgId": "v2"})).await;
    let heard = back.recv_until(status(110)).await;
    assert_eq!(heard["data"]["msgId"], replayed["data"]["msgId"]);
    // An agent without `recall` is replayed the original frame, no id added.
    back.close().await;
    let mut plain = s.legacy_agent("rp-a").await;
    plain.send(json!({"respStatus": 100, "features": ["seq"], "lastSeq": seqs[0]})).await;
    let f = plain.recv_until(status(1)).await;
    assert_eq!(f["data"].get("msgId"), None, "{f}");
}

#[tokio::test]
async fn a_legacy_agent_never_sees_a_lifecycle_or_recall_frame() {
    let s = Server::start().await;
    let mut a = s.legacy_agent("lg-a").await;
    let mut v = s.visitor("lg-v", "V").await;
    let offer = a.recv_until(status(2)).await;
    assert!(offer["data"].get("offerExpiresInMs").is_none(), "{offer}");
    a.send(json!({"respStatus": 2, "userId": "lg-v"})).await;
    v.recv_until(vstate("assigned")).await;
    v.send(json!({"type": "message", "content": "hi", "msgId": "v1"})).await;
    let m = a.recv_until(status(1)).await;
    assert!(m["data"].get("msgId").is_none(), "the original frame: {m}");
    v.send(json!({"type": "recall", "msgId": "v1"})).await;
    v.recv_until(|f| f["type"] == "recall").await;
    let seen = a.drain_for(400).await;
    assert!(seen.iter().all(|f| f["status"].as_i64().is_some_and(|n| n < 100)), "{seen:?}");
}

#[tokio::test]
async fn a_customer_who_gives_up_in_the_queue_is_recorded_as_abandoned() {
    let s = Server::start_with(|c| {
        c.offer_silent_visitors = false;
        c.grace_ms = 200;
    })
    .await;
    let mut v = s.visitor("ab-v", "V").await;
    v.recv().await;
    v.send(json!({"type": "message", "content": "有人吗", "msgId": "a1"})).await;
    v.recv_until(|f| f["type"] == "ack").await;
    v.close().await;
    let mut found = Value::Null;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let (_, convs) = s.get("/chatLog/conversations?userId=ab-v").await;
        if convs["data"]["list"][0]["outcome"] == "abandoned" {
            found = convs;
            break;
        }
    }
    assert_eq!(found["data"]["list"][0]["kfId"], "", "{found}");
    let metrics = reqwest::get(s.http("/metrics")).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("kefu_lifecycle_events_total{reason=\"abandoned\"} 1"), "{metrics}");
}
