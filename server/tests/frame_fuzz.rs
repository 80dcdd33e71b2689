//! Whatever an anonymous customer or a curious agent sends over a socket, the desk stays up and
//! keeps each conversation to its own two sides. Random frames are built from the protocol's own
//! words: every visitor `type` and agent `respStatus`, their field names, other people's ids,
//! wrong types, huge and hostile strings, binary frames and garbage. A customer (`fz-v…`) and an
//! agent with a valid token and every extension (`fz-a`) send bursts of them, reconnecting when
//! the server closes them. Between bursts a conversation beside them (`ctl-a` with `ctl-v`)
//! carries on. Checked: every control message arrives once, in order, at its own side only; the
//! attackers never see one; nothing panics anywhere in the server; `/healthz` stays 200.
//! `KEFU_FUZZ_SEED` replays a run, `KEFU_FUZZ_ROUNDS` runs longer.

mod support;

use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Map, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::*;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

static PANICS: AtomicUsize = AtomicUsize::new(0);

/// splitmix64: a run is replayed from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, a: &'a [T]) -> &'a T {
        &a[self.below(a.len())]
    }
    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}

const IDS: &[&str] = &["ctl-v", "ctl-a", "fz-a", "zhuguan", "xiaoming", "", " ctl-v", "CTL-V", "ctl-v\u{0}", "../ctl-v", "ctl-v%00"];
const WORDS: &[&str] = &[
    "", " ", "\u{0}", "\n", "null", "1e309", "-1", "9007199254740993", "<script>pwn()</script>", "face[微笑]",
    "a(javascript:pwn())[x]", "img[//evil.example/x.png]", "[div style=position:fixed]x[/div]", "😀", "\u{202e}txt", "\u{fffd}",
    "\"", "'", "\\", "%00", "online", "busy", "away", "whisper", "join", "leave", "reassign", "end", "presales", "default", "-",
];
const KEYS: &[&str] = &[
    "type", "respStatus", "status", "kfId", "kfName", "userId", "userName", "content", "msgId", "seq", "lastSeq", "features",
    "typing", "text", "url", "title", "referrer", "language", "stars", "comment", "name", "contact", "id", "presence", "watch",
    "action", "toKfId", "maxConversations", "data", "department", "peek", "resume", "epoch",
];
const VISITOR_TYPES: &[&str] = &[
    "message", "ping", "typing", "read", "context", "rate", "leaveMessage", "recall", "department", "hello", "status", "ack",
    "error", "pong", "answers", "", "MESSAGE",
];
const RESP_STATUSES: &[i64] = &[1, 2, 3, 4, 5, 9, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 0, -1, 7, 111, 1000];
const FEATURES: &[&str] = &["withdraw", "ack", "seq", "presence", "queue", "typing", "read", "notes", "board", "monitor", "supervise", "recall", "failover"];

fn string(r: &mut Rng) -> String {
    match r.below(7) {
        // Long text now and then; rarely past the frame limit (the socket is closed: 1009).
        0 if r.one_in(25) => "界".repeat(r.below(40_000)),
        0 => "界".repeat(r.below(3_000)),
        1 => (0..r.below(30)).map(|_| char::from_u32(r.below(0x3_0000) as u32).unwrap_or('?')).collect(),
        2 => r.pick(IDS).to_string(),
        _ => r.pick(WORDS).to_string(),
    }
}

fn value(r: &mut Rng, depth: usize) -> Value {
    if depth > 2 || r.below(10) < 7 {
        return match r.below(8) {
            0 => Value::Null,
            1 => Value::Bool(r.one_in(2)),
            2 => json!(*r.pick(&[0i64, 1, 2, -1, i64::MAX, i64::MIN, 5, 50_000])),
            3 => json!(*r.pick(&[u64::MAX, 1 << 53, 3])),
            4 => json!(*r.pick(&[1.5f64, -0.0, 1e308, 4.999])),
            _ => Value::String(string(r)),
        };
    }
    if r.one_in(2) {
        Value::Array((0..r.below(4)).map(|_| value(r, depth + 1)).collect())
    } else {
        Value::Object((0..r.below(4)).map(|_| (r.pick(KEYS).to_string(), value(r, depth + 1))).collect())
    }
}

