//! Signed webhooks (issue 26): events of the desk — `conversation.started`, `.assigned`,
//! `.transferred`, `.ended`, `.rated`, `message.created`, `offline_message.created` — POSTed as
//! JSON to every `--webhook-url`, signed with its `--webhook-secret`:
//! `X-Kefu-Timestamp: <unix seconds>` and `X-Kefu-Signature: sha256=<hex HMAC-SHA256(secret,
//! timestamp + "." + body)>`. Each URL has its own queue, sent in order (so per conversation in
//! order), each event retried with backoff (12 attempts) before the next; routing only puts events
//! on the queues and never waits for a receiver. Each sender keeps the events it takes in the
//! store's outbox until they are delivered or given up, and starts with what the outbox still
//! holds, so a restart or a failover does not lose them (`store/outbox.rs`). The last 500 attempts
//! are kept for supervisors.

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use crate::store::outbox::PendingEvent;
use crate::store::Store;

/// Attempts per event before it is logged as failed and the next one goes.
pub const ATTEMPTS: u32 = 12;
/// Attempts kept in the delivery log.
const LOG_KEPT: usize = 500;
/// Delivered events forgotten by the outbox at least this often under load (a crash may send up
/// to this many again).
const FORGET_EVERY: usize = 64;

/// One receiver.
#[derive(Clone, Debug)]
pub struct Target {
    /// Where to POST.
    pub url: String,
    /// The signing secret.
    pub secret: String,
}

/// One attempt, as supervisors read it (`GET /webhooks/deliveries`).
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// The event's id.
    pub id: u64,
    /// Its type.
    pub event: String,
    /// The receiver.
    pub url: String,
    /// Which attempt (1 = first).
    pub attempt: u32,
    /// When, ms since the epoch.
    pub at: i64,
    /// The HTTP status, if the receiver answered.
    pub status: Option<u16>,
    /// `delivered`, `retrying` or `failed`.
    pub outcome: &'static str,
    /// Why it did not go, if it did not.
    pub error: Option<String>,
}

/// The webhooks of one routing node.
pub struct Webhooks {
    queues: Vec<(Target, mpsc::UnboundedSender<PendingEvent>)>,
    waiting: Mutex<Vec<(Target, mpsc::UnboundedReceiver<PendingEvent>)>>,
    /// The next event's id, held while an event is put on the queues so they get ids in order.
    next_id: Mutex<u64>,
    log: Arc<Mutex<VecDeque<Attempt>>>,
    retry_base: Duration,
    senders: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// Customers erased since start: their events still queued are dropped, not sent.
    erased: Arc<Mutex<std::collections::HashSet<String>>>,
}

