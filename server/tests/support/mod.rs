//! Test harness: a real server on a free loopback port, real WebSocket and HTTP clients.
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use kefu_server::auth::visitor::sign_visitor_id;
use kefu_server::config::TEST_VISITOR_ID_SECRET;
use kefu_server::{serve, state, Config};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub struct Server {
    pub base: String,
    /// The routing hub, to look inside (how many customers it holds).
    pub hub: std::sync::Arc<kefu_server::hub::Hub>,
    pub dir: PathBuf,
    /// Agent tokens by kfId (a login hashes a password: done once per agent).
    tokens: Mutex<HashMap<String, String>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    _tmp: Option<tempfile::TempDir>,
}

/// With `KEFU_TEST_PG` (a PostgreSQL URL; scripts/test.sh sets it for the second run of the
/// suites), a fresh schema on it for one server, as a store URL; else `None` (SQLite).
pub async fn postgres_store() -> Option<String> {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let url = std::env::var("KEFU_TEST_PG").ok().filter(|u| !u.is_empty())?;
    let schema = format!("t{}_{}", std::process::id(), N.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.expect("KEFU_TEST_PG reachable");
    let task = tokio::spawn(conn);
    // A leftover of an earlier run with the same pid goes; the store creates the schema itself.
    client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await.expect("drop an old test schema");
    drop(client);
    let _ = task.await;
    Some(format!("{url}?options=-c%20search_path%3D{schema}"))
}

impl Server {
    pub async fn start() -> Server {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Server {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = Self::start_in(tmp.path().to_path_buf(), tweak).await;
        s._tmp = Some(tmp);
        s
    }

    pub async fn start_in(dir: PathBuf, tweak: impl FnOnce(&mut Config)) -> Server {
        let mut cfg = Config::for_tests(dir.clone());
        cfg.www_dir = dir.join("www");
        // A restart on the same directory finds the same PostgreSQL schema.
        let remembered = dir.join("pg-store-url");
        let url = match std::fs::read_to_string(&remembered) {
            Ok(u) => Some(u),
            Err(_) => postgres_store().await.inspect(|u| std::fs::write(&remembered, u).unwrap()),
        };
        if let Some(url) = url {
            cfg.store = url;
        }
        tweak(&mut cfg);
        let st = state(cfg).unwrap();
        let hub = st.hub.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            serve(listener, st, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        Server { base, hub, dir, tokens: Mutex::new(HashMap::new()), stop: Some(tx), task: Some(task), _tmp: None }
    }

    pub async fn stop(mut self) -> Option<tempfile::TempDir> {
        let _ = self.stop.take().unwrap().send(());
        let _ = self.task.take().unwrap().await;
        self._tmp.take()
    }

    /// The key the server signs agent tokens with (a file beside SQLite, a row in PostgreSQL).
    pub fn token_key(&self) -> Vec<u8> {
        let hex_key = match self.hub.store() {
            kefu_server::store::Store::Postgres(_) => self.hub.store().meta_or_insert("token_key", String::new).unwrap(),
            kefu_server::store::Store::Sqlite(_) => std::fs::read_to_string(self.dir.join("auth.key")).unwrap(),
        };
        hex::decode(hex_key.trim()).unwrap()
    }

    pub fn http(&self, path: &str) -> String {
        format!("http://{}{}", self.base, path)
    }

    /// A token for agent `kf_id` (password: the id; unknown agents register on first login).
    pub async fn token(&self, kf_id: &str) -> String {
        let kf_id = &*percent_encoding::percent_decode_str(kf_id).decode_utf8_lossy();
        if let Some(t) = self.tokens.lock().unwrap().get(kf_id) {
            return t.clone();
        }
        let r = reqwest::Client::new().post(self.http("/auth/login")).json(&json!({"kfId": kf_id, "password": kf_id})).send().await.unwrap();
        let body: Value = r.json().await.unwrap();
        let t = body["data"]["token"].as_str().unwrap_or_else(|| panic!("login {kf_id}: {body}")).to_owned();
        self.tokens.lock().unwrap().insert(kf_id.to_owned(), t.clone());
        t
    }

    /// The socket URL of agent `kf_id`, with its token.
    pub async fn agent_url(&self, kf_id: &str) -> String {
        format!("ws://{}/websocket/{}?token={}", self.base, kf_id, self.token(kf_id).await)
    }

    /// The socket URL of customer `user_id`, signed by the test site; `query` is appended.
    pub fn visitor_url(&self, user_id: &str, query: &str) -> String {
        let id = percent_encoding::percent_decode_str(user_id).decode_utf8_lossy();
        format!("ws://{}/websocket/visitor/{}?{}&{query}", self.base, user_id, signed(&id))
    }

    /// The token an HTTP call goes out with: the agent its query or body names, else the supervisor.
    async fn token_for(&self, path: &str, body: Option<&Value>) -> String {
        let named = body.and_then(|b| b["kfId"].as_str()).map(str::to_owned).or_else(|| {
            let q = path.split_once('?')?.1;
            form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "kfId").map(|(_, v)| v.into_owned())
        });
        self.token(named.as_deref().unwrap_or(SUPERVISOR)).await
    }

    /// An agent that answers the hello without extensions (so its backlog comes at once).
    pub async fn agent(&self, kf_id: &str) -> Peer {
        self.agent_with(kf_id, &[]).await
    }

    /// An agent that answers the hello choosing `features`.
    pub async fn agent_with(&self, kf_id: &str, features: &[&str]) -> Peer {
        let mut p = self.legacy_agent(kf_id).await;
        p.send(serde_json::json!({"respStatus": 100, "features": features})).await;
        p
    }

    /// An agent speaking only the original protocol: it ignores the hello.
    pub async fn legacy_agent(&self, kf_id: &str) -> Peer {
        let mut p = Peer::connect(&self.agent_url(kf_id).await).await;
        let hello = p.recv().await;
        assert_eq!(hello["status"], 100, "hello first: {hello}");
        p
    }

    pub async fn visitor(&self, user_id: &str, name: &str) -> Peer {
        Peer::connect(&self.visitor_url(user_id, &format!("userName={name}"))).await
    }

    /// GET as the agent the path names (`kfId=`), else as the supervisor.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let token = self.token_for(path, None).await;
        self.get_with(path, &token).await
    }

    /// GET as agent `kf_id`.
    pub async fn get_as(&self, kf_id: &str, path: &str) -> (u16, Value) {
        let token = self.token(kf_id).await;
        self.get_with(path, &token).await
    }

    async fn get_with(&self, path: &str, token: &str) -> (u16, Value) {
        let r = reqwest::Client::new().get(self.http(path)).bearer_auth(token).send().await.unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    /// POST as agent `kf_id` (the supervisor: [`SUPERVISOR`]).
    pub async fn post_as(&self, kf_id: &str, path: &str, body: Value) -> (u16, Value) {
        let token = self.token(kf_id).await;
        let r = reqwest::Client::new().post(self.http(path)).bearer_auth(token).json(&body).send().await.unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    /// POST as the agent the body names (`kfId`), else as the supervisor.
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let token = self.token_for(path, Some(&body)).await;
        let r = reqwest::Client::new().post(self.http(path)).bearer_auth(token).json(&body).send().await.unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }
}

/// `sig=…&exp=…` for customer `user_id`, signed by the test site, valid for an hour.
pub fn signed(user_id: &str) -> String {
    let exp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 3600;
    format!("sig={}&exp={exp}", sign_visitor_id(TEST_VISITOR_ID_SECRET.as_bytes(), user_id, exp))
}

/// Agent `kf` connected and in a conversation with a new customer `user` (accepted from the offer).
pub async fn assigned(s: &Server, kf: &str, user: &str) -> (Peer, Peer) {
    assigned_with(s, kf, user, &[]).await
}

/// [`assigned`], with the agent using extensions `features`.
pub async fn assigned_with(s: &Server, kf: &str, user: &str, features: &[&str]) -> (Peer, Peer) {
    let mut a = s.agent_with(kf, features).await;
    let mut v = s.visitor(user, "V").await;
    a.recv_until(status(2)).await;
    a.send(json!({"respStatus": 2, "kfId": kf, "userId": user, "userName": "V"})).await;
    v.recv_until(vstate("assigned")).await;
    (a, v)
}

/// The seeded supervisor; in demo mode (on in the tests) its password is its id.
pub const SUPERVISOR: &str = "zhuguan";

pub struct Peer {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Peer {
    pub async fn connect(url: &str) -> Peer {
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap_or_else(|e| panic!("connect {url}: {e}"));
        Peer { ws }
    }

    pub async fn send(&mut self, v: Value) {
        self.ws.send(Message::Text(v.to_string().into())).await.unwrap();
    }

    pub async fn send_text(&mut self, t: &str) {
        self.ws.send(Message::Text(t.to_owned().into())).await.unwrap();
    }

    /// Next text frame as JSON (5 s limit), without the `seq` stamp (see `recv_raw`).
    pub async fn recv(&mut self) -> Value {
        let mut v = self.recv_raw().await;
        if let Some(o) = v.as_object_mut() {
            o.remove("seq");
        }
        v
    }

    /// Next text frame as JSON, exactly as sent.
    pub async fn recv_raw(&mut self) -> Value {
        match self.next().await {
            Some(Message::Text(t)) => serde_json::from_str(&t).unwrap(),
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    pub async fn next(&mut self) -> Option<Message> {
        loop {
            match tokio::time::timeout(Duration::from_secs(5), self.ws.next()).await {
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
                Ok(Some(Ok(m))) => return Some(m),
                Ok(_) => return None,
                Err(_) => panic!("timed out waiting for a frame"),
            }
        }
    }

    /// Skips frames until one matches.
    pub async fn recv_until(&mut self, f: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..50 {
            let v = self.recv().await;
            if f(&v) {
                return v;
            }
        }
        panic!("no matching frame");
    }

    /// Every text frame that arrives until `ms` pass without one.
    pub async fn drain_for(&mut self, ms: u64) -> Vec<Value> {
        let mut out = Vec::new();
        while let Ok(Some(Ok(m))) = tokio::time::timeout(Duration::from_millis(ms), self.ws.next()).await {
            if let Message::Text(t) = m {
                out.push(serde_json::from_str(&t).unwrap_or(Value::Null));
            }
        }
        out
    }

    /// Asserts nothing arrives within `ms`.
    pub async fn silent(&mut self, ms: u64) {
        if let Ok(m) = tokio::time::timeout(Duration::from_millis(ms), self.ws.next()).await {
            panic!("expected silence, got {m:?}");
        }
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

pub fn status(n: i64) -> impl Fn(&Value) -> bool {
    move |v| v["status"] == n
}

pub fn vstate(s: &'static str) -> impl Fn(&Value) -> bool {
    move |v| v["type"] == "status" && v["state"] == s
}

/// Holds the group writer on a thread of its own (a hub blocked on it cannot stall the test's
/// clock) until the sender is used or dropped, or 6 s have passed. On SQLite there is no writer.
pub fn hold_writer(s: &Server) -> (std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>) {
    let (release, wait) = std::sync::mpsc::channel::<()>();
    let (taken, is_taken) = std::sync::mpsc::channel::<()>();
    let hub = s.hub.clone();
    let held = std::thread::spawn(move || {
        let _guard = hub.store().group().map(|w| w.hold());
        let _ = taken.send(());
        let _ = wait.recv_timeout(std::time::Duration::from_secs(6));
    });
    let _ = is_taken.recv();
    (release, held)
}

