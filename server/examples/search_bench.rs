//! Search over a million messages (issue 26's bench row): builds a store of `N` messages (default
//! 1 000 000; Chinese and English, over 30 days, one week-old needle), then times the searches a
//! supervisor makes — on SQLite (FTS5 trigram) and, with `KEFU_BENCH_PG=postgres://…`, on
//! PostgreSQL (pg_trgm). Prints one table row per store and query.

use kefu_server::store::search::SearchQuery;
use kefu_server::store::Store;
use std::time::Instant;

const ZH: &[&str] = &["您好", "请问", "订单", "物流", "发货", "快递", "什么时候", "可以", "退货", "换货", "尺码", "颜色", "优惠券", "发票", "地址", "修改", "客服", "谢谢", "好的", "已经", "帮您", "查询", "一下", "稍等", "付款", "失败", "会员", "积分", "活动", "价格"];
const EN: &[&str] = &["hello", "order", "shipping", "delivery", "invoice", "coupon", "size", "color", "please", "thanks", "account", "payment"];
const NEEDLE: &str = "我上周申请退款了吗，订单 8848";
const DAY: i64 = 24 * 3600 * 1000;

/// A deterministic sentence for message `i`.
fn text(i: u64) -> String {
    let mut x = i.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let words = 3 + (x >> 60) as usize % 6;
    let mut s = String::new();
    for _ in 0..words {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let w = if (x >> 33) % 5 == 0 { EN[(x >> 40) as usize % EN.len()] } else { ZH[(x >> 40) as usize % ZH.len()] };
        if !s.is_empty() && w.is_ascii() {
            s.push(' ');
        }
        s.push_str(w);
    }
    s
}

fn time(store: &Store, label: &str, q: SearchQuery) {
    let _ = store.search(&q); // warm the cache once
    let runs = 5;
    let mut best = f64::MAX;
    let mut hits = 0;
    for _ in 0..runs {
        let t = Instant::now();
        hits = store.search(&q).expect("search").len();
        best = best.min(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!("| 12 | search, {} | {label} | {hits} hits | {best:.1} ms (best of {runs}) |", store.backend());
}

fn queries(store: &Store, now: i64) {
    let q = |terms: &[&str]| SearchQuery { terms: terms.iter().map(|t| t.to_string()).collect(), limit: 50, ..Default::default() };
    time(store, "a week-old phrase 申请退款了吗 (6 characters), whole history", q(&["申请退款了吗"]));
    time(store, "8848 inside it, whole history", q(&["8848"]));
    time(store, "退款 (2 characters), last 10 days", SearchQuery { from: Some(now - 10 * DAY), ..q(&["退款"]) });
    time(store, "an English word (invoice), newest 50", q(&["invoice"]));
    time(store, "an agent's view (served customers only)", SearchQuery { served_by: Some("kf7".into()), ..q(&["发票"]) });
}

fn main() {
    let n: u64 = std::env::var("N").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let now = kefu_server::hub::now_ms();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kefu.db");
    drop(Store::open(&path).unwrap()); // the schema, FTS index and triggers
    let t = Instant::now();
    {
        let mut db = rusqlite::Connection::open(&path).unwrap();
        let tx = db.transaction().unwrap();
        {
            let mut ins = tx.prepare("INSERT INTO messages(user_id, user_name, kf_id, sender, content, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)").unwrap();
            let mut conv = tx.prepare("INSERT INTO conversations(user_id, user_name, kf_id, started_at, ended_at) VALUES (?1, 'V', ?2, ?3, ?3)").unwrap();
            for i in 0..n {
                let user = format!("u{}", i / 20);
                let kf = format!("kf{}", (i / 20) % 50);
                let at = now - 30 * DAY + (i as i64 * 30 * DAY / n as i64);
                let content = if i == n * 23 / 30 { NEEDLE.to_owned() } else { text(i) };
                ins.execute(rusqlite::params![user, "V", kf, if i % 2 == 0 { "visitor" } else { "agent" }, content, at]).unwrap();
                if i % 20 == 0 {
                    conv.execute(rusqlite::params![user, kf, at]).unwrap();
                }
            }
        }
        tx.commit().unwrap();
    }
    println!("| 12 | search, sqlite | {n} messages stored | {:.1} s |", t.elapsed().as_secs_f64());
    let store = Store::open(&path).unwrap();
    let t = Instant::now();
    let _ = store.search(&SearchQuery { terms: vec!["您好".into()], limit: 1, ..Default::default() }); // indexes what is pending
    println!("| 12 | search, sqlite | the trigram index built for them (by the first search) | {:.1} s |", t.elapsed().as_secs_f64());
    queries(&store, now);

    if let Ok(url) = std::env::var("KEFU_BENCH_PG") {
        let store = Store::connect(&url).expect("PostgreSQL");
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        c.batch_execute("TRUNCATE messages, conversations").unwrap();
        let t = Instant::now();
        let zh = ZH.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(",");
        let en = EN.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(",");
        let sql = format!(
            "INSERT INTO messages(user_id, user_name, kf_id, sender, content, created_at)
             SELECT 'u' || (i / 20), 'V', 'kf' || ((i / 20) % 50), CASE WHEN i % 2 = 0 THEN 'visitor' ELSE 'agent' END,
                    CASE WHEN i = {needle} THEN '{NEEDLE}' ELSE
                      (ARRAY[{zh}])[1 + (i * 7) % {nz}] || (ARRAY[{zh}])[1 + (i * 13) % {nz}] || ' ' || (ARRAY[{en}])[1 + (i * 5) % {ne}]
                      || (ARRAY[{zh}])[1 + (i * 17) % {nz}] END,
                    {start} + i * {span} / {n}
             FROM generate_series(0, {last}) AS i;
             INSERT INTO conversations(user_id, user_name, kf_id, started_at, ended_at)
             SELECT 'u' || (i / 20), 'V', 'kf' || ((i / 20) % 50), {start} + i * {span} / {n}, {start} + i * {span} / {n}
             FROM generate_series(0, {last}, 20) AS i;
             ANALYZE messages; ANALYZE conversations;",
            needle = n * 23 / 30,
            nz = ZH.len(),
            ne = EN.len(),
            start = now - 30 * DAY,
            span = 30 * DAY,
            last = n - 1,
        );
        c.batch_execute(&sql).unwrap();
        println!("| 12 | search, postgres | {n} messages stored and indexed | {:.1} s |", t.elapsed().as_secs_f64());
        queries(&store, now);
    }
}