/// One frame: mostly an object headed like the protocol's, sometimes anything at all.
fn frame(r: &mut Rng, visitor: bool, own: &str) -> Message {
    match r.below(40) {
        // Binary frames close the socket (1003): rarely, so the rest of a burst is read.
        0 if r.one_in(10) => return Message::Binary(vec![0u8; r.below(2000)].into()),
        1 => return Message::Text(string(r).into()),
        2 => return Message::Text(r.pick(&["{", "[", "nonsense", "{\"type\":", "[1]", "\"x\"", "{}{}"]).to_string().into()),
        3 => return Message::Text(value(r, 0).to_string().into()),
        _ => {}
    }
    if !visitor && r.one_in(3) {
        return Message::Text(curious(r, own).to_string().into());
    }
    let mut o = Map::new();
    if visitor {
        let t = if r.one_in(10) { value(r, 1) } else { json!(r.pick(VISITOR_TYPES)) };
        o.insert("type".into(), t);
    } else {
        let s = if r.one_in(10) { value(r, 1) } else { json!(r.pick(RESP_STATUSES)) };
        if !r.one_in(8) {
            o.insert("respStatus".into(), s);
        }
        if r.one_in(3) {
            let f: Vec<&str> = (0..r.below(6)).map(|_| *r.pick(FEATURES)).collect();
            o.insert("features".into(), json!(f));
        }
    }
    for _ in 0..r.below(6) {
        let k = *r.pick(KEYS);
        let v = match r.below(10) {
            _ if !matches!(k, "kfId" | "userId" | "toKfId" | "id" | "msgId") => value(r, 1),
            0..=3 => json!(own),
            4..=6 => json!(r.pick(IDS)),
            _ => value(r, 1),
        };
        o.insert(k.into(), v);
    }
    if r.one_in(2) {
        // Most frames carry text: chat lines, notes and whispers are where customers' words go.
        o.insert("content".into(), json!(string(r)));
    }
    Message::Text(Value::Object(o).to_string().into())
}

/// A well-formed agent frame about someone: its own customer, the other agent's, or anyone.
fn curious(r: &mut Rng, own: &str) -> Value {
    let user = if r.one_in(2) { "ctl-v" } else if r.one_in(2) { own } else { *r.pick(IDS) };
    let text = string(r);
    match r.below(11) {
        0 => json!({"kfId": "fz-a", "kfName": "FZ", "userId": user, "userName": "X", "content": text}),
        1 => json!({"kfId": "ctl-a", "kfName": "A", "userId": user, "userName": "X", "content": text, "msgId": "x1"}),
        2 => json!({"respStatus": 2, "kfId": "fz-a", "userId": user, "userName": "X"}),
        3 => json!({"respStatus": 3, "kfId": "fz-a", "userId": user, "userName": "X"}),
        4 => json!({"respStatus": 4, "kfId": "fz-a", "userId": user}),
        5 => json!({"respStatus": 105, "userId": user, "content": text}),
        6 => json!({"respStatus": 107, "userId": user, "watch": true}),
        7 => json!({"respStatus": 109, "action": *r.pick(&["whisper", "join", "leave", "reassign", "end"]), "userId": user, "toKfId": "fz-a", "content": text}),
        8 => json!({"respStatus": 110, "userId": user, "msgId": *r.pick(&["m0", "m1", "x1", "hello"])}),
        9 => json!({"respStatus": 103, "userId": user, "typing": true}),
        _ => json!({"respStatus": 104, "userId": user}),
    }
}

