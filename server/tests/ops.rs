//! Operability: the health check a load balancer asks and the Prometheus metrics, both without a
//! token; the metrics follow sockets, the queue, offers and relayed messages.

mod support;
use serde_json::json;
use support::*;

async fn metrics(s: &Server) -> String {
    reqwest::get(s.http("/metrics")).await.unwrap().text().await.unwrap()
}

fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {series} in:\n{text}"))
}

#[tokio::test]
async fn health_and_metrics_answer_without_a_token_and_follow_the_desk() {
    let s = Server::start().await;
    let r = reqwest::get(s.http("/healthz")).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap(), json!({"status": "ok", "store": "ok", "partitions": ["default"]}));
    let before = metrics(&s).await;
    assert_eq!(value(&before, "kefu_sockets{kind=\"agent\"}"), 0.0);
    assert_eq!(value(&before, "kefu_offers_total"), 0.0);
    let mut b = s.agent("ops-busy").await;
    s.post("/agents/presence", json!({"kfId": "ops-busy", "presence": "busy"})).await;
    let _w = s.visitor("ops-waiting", "W").await;
    let (mut a, mut v) = assigned(&s, "ops-a", "ops-v").await;
    v.send(json!({"type": "message", "content": "你好"})).await;
    a.recv_until(status(1)).await;
    let after = metrics(&s).await;
    assert_eq!(value(&after, "kefu_sockets{kind=\"agent\"}"), 2.0, "{after}");
    assert_eq!(value(&after, "kefu_sockets{kind=\"visitor\"}"), 2.0);
    assert!(value(&after, "kefu_offers_total") >= 2.0, "ops-waiting and ops-v were offered to ops-a");
    assert!(value(&after, "kefu_relay_seconds_count") >= 1.0);
    assert_eq!(value(&after, "kefu_waiting_customers"), 1.0);
    assert_eq!(value(&after, "kefu_store_errors_total"), 0.0);
    b.silent(10).await;
}
