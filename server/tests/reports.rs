//! Reports (issue 26) against a hand-computed fixture, on SQLite and, with `KEFU_TEST_PG`,
//! PostgreSQL: per agent (conversations, first response median and p90, handle time, transfers,
//! CSAT) and for the queue (abandoned, volume per hour), as JSON and as CSV with a header row;
//! supervisors only.

mod support;
use kefu_server::store::{NewMessage, Sender, Store};
use serde_json::json;
use support::*;

/// 2026-09-13 00:00 UTC.
const T: i64 = 1_789_948_800_000;
const S: i64 = 1000;
const H: i64 = 3600 * S;

/// A conversation of `user` with `kf`: `(start, first reply after, end after)`, handed `to` another
/// agent, rated `stars`.
fn conversation(store: &Store, user: &str, kf: &str, (start, first_reply, end): (i64, i64, i64), to: Option<&str>, stars: Option<i64>) {
    in_department(store, (user, kf, None), (start, first_reply, end), to, stars);
}

/// [`conversation`] of `user` with `kf` in `department`.
fn in_department(store: &Store, (user, kf, department): (&str, &str, Option<&str>), (start, first_reply, end): (i64, i64, i64), to: Option<&str>, stars: Option<i64>) {
    let (c, _) = store.start_conversation_and_deliver(user, "V", kf, start, None, department).unwrap();
    let m = NewMessage { user_id: user, user_name: "V", kf_id: Some(kf), sender: Sender::Agent, content: "您好", at_ms: start + first_reply, client_msg_id: None, deliver_to: None };
    store.add_and_deliver(&m).unwrap();
    if let Some(to) = to {
        store.reassign_conversation(c, to, None).unwrap();
    }
    store.end_and_close_out(c, start + end, "agent", &[], None).unwrap();
    if let Some(s) = stars {
        store.rate(user, s, None, 0).unwrap().expect("rated");
    }
}

#[tokio::test]
async fn the_figures_match_the_hand_computed_fixture() {
    let s = Server::start().await;
    let store = s.hub.store();
    conversation(store, "rp-1", "ra", (T + 9 * H, 30 * S, 300 * S), None, Some(5));
    conversation(store, "rp-2", "ra", (T + 9 * H + 600 * S, 90 * S, 600 * S), Some("rb"), Some(3));
    conversation(store, "rp-3", "rb", (T + 10 * H, 10 * S, 120 * S), None, None);
    store.record_abandoned("rp-4", "V", T + 11 * H, T + 11 * H + 240 * S, None).unwrap();
    conversation(store, "rp-5", "ra", (T - 24 * H, 1, 2), None, Some(1)); // the day before: not counted

    let (code, r) = s.get_as(SUPERVISOR, &format!("/reports/agents?from={T}&to={}", T + 24 * H)).await;
    assert_eq!(code, 200, "{r}");
    let d = &r["data"];
    assert_eq!(
        d["agents"],
        json!([
            {"kfId": "ra", "conversations": 1, "firstResponseMedianS": 30.0, "firstResponseP90S": 90.0, "handleMedianS": 300.0, "transfers": 1, "ratings": 1, "csatAverage": 5.0},
            {"kfId": "rb", "conversations": 2, "firstResponseMedianS": 10.0, "firstResponseP90S": 10.0, "handleMedianS": 120.0, "transfers": 0, "ratings": 1, "csatAverage": 3.0},
        ]),
        "{r}"
    );
    assert_eq!((d["queue"]["conversations"].as_u64(), d["queue"]["abandoned"].as_u64()), (Some(4), Some(1)));
    let hours: Vec<u64> = d["queue"]["perHour"].as_array().unwrap().iter().map(|h| h.as_u64().unwrap()).collect();
    assert_eq!((hours[9], hours[10], hours[11], hours.iter().sum::<u64>()), (2, 1, 1, 4));
    let (_, shifted) = s.get_as(SUPERVISOR, &format!("/reports/agents?from={T}&to={}&tzOffset=480", T + 24 * H)).await;
    assert_eq!(shifted["data"]["queue"]["perHour"][17], 2, "09:00 UTC is 17:00 in China");

    let r = reqwest::Client::new()
        .get(s.http(&format!("/reports/agents.csv?from={T}&to={}", T + 24 * H)))
        .bearer_auth(s.token(SUPERVISOR).await)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = r.text().await.unwrap();
    assert_eq!(
        csv,
        "agent,conversations,first_response_median_s,first_response_p90_s,handle_median_s,transfers,ratings,csat_average\r\n\
         ra,1,30.0,90.0,300.0,1,1,5.00\r\nrb,2,10.0,10.0,120.0,0,1,3.00\r\n"
    );
    let (code, _) = s.get_as("ra", "/reports/agents").await;
    assert_eq!(code, 403, "agents do not read the team's figures");
    let (code, _) = s.get_as(SUPERVISOR, "/reports/agents?from=10&to=5").await;
    assert_eq!(code, 400);
}