/// A call to one of the API's routes by the curious agent: any method, someone's ids in the
/// path and query, and a random body (JSON, or not). Its answer's status, or 0 when it did not
/// answer or refused outside the API's JSON shape (the text says how).
async fn curious_call(r: &mut Rng, s: &Server, token: &str, paths: &[&str]) -> (String, u16) {
    // Someone's id as the path's segment (encoded: an empty or dotted one would leave the API).
    let who = match *r.pick(IDS) {
        "" => "ctl-v",
        id if r.one_in(2) => id,
        _ => "ctl-v",
    };
    let who = percent_encoding::utf8_percent_encode(who, percent_encoding::NON_ALPHANUMERIC).to_string();
    let path = r.pick(paths).replace("{user_id}", &who);
    let mut url = reqwest::Url::parse(&s.http(&path)).unwrap();
    if r.one_in(2) {
        // The other agent's conversation, named as its own agent would.
        url.query_pairs_mut().append_pair("kfId", "ctl-a").append_pair("userId", "ctl-v");
    }
    for _ in 0..r.below(4) {
        let k = *r.pick(&["kfId", "userId", "q", "from", "to", "limit", "department", "page", "id", "format"]);
        let v = if r.one_in(2) { r.pick(IDS).to_string() } else { string(r).chars().take(300).collect() };
        url.query_pairs_mut().append_pair(k, &v);
    }
    // The route's own method: each tried from a random one on, until one is not a 405.
    let methods = [reqwest::Method::GET, reqwest::Method::POST, reqwest::Method::DELETE];
    let first = r.below(3);
    let mut last = (String::new(), 0);
    for i in 0..3 {
        let method = methods[(first + i) % 3].clone();
        let mut req = reqwest::Client::new().request(method.clone(), url.clone()).bearer_auth(token);
        if method != reqwest::Method::GET {
            req = match r.below(4) {
                0 => req.header("content-type", "application/json").body(string(r)),
                _ => req.json(&value_or_curious(r)),
            };
        }
        let (code, shape) = match req.send().await {
            Ok(resp) => {
                let code = resp.status().as_u16();
                let text = resp.text().await.unwrap_or_default();
                // A refusal is always the API's JSON shape, naming the problem.
                let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                let shaped = code < 400 || code == 405 || (json["code"] == code && json["msg"].as_str().is_some_and(|m| !m.is_empty()));
                (code, if shaped { String::new() } else { format!(": {}", text.chars().take(200).collect::<String>()) })
            }
            Err(_) => (0, String::new()),
        };
        last = (format!("{method} {url}{shape}"), code);
        if !shape.is_empty() {
            return (last.0, 0);
        }
        if code != 405 {
            break;
        }
    }
    last
}

/// A body: a frame-like object about someone, or any JSON.
fn value_or_curious(r: &mut Rng) -> Value {
    if r.one_in(3) { value(r, 0) } else { curious(r, "fz-v0") }
}

type Sink = SplitSink<WebSocketStream<MaybeTlsStream<TcpStream>>, Message>;

/// An attacking socket: its frames are read (and kept) by a task of their own until it closes.
struct Attacker {
    sink: Option<Sink>,
    seen: Arc<Mutex<Vec<String>>>,
    reconnects: usize,
}

impl Attacker {
    fn new() -> Attacker {
        Attacker { sink: None, seen: Arc::new(Mutex::new(Vec::new())), reconnects: 0 }
    }

    /// Connects again if the server closed it, then sends `first` (an agent's hello answer).
    async fn ensure(&mut self, url: &str, first: Option<Value>) {
        if self.sink.is_some() {
            return;
        }
        let Ok((ws, _)) = tokio_tungstenite::connect_async(url).await else { return };
        let (sink, mut stream) = ws.split();
        let seen = self.seen.clone();
        tokio::spawn(async move {
            while let Some(Ok(m)) = stream.next().await {
                match m {
                    Message::Text(t) => seen.lock().unwrap().push(t.to_string()),
                    Message::Close(c) => seen.lock().unwrap().push(format!("close {:?}", c.map(|c| (u16::from(c.code), c.reason.to_string())))),
                    _ => {}
                }
            }
        });
        self.sink = Some(sink);
        self.reconnects += 1;
        if let Some(f) = first {
            self.send(Message::Text(f.to_string().into())).await;
        }
    }

    /// Sends one frame; a socket the server closed is dropped, to be opened again.
    async fn send(&mut self, m: Message) {
        if let Some(sink) = self.sink.as_mut() {
            if sink.send(m).await.is_err() {
                self.sink = None;
            }
        }
    }
}

