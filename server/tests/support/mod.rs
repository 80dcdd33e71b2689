//! Test harness: a real server on a free loopback port, real WebSocket and HTTP clients.
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use kefu_server::{serve, state, Config};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub struct Server {
    pub base: String,
    pub dir: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    _tmp: Option<tempfile::TempDir>,
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
        tweak(&mut cfg);
        let st = state(cfg).unwrap();
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
        Server { base, dir, stop: Some(tx), task: Some(task), _tmp: None }
    }

    pub async fn stop(mut self) -> Option<tempfile::TempDir> {
        let _ = self.stop.take().unwrap().send(());
        let _ = self.task.take().unwrap().await;
        self._tmp.take()
    }

    pub fn http(&self, path: &str) -> String {
        format!("http://{}{}", self.base, path)
    }

    /// An agent that answers the hello without extensions (so its backlog comes at once).
    pub async fn agent(&self, kf_id: &str) -> Peer {
        let mut p = self.legacy_agent(kf_id).await;
        p.send(serde_json::json!({"respStatus": 100, "features": []})).await;
        p
    }

    /// An agent speaking only the original protocol: it ignores the hello.
    pub async fn legacy_agent(&self, kf_id: &str) -> Peer {
        let mut p = Peer::connect(&format!("ws://{}/websocket/{}", self.base, kf_id)).await;
        let hello = p.recv().await;
        assert_eq!(hello["status"], 100, "hello first: {hello}");
        p
    }

    pub async fn visitor(&self, user_id: &str, name: &str) -> Peer {
        Peer::connect(&format!("ws://{}/websocket/visitor/{}?userName={}", self.base, user_id, name)).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = reqwest::get(self.http(path)).await.unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = reqwest::Client::new().post(self.http(path)).json(&body).send().await.unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }
}

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