#[tokio::test]
async fn the_figures_narrow_to_one_department_or_to_none() {
    let s = Server::start().await;
    let store = s.hub.store();
    in_department(store, ("dr-1", "da", Some("presales")), (T + H, 10 * S, 100 * S), None, Some(5));
    in_department(store, ("dr-2", "db", Some("aftersales")), (T + 2 * H, 20 * S, 200 * S), None, None);
    // Handed to presales from none: counted where it ended.
    in_department(store, ("dr-3", "db", None), (T + 3 * H, 30 * S, 300 * S), Some("da"), None);
    let c = store.open_conversations().unwrap();
    assert!(c.is_empty(), "all ended: {c:?}");
    store.record_abandoned("dr-4", "V", T + 4 * H, T + 4 * H + 60 * S, Some("aftersales")).unwrap();
    store.record_abandoned("dr-5", "V", T + 5 * H, T + 5 * H + 60 * S, None).unwrap();
    let figures = |d: &'static str| {
        let s = &s;
        async move {
            let (code, r) = s.get_as(SUPERVISOR, &format!("/reports/agents?from={T}&to={}{d}", T + 24 * H)).await;
            assert_eq!(code, 200, "{r}");
            let agents: Vec<String> = r["data"]["agents"].as_array().unwrap().iter().map(|a| format!("{}:{}", a["kfId"].as_str().unwrap(), a["conversations"])).collect();
            (agents, r["data"]["queue"]["conversations"].as_u64().unwrap(), r["data"]["queue"]["abandoned"].as_u64().unwrap())
        }
    };
    assert_eq!(figures("").await, (vec!["da:2".to_owned(), "db:1".to_owned()], 5, 2));
    let (_, r) = s.get_as(SUPERVISOR, &format!("/reports/agents?from={T}&to={}", T + 24 * H)).await;
    assert_eq!(
        r["data"]["departments"],
        json!([
            {"department": "aftersales", "conversations": 2, "abandoned": 1, "firstResponseMedianS": 20.0},
            {"department": "presales", "conversations": 1, "abandoned": 0, "firstResponseMedianS": 10.0},
            {"department": null, "conversations": 2, "abandoned": 1, "firstResponseMedianS": 30.0},
        ]),
        "by department, those of none last: {r}"
    );
    assert_eq!(figures("&department=presales").await, (vec!["da:1".to_owned()], 1, 0));
    assert_eq!(figures("&department=aftersales").await, (vec!["db:1".to_owned()], 2, 1));
    assert_eq!(figures("&department=-").await, (vec!["da:1".to_owned(), "db:0".to_owned()], 2, 1), "none: dr-3 (db handed it to da) and dr-5");
    let csv = reqwest::Client::new()
        .get(s.http(&format!("/reports/agents.csv?from={T}&to={}&department=aftersales", T + 24 * H)))
        .bearer_auth(s.token(SUPERVISOR).await)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 2, "a header and db's row: {csv}");
    assert!(csv.lines().nth(1).unwrap().starts_with("db,1,"), "{csv}");
}

