//! Search (issue 26), attacked: Chinese substrings and English words found case-insensitively,
//! wildcards taken literally, agents limited to the customers they served (a colleague's valid
//! token finds nothing of others), filters by agent, date, tag and rating, recalled text never
//! found, bad input refused. Runs on SQLite and, with `KEFU_TEST_PG`, on PostgreSQL: the same
//! results on both.

mod support;
use serde_json::{json, Value};
use support::*;

async fn say(v: &mut Peer, a: &mut Peer, text: &str, id: &str) {
    v.send(json!({"type": "message", "content": text, "msgId": id})).await;
    a.recv_until(status(1)).await;
}

fn contents(r: &Value) -> Vec<String> {
    let mut v: Vec<String> = r["data"]["list"].as_array().unwrap_or(&vec![]).iter().map(|m| m["snippet"].as_str().unwrap().to_owned()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn search_finds_substrings_for_whoever_may_read_them_with_filters() {
    let s = Server::start().await;
    let (mut a, mut v1) = assigned_with(&s, "se-a", "se-v1", &["ack"]).await;
    say(&mut v1, &mut a, "我想申请退款了吗", "1").await;
    say(&mut v1, &mut a, "Refund please", "2").await;
    a.send(json!({"userId": "se-v1", "content": "好的，已为您登记退款", "msgId": "a1"})).await;
    a.recv_until(status(101)).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await; // not in the same millisecond
    let before_b = kefu_server::hub::now_ms();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let (mut b, mut v2) = assigned_with(&s, "se-b", "se-v2", &["ack"]).await;
    say(&mut v2, &mut b, "退货流程是什么", "1").await;
    say(&mut v2, &mut b, "code 50%_off works?", "2").await;
    say(&mut v2, &mut b, "code 50xxoff", "3").await;

    let (code, r) = s.get_as(SUPERVISOR, "/search?q=%E9%80%80%E6%AC%BE").await; // 退款
    assert_eq!(code, 200, "{r}");
    assert_eq!(contents(&r), vec!["好的，已为您登记退款", "我想申请退款了吗"], "{r}");
    let hit = &r["data"]["list"][0];
    assert!(hit["chatLog"].as_str().unwrap().starts_with(&format!("chatlog.html?id=h{}", hex::encode("se-v1"))), "{hit}");
    assert_eq!(contents(&s.get_as(SUPERVISOR, "/search?q=REFUND").await.1), vec!["Refund please"], "case-insensitive");
    assert_eq!(contents(&s.get_as(SUPERVISOR, "/search?q=%E7%94%B3%E8%AF%B7%E9%80%80%E6%AC%BE").await.1), vec!["我想申请退款了吗"], "申请退款, three characters and more");
    assert_eq!(contents(&s.get_as(SUPERVISOR, "/search?q=50%25_off").await.1), vec!["code 50%_off works?"], "% and _ are themselves");
    assert_eq!(contents(&s.get_as(SUPERVISOR, "/search?q=%E9%80%80%20%E4%BB%80%E4%B9%88").await.1), vec!["退货流程是什么"], "every term: 退 and 什么");

    // An agent finds the customers they served only.
    assert_eq!(contents(&s.get_as("se-b", "/search?q=%E9%80%80%E6%AC%BE").await.1), Vec::<String>::new(), "a colleague's customer");
    assert_eq!(contents(&s.get_as("se-a", "/search?q=%E9%80%80%E6%AC%BE").await.1).len(), 2);
    assert_eq!(contents(&s.get_as("se-b", "/search?q=%E9%80%80&kfId=se-a").await.1), Vec::<String>::new(), "the filter does not widen an agent's view");

    // Filters.
    assert_eq!(contents(&s.get_as(SUPERVISOR, "/search?q=%E9%80%80&kfId=se-b").await.1), vec!["退货流程是什么"]);
    assert_eq!(contents(&s.get_as(SUPERVISOR, &format!("/search?q=%E9%80%80&from={before_b}")).await.1), vec!["退货流程是什么"]);
    assert_eq!(contents(&s.get_as(SUPERVISOR, &format!("/search?q=%E9%80%80&to={before_b}")).await.1).len(), 2);
    s.post_as(SUPERVISOR, "/settings/closeout", json!({"tags": ["退款"], "required": false})).await;
    let (code, _) = s.get("/overSession/overUser?kfId=se-a&userId=se-v1&tags=%E9%80%80%E6%AC%BE").await;
    assert_eq!(code, 200);
    v1.send(json!({"type": "rate", "stars": 2})).await;
    v1.recv_until(|f| f["type"] == "rated").await;
    assert_eq!(contents(&s.get_as(SUPERVISOR, "/search?q=%E9%80%80&tag=%E9%80%80%E6%AC%BE").await.1).len(), 2, "tagged 退款");
    assert_eq!(contents(&s.get_as(SUPERVISOR, "/search?q=%E9%80%80&rating=2").await.1).len(), 2);
    assert_eq!(contents(&s.get_as(SUPERVISOR, "/search?q=%E9%80%80&rating=5").await.1).len(), 0);

    // Recalled text is gone from search too.
    b.send(json!({"userId": "se-v2", "content": "内部价格 999", "msgId": "b1"})).await;
    b.recv_until(status(101)).await;
    assert_eq!(contents(&s.get_as(SUPERVISOR, "/search?q=%E5%86%85%E9%83%A8%E4%BB%B7%E6%A0%BC").await.1).len(), 1);
    let mut b2 = s.agent_with("se-b", &["ack", "recall"]).await;
    b2.send(json!({"respStatus": 110, "userId": "se-v2", "msgId": "b1"})).await;
    b2.recv_until(status(110)).await;
    assert_eq!(contents(&s.get_as(SUPERVISOR, "/search?q=%E5%86%85%E9%83%A8%E4%BB%B7%E6%A0%BC").await.1).len(), 0);

    // Bad input: a clear refusal.
    for bad in ["/search", "/search?q=%20", "/search?q=a%20b%20c%20d%20e%20f%20g%20h%20i", "/search?q=x&rating=9", "/search?q=x&from=abc"] {
        let (code, body) = s.get_as(SUPERVISOR, bad).await;
        assert_eq!(code, 400, "{bad}: {body}");
    }
    let anonymous = reqwest::get(s.http("/search?q=x")).await.unwrap().status().as_u16();
    assert_eq!(anonymous, 401);
}