/// Waits for the next control message on `peer`, checking every chat line it gets on the way:
/// only the expected one, from its own side, in order.
async fn expect_line(peer: &mut Peer, agent_side: bool, want: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let m = tokio::time::timeout(left, peer.ws.next()).await.unwrap_or_else(|_| panic!("{want} did not arrive"));
        let Some(Ok(Message::Text(t))) = m else {
            match m {
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => panic!("the control socket ended waiting for {want}: {other:?}"),
            }
        };
        let f: Value = serde_json::from_str(&t).unwrap();
        assert!(!(f["type"] == "status" && f["state"] == "ended"), "the control conversation was ended by someone waiting for {want}: {f}");
        let line = if agent_side {
            (f["status"] == 1).then(|| {
                assert_eq!(f["data"]["userId"], "ctl-v", "the control agent got someone else's line: {f}");
                f["data"]["content"].clone()
            })
        } else {
            (f["type"] == "message").then(|| {
                assert_eq!(f["kfId"], "ctl-a", "the control customer got a line from someone else: {f}");
                f["content"].clone()
            })
        };
        if let Some(line) = line {
            assert_eq!(line, want, "a control line out of order, twice or changed: {f}");
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_frames_from_a_customer_and_an_agent_leave_the_desk_up_and_other_chats_untouched() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        default_hook(info);
    }));
    let seed: u64 = std::env::var("KEFU_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(27);
    let rounds: usize = std::env::var("KEFU_FUZZ_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(40);
    let mut r = Rng(seed);
    // No rate limit here, so every frame of a burst reaches a handler (the limit has its own tests).
    let s = Server::start_with(|c| c.max_msgs_per_sec = 1_000_000).await;
    let (mut a, mut v) = assigned(&s, "ctl-a", "ctl-v").await;
    let agent_url = s.agent_url("fz-a").await;
    let attacker_token = s.token("fz-a").await;
    // Every route but the sign-out, which would end the attacker's own token (and so the run).
    let paths: Vec<&str> = kefu_server::routes::api_routes().into_iter().map(|(p, _)| p).filter(|p| *p != "/auth/logout").collect();
    let (mut fa, mut fv) = (Attacker::new(), Attacker::new());
    let mut visitor_n = 0;
    let mut answers = std::collections::BTreeMap::<u16, usize>::new();
    for round in 0..rounds {
        // A new customer id now and then; the same one resumed otherwise.
        if r.one_in(6) {
            visitor_n += 1;
            fv.sink = None;
        }
        let query = if r.one_in(3) { "userName=FZ&history=1" } else { "userName=FZ" };
        fv.ensure(&s.visitor_url(&format!("fz-v{visitor_n}"), query), None).await;
        fa.ensure(&agent_url, Some(json!({"respStatus": 100, "features": FEATURES}))).await;
        // As real ones would, the customer asks and the agent takes them (when offered), so the
        // frames after it reach a live conversation's paths: chat, notes, recalls, reads, rating.
        let me = format!("fz-v{visitor_n}");
        fv.send(Message::Text(json!({"type": "message", "content": "hello", "msgId": format!("m{round}")}).to_string().into())).await;
        fa.send(Message::Text(json!({"respStatus": 2, "kfId": "fz-a", "userId": me, "userName": "FZ"}).to_string().into())).await;
        for _ in 0..40 {
            // The agent names the attacking customer most (accepting them opens every chat path).
            let m = frame(&mut r, true, "fz-a");
            fv.send(m).await;
            let m = frame(&mut r, false, &me);
            fa.send(m).await;
        }
        for _ in 0..8 {
            let (call, code) = curious_call(&mut r, &s, &attacker_token, &paths).await;
            assert!(code != 0 && code < 500, "seed {seed}: {call} answered {code} (0: no answer, or not the API's shape)");
            *answers.entry(code).or_default() += 1;
        }
        let (to_agent, to_visitor) = (format!("⟦control {round} to the agent⟧"), format!("⟦control {round} to the customer⟧"));
        v.send(json!({"type": "message", "content": to_agent})).await;
        expect_line(&mut a, true, &to_agent).await;
        a.send(json!({"kfId": "ctl-a", "kfName": "A", "userId": "ctl-v", "userName": "V", "content": to_visitor})).await;
        expect_line(&mut v, false, &to_visitor).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (who, att) in [("customer", &fv), ("agent", &fa)] {
        let seen = att.seen.lock().unwrap();
        let leaked: Vec<&String> = seen.iter().filter(|t| t.contains("⟦control")).collect();
        assert!(leaked.is_empty(), "the attacking {who} saw the control conversation: {leaked:?}");
        let mut closes: Vec<&str> = seen.iter().filter_map(|t| t.strip_prefix("close ")).collect();
        closes.sort();
        closes.dedup();
        println!("seed {seed}: the attacking {who} opened {} sockets and got {} frames; closed with {closes:?}", att.reconnects, seen.len());
    }
    println!("seed {seed}: the attacking agent's API calls answered {answers:?}");
    let (code, _) = s.get("/healthz").await;
    assert_eq!(code, 200);
    assert_eq!(PANICS.load(Ordering::SeqCst), 0, "seed {seed}: something panicked in the server (above)");
    s.stop().await;
}