#[tokio::test]
async fn the_close_out_tags_are_counted_most_used_first_once_per_conversation() {
    let s = Server::start().await;
    let store = s.hub.store();
    for (i, tags) in [vec!["物流"], vec!["退款", "物流"], vec!["退款"], vec!["退款", "退款"], vec![]].into_iter().enumerate() {
        let (c, _) = store.start_conversation_and_deliver(&format!("tg-{i}"), "V", "ta", T + H, None, None).unwrap();
        store.end_and_close_out(c, T + 2 * H, "agent", &tags.iter().map(|t| t.to_string()).collect::<Vec<_>>(), None).unwrap();
    }
    let (code, r) = s.get_as(SUPERVISOR, &format!("/reports/agents?from={T}&to={}", T + 24 * H)).await;
    assert_eq!(code, 200, "{r}");
    assert_eq!(r["data"]["queue"]["tags"], json!([{"tag": "退款", "conversations": 3}, {"tag": "物流", "conversations": 2}]), "{r}");
}

#[tokio::test]
async fn transcripts_stream_one_customer_or_a_range_to_whoever_may_read_them() {
    let s = Server::start().await;
    let (mut a, mut v) = assigned_with(&s, "tr-a", "tr-v", &["ack"]).await;
    for (i, text) in ["第一条, with \"quotes\"", "second\nline"].iter().enumerate() {
        v.send(json!({"type": "message", "content": text, "msgId": i.to_string()})).await;
        a.recv_until(status(1)).await;
    }
    let get = |path: String, who: &'static str| {
        let s = &s;
        async move {
            let r = reqwest::Client::new().get(s.http(&path)).bearer_auth(s.token(who).await).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (code, txt) = get("/transcripts/customer?userId=tr-v".into(), "tr-a").await;
    assert_eq!(code, 200);
    assert!(txt.contains("访客 V: 第一条") && txt.contains("second\nline"), "{txt}");
    let (code, json) = get("/transcripts/customer?userId=tr-v&format=json".into(), "tr-a").await;
    assert_eq!(code, 200);
    let list: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2, "{json}");
    assert_eq!(get("/transcripts/customer?userId=tr-v".into(), "tr-other").await.0, 403, "not their customer");
    let (_, convs) = s.get_as("tr-a", "/chatLog/conversations?userId=tr-v").await;
    let id = convs["data"]["list"][0]["id"].as_i64().unwrap();
    let (code, one) = get(format!("/transcripts/customer?userId=tr-v&conversationId={id}&format=json"), "tr-a").await;
    assert_eq!((code, serde_json::from_str::<serde_json::Value>(&one).unwrap().as_array().unwrap().len()), (200, 2), "{one}");
    assert_eq!(get(format!("/transcripts/customer?userId=tr-v&conversationId={}", id + 999), "tr-a").await.0, 404);
    let (code, csv) = get("/transcripts/export?format=csv".into(), SUPERVISOR).await;
    assert_eq!(code, 200);
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let contents: Vec<String> = rows.records().map(|r| r.unwrap()[6].to_owned()).collect();
    assert_eq!(contents, vec!["第一条, with \"quotes\"", "second\nline"], "{csv}");
    let (code, jsonl) = get("/transcripts/export?format=jsonl".into(), SUPERVISOR).await;
    assert_eq!((code, jsonl.lines().count()), (200, 2));
    assert_eq!(get("/transcripts/export".into(), "tr-a").await.0, 403);
    assert_eq!(get("/transcripts/export?format=xml".into(), SUPERVISOR).await.0, 400);
    let (_, audit) = s.get_as(SUPERVISOR, "/audit").await;
    assert!(audit["data"]["list"].as_array().unwrap().iter().any(|e| e["action"] == "export"), "{audit}");
}