/// The first event id of a routing node started at `now_ms`: ids go on increasing across restarts
/// and failovers (a receiver drops a repeated id as a duplicate, so ids that started again at 1
/// after a restart were dropped). Below 2^53 (exact in JavaScript) until the year 2255, and a
/// node would have to send more than 1 000 events a millisecond to reach its successor's first id.
fn first_id(now_ms: i64) -> u64 {
    (now_ms.max(0) as u64).saturating_mul(1000)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// The signature of `body` sent at `timestamp` (seconds) under `secret`: the `X-Kefu-Signature`
/// value.
pub fn signature(secret: &str, timestamp: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl Webhooks {
    /// The receivers of `cfg` (`--webhook-url` paired with `--webhook-secret` by position; one
    /// secret serves every URL). Nothing is sent until [`Webhooks::start`].
    pub fn new(cfg: &crate::config::Config) -> Webhooks {
        let mut queues = Vec::new();
        let mut waiting = Vec::new();
        for (i, url) in cfg.webhook_urls.iter().enumerate() {
            let secret = cfg.webhook_secrets.get(i).or(cfg.webhook_secrets.first()).cloned().unwrap_or_default();
            let (tx, rx) = mpsc::unbounded_channel();
            let target = Target { url: url.clone(), secret };
            queues.push((target.clone(), tx));
            waiting.push((target, rx));
        }
        Webhooks {
            queues,
            waiting: Mutex::new(waiting),
            next_id: Mutex::new(first_id(now_ms())),
            log: Arc::new(Mutex::new(VecDeque::new())),
            retry_base: Duration::from_millis(cfg.webhook_retry_ms.max(1)),
            senders: Mutex::new(Vec::new()),
            erased: Arc::default(),
        }
    }

    /// Starts one sender per receiver (on the running Tokio runtime), each first sending what
    /// `store`'s outbox holds for it; the outbox's events of receivers no longer configured go.
    pub fn start(&self, store: Arc<Store>) {
        let waiting = std::mem::take(&mut *self.waiting.lock().unwrap_or_else(|e| e.into_inner()));
        let urls: Vec<String> = self.queues.iter().map(|(t, _)| t.url.clone()).collect();
        let forget = store.clone();
        let sweep = tokio::task::spawn_blocking(move || match forget.outbox_forget_others(&urls) {
            Ok(0) => {}
            Ok(n) => tracing::warn!(events = n, "dropped pending webhook events of receivers no longer configured"),
            Err(e) => tracing::error!(error = %e, "could not sweep the webhook outbox"),
        });
        let mut senders = self.senders.lock().unwrap_or_else(|e| e.into_inner());
        senders.push(tokio::spawn(async move {
            let _ = sweep.await;
        }));
        if waiting.is_empty() {
            return;
        }
        let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default();
        for (target, rx) in waiting {
            let sender = Sender { client: client.clone(), target, log: self.log.clone(), base: self.retry_base, store: store.clone(), erased: self.erased.clone() };
            senders.push(tokio::spawn(sender.run(rx)));
        }
    }

    /// Stops sending (the server is shutting down): what is pending stays in the outbox for the
    /// next start.
    pub fn stop(&self) {
        for s in self.senders.lock().unwrap_or_else(|e| e.into_inner()).drain(..) {
            s.abort();
        }
    }

    /// Whether any receiver is configured (events are worth building).
    pub fn active(&self) -> bool {
        !self.queues.is_empty()
    }

    /// Queues `event` with the data `data()` builds for every receiver. Never waits; with no
    /// receiver configured nothing is built (it is called on the message path).
    pub fn emit(&self, event: &str, data: impl FnOnce() -> Value) {
        if self.queues.is_empty() {
            return;
        }
        let data = data();
        let user_id = crate::protocol::id_of(&data, "userId").ok();
        let created_at = now_ms();
        // The id is taken and the event queued under one lock: events emitted at once from two
        // threads (the hub, the group writer) reach every queue in id order.
        let mut next_id = self.next_id.lock().unwrap_or_else(|e| e.into_inner());
        let id = *next_id;
        *next_id += 1;
        let body = json!({"id": id, "event": event, "createdAt": created_at, "data": data}).to_string();
        for (_, tx) in &self.queues {
            let _ = tx.send(PendingEvent { id, event: event.to_owned(), body: body.clone(), user_id: user_id.clone(), created_at });
        }
    }

    /// Customer `user_id` was erased: their events still queued here are dropped (the store's
    /// erasure removes those in the outbox).
    pub fn forget_visitor(&self, user_id: &str) {
        self.erased.lock().unwrap_or_else(|e| e.into_inner()).insert(user_id.to_owned());
    }

    /// The latest attempts, newest last.
    pub fn deliveries(&self) -> Vec<Attempt> {
        self.log.lock().map(|l| l.iter().cloned().collect()).unwrap_or_default()
    }
}

fn record(log: &Mutex<VecDeque<Attempt>>, a: Attempt) {
    if let Ok(mut l) = log.lock() {
        if l.len() >= LOG_KEPT {
            l.pop_front();
        }
        l.push_back(a);
    }
}

/// One receiver's sender.
struct Sender {
    client: reqwest::Client,
    target: Target,
    log: Arc<Mutex<VecDeque<Attempt>>>,
    base: Duration,
    store: Arc<Store>,
    erased: Arc<Mutex<std::collections::HashSet<String>>>,
}

impl Sender {
    /// Sends the receiver's events in order — first those the outbox still held, then each one
    /// queued — each until delivered or [`ATTEMPTS`] are spent, and then forgets it. Beside the
    /// sending, what is queued goes into the outbox as it comes (so an event waiting behind a
    /// receiver's outage is kept too).
    async fn run(self, mut rx: mpsc::UnboundedReceiver<PendingEvent>) {
        let url = self.target.url.clone();
        let store = self.store.clone();
        let held = tokio::task::spawn_blocking(move || store.outbox_pending(&url)).await;
        let backlog: Vec<PendingEvent> = match held {
            Ok(Ok(events)) => events,
            Ok(Err(e)) => {
                tracing::error!(error = %e, url = self.target.url, "could not read the webhook outbox");
                Vec::new()
            }
            Err(_) => Vec::new(),
        };
        let (kept_tx, mut kept) = mpsc::unbounded_channel::<PendingEvent>();
        let me = &self;
        let keeper = async move {
            while let Some(q) = rx.recv().await {
                let mut batch = vec![q];
                while let Ok(q) = rx.try_recv() {
                    batch.push(q);
                }
                me.keep(&batch).await;
                for q in batch {
                    let _ = kept_tx.send(q);
                }
            }
        };
        let sender = async move {
            let mut done = Vec::new();
            let mut backlog = backlog.into_iter();
            loop {
                let q = match backlog.next() {
                    Some(q) => q,
                    None => match kept.recv().await {
                        Some(q) => q,
                        None => return,
                    },
                };
                me.deliver(&q).await;
                // Forgotten in one statement when nothing else waits, or every FORGET_EVERY
                // events under load.
                done.push(q.id);
                if done.len() >= FORGET_EVERY || (backlog.len() == 0 && kept.is_empty()) {
                    me.forget(std::mem::take(&mut done)).await;
                }
            }
        };
        tokio::join!(keeper, sender);
    }

    async fn forget(&self, ids: Vec<u64>) {
        let (store, url) = (self.store.clone(), self.target.url.clone());
        if let Ok(Err(e)) = tokio::task::spawn_blocking(move || store.outbox_done(&url, &ids)).await {
            tracing::error!(error = %e, "could not clear webhook events from the outbox (they may be sent again)");
        }
    }

    /// Keeps `events` in the outbox; on a store error they are sent all the same (from memory).
    async fn keep(&self, events: &[PendingEvent]) {
        let rows = events.to_vec();
        let (store, url) = (self.store.clone(), self.target.url.clone());
        if let Ok(Err(e)) = tokio::task::spawn_blocking(move || store.outbox_keep(&url, &rows)).await {
            tracing::error!(error = %e, "could not keep webhook events in the outbox; sending them from memory");
        }
    }

    /// Sends one event until delivered or every attempt failed, logging each attempt; an erased
    /// customer's is dropped.
    async fn deliver(&self, q: &PendingEvent) {
        let target = &self.target;
        for attempt in 1..=ATTEMPTS {
            let erased = q.user_id.as_ref().is_some_and(|u| self.erased.lock().unwrap_or_else(|e| e.into_inner()).contains(u));
            if erased {
                tracing::info!(id = q.id, "webhook event of an erased customer dropped");
                return;
            }
            let timestamp = (now_ms() / 1000).to_string();
            let sent = self
                .client
                .post(&target.url)
                .header("content-type", "application/json")
                .header("x-kefu-event", &q.event)
                .header("x-kefu-delivery", q.id.to_string())
                .header("x-kefu-timestamp", &timestamp)
                .header("x-kefu-signature", signature(&target.secret, &timestamp, &q.body))
                .body(q.body.clone())
                .send()
                .await;
            let (status, error) = match sent {
                Ok(r) if r.status().is_success() => (Some(r.status().as_u16()), None),
                Ok(r) => (Some(r.status().as_u16()), Some(format!("HTTP {}", r.status().as_u16()))),
                Err(e) => (None, Some(e.to_string())),
            };
            let delivered = error.is_none();
            let outcome = if delivered { "delivered" } else if attempt == ATTEMPTS { "failed" } else { "retrying" };
            record(&self.log, Attempt { id: q.id, event: q.event.clone(), url: target.url.clone(), attempt, at: now_ms(), status, outcome, error });
            if delivered {
                return;
            }
            if attempt < ATTEMPTS {
                let wait = self.base.saturating_mul(1 << (attempt - 1).min(6)).min(Duration::from_secs(60));
                tokio::time::sleep(wait).await;
            } else {
                tracing::warn!(url = target.url, id = q.id, "webhook failed after every attempt; going on with the next");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_go_on_increasing_after_a_restart() {
        let mut cfg = crate::config::Config::for_tests(std::env::temp_dir());
        cfg.webhook_urls = vec!["http://127.0.0.1:9/".into()];
        let first = super::Webhooks::new(&cfg);
        first.emit("message.created", || serde_json::json!({}));
        first.emit("message.created", || serde_json::json!({}));
        std::thread::sleep(std::time::Duration::from_millis(2));
        let restarted = super::Webhooks::new(&cfg);
        restarted.emit("message.created", || serde_json::json!({}));
        let ids = |w: &super::Webhooks| {
            let mut waiting = w.waiting.lock().unwrap();
            let rx = &mut waiting[0].1;
            std::iter::from_fn(|| rx.try_recv().ok()).map(|q| q.id).collect::<Vec<_>>()
        };
        let (before, after) = (ids(&first), ids(&restarted));
        assert_eq!(before.len(), 2);
        assert!(before[0] < before[1] && before[1] < after[0], "{before:?} then {after:?}");
        assert!(after[0] < (1 << 53), "exact as a JavaScript number");
    }

    #[test]
    fn events_emitted_at_once_reach_each_queue_in_id_order() {
        // The hub and the group writer emit from different threads: an id taken by one and sent
        // after the other's later id would reach receivers out of order.
        let mut cfg = crate::config::Config::for_tests(std::env::temp_dir());
        cfg.webhook_urls = vec!["http://127.0.0.1:9/".into(), "http://127.0.0.1:10/".into()];
        let hooks = std::sync::Arc::new(super::Webhooks::new(&cfg));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let hooks = hooks.clone();
                std::thread::spawn(move || (0..20_000).for_each(|_| hooks.emit("message.created", || serde_json::json!({}))))
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        let mut waiting = hooks.waiting.lock().unwrap();
        for (_, rx) in waiting.iter_mut() {
            let ids: Vec<u64> = std::iter::from_fn(|| rx.try_recv().ok()).map(|q| q.id).collect();
            assert_eq!(ids.len(), 80_000);
            let behind = ids.windows(2).filter(|w| w[0] >= w[1]).count();
            assert_eq!(behind, 0, "{behind} events came after a later id");
        }
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // As Python's hmac computes it: hmac.new(b"whsec_test", b'1700000000.{"id":1}', sha256).
        let s = super::signature("whsec_test", "1700000000", r#"{"id":1}"#);
        assert_eq!(s, "sha256=2f441ba4b3b2d50d28a9ab9d9fd8880376ecd1eb5d0435401553f5d8d0a5dcf8");
    }
}
