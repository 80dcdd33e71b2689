//! The fault suites' actors and tally, shared by the single-node suite (`fault_injection.rs`) and
//! the cluster suite (`cluster.rs`): native agents (the sans-IO session core over real sockets)
//! and scripted visitors with the visitor protocol's reliability, counting per direction what
//! was sent, delivered, lost, duplicated and out of order, and how long agents took to recover.
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use kefu_agent::core::{DeliveryStatus, JsonSession, LinkState, Output, Scalar, Session, SessionConfig, UiEvent};
use kefu_server::auth::visitor::sign_visitor_id;
use kefu_server::config::TEST_VISITOR_ID_SECRET;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[derive(Default)]
pub struct Tally {
    /// content -> times received
    pub received: HashMap<String, u32>,
    /// per sender, the sequence numbers in arrival order
    pub order: HashMap<String, Vec<u64>>,
}

impl Tally {
    /// `content` is "<sender>#<n>"; order is checked per (receiver, sender) pair.
    pub fn record(&mut self, receiver: &str, content: &str) {
        *self.received.entry(content.to_owned()).or_default() += 1;
        if let Some((who, n)) = content.rsplit_once('#') {
            if let Ok(n) = n.parse() {
                self.order.entry(format!("{receiver}|{who}")).or_default().push(n);
            }
        }
    }
    pub fn out_of_order(&self) -> usize {
        self.order.values().map(|v| v.windows(2).filter(|w| w[1] < w[0]).count()).sum()
    }
}

pub enum AgentEvent {
    Opened(u64, futures_util::stream::SplitSink<tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>, Message>),
    Frame(u64, String),
    Closed(u64),
}

pub struct AgentShared {
    pub tally: Mutex<Tally>,
    pub customers: Mutex<Vec<String>>,
    pub open_since: Mutex<Option<Instant>>,
    pub closed_at: Mutex<Option<Instant>>,
    pub recoveries: Mutex<Vec<Duration>>,
    pub retried: Mutex<u64>,
}

/// A native shell around the sans-IO session: the same core the wasm console runs.
pub async fn run_agent(kf: String, token: String, port: u16, shared: Arc<AgentShared>, mut to_send: mpsc::UnboundedReceiver<(String, String)>, stop: Arc<std::sync::atomic::AtomicBool>) {
    let mut cfg = SessionConfig::new(kf.clone());
    cfg.heartbeat_ms = 400;
    cfg.heartbeat_timeout_ms = 400;
    cfg.reconnect_ms = 200;
    cfg.connect_timeout_ms = 2000;
    cfg.hello_wait_ms = 2000;
    cfg.client_token = format!("{kf}-t");
    let t0 = Instant::now();
    let now = || t0.elapsed().as_millis() as u64;
    let mut s: JsonSession = Session::new(cfg);
    let (ev_tx, mut ev_rx) = mpsc::unbounded_channel::<AgentEvent>();
    let mut sink: Option<(u64, futures_util::stream::SplitSink<_, Message>)> = None;
    let mut texts: HashMap<u64, (String, String)> = HashMap::new(); // local id -> (user, content)
    s.connect(now());
    loop {
        // Drain outputs (the documented loop).
        while let Some(o) = s.poll_output() {
            match o {
                Output::OpenSocket { conn } => {
                    sink = None;
                    let tx = ev_tx.clone();
                    let url = format!("ws://127.0.0.1:{port}/websocket/{kf}?token={token}");
                    tokio::spawn(async move {
                        match tokio_tungstenite::connect_async(&url).await {
                            Ok((ws, _)) => {
                                let (w, mut r) = ws.split();
                                let _ = tx.send(AgentEvent::Opened(conn, w));
                                while let Some(Ok(m)) = r.next().await {
                                    if let Message::Text(t) = m {
                                        let _ = tx.send(AgentEvent::Frame(conn, t.to_string()));
                                    }
                                }
                                let _ = tx.send(AgentEvent::Closed(conn));
                            }
                            Err(_) => {
                                let _ = tx.send(AgentEvent::Closed(conn));
                            }
                        }
                    });
                }
                Output::Send { conn, frame, local_id } => {
                    let ok = match &mut sink {
                        Some((c, w)) if *c == conn => w.send(Message::Text(frame.encode().into())).await.is_ok(),
                        _ => false,
                    };
                    if !ok {
                        s.handle_send_failed(now(), conn, local_id);
                    }
                }
                Output::CloseSocket { conn, .. } => {
                    if sink.as_ref().is_some_and(|(c, _)| *c == conn) {
                        if let Some((_, mut w)) = sink.take() {
                            let _ = w.close().await;
                        }
                    }
                }
                Output::Ui(UiEvent::Message(m)) => shared.tally.lock().unwrap().record(&kf, m["content"].as_str().unwrap_or_default()),
                Output::Ui(UiEvent::CustomerWaiting { offer, .. }) => {
                    let customer = offer.customer;
                    let _ = s.accept_customer(&customer.id);
                    let mut cs = shared.customers.lock().unwrap();
                    if !cs.contains(&customer.id.key()) {
                        cs.push(customer.id.key());
                    }
                }
                Output::Ui(UiEvent::StateChanged(st)) => {
                    if st == LinkState::Open {
                        if let Some(at) = shared.closed_at.lock().unwrap().take() {
                            shared.recoveries.lock().unwrap().push(at.elapsed());
                        }
                        *shared.open_since.lock().unwrap() = Some(Instant::now());
                    } else if st == LinkState::Reconnecting {
                        shared.closed_at.lock().unwrap().get_or_insert(Instant::now());
                    }
                }
                Output::Ui(UiEvent::MessageStatus { local_id, status: DeliveryStatus::Failed, reason }) => {
                    // What an agent does with a failed message: retry (the console's retry link).
                    if let Some((user, content)) = texts.get(&local_id).cloned() {
                        *shared.retried.lock().unwrap() += 1;
                        let _ = reason;
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        if let Ok(id) = s.send_message(Scalar::from(user.clone()), "V".into(), content.clone()) {
                            texts.insert(id, (user, content));
                        }
                    }
                }
                _ => {}
            }
        }
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            s.close(now());
            while s.poll_output().is_some() {}
            return;
        }
        let wait = s.poll_timeout().map(|d| d.saturating_sub(now())).unwrap_or(1000).min(100);
        tokio::select! {
            ev = ev_rx.recv() => match ev {
                Some(AgentEvent::Opened(conn, w)) => {
                    if s.live_conn() == Some(conn) {
                        sink = Some((conn, w));
                    }
                    s.handle_socket_opened(now(), conn);
                }
                Some(AgentEvent::Frame(conn, t)) => s.handle_frame(now(), conn, kefu_agent::core::FrameIn::Text(&t)),
                Some(AgentEvent::Closed(conn)) => s.handle_socket_closed(now(), conn, 1006),
                None => return,
            },
            cmd = to_send.recv() => if let Some((user, content)) = cmd {
                if let Ok(id) = s.send_message(Scalar::from(user.clone()), "V".into(), content.clone()) {
                    texts.insert(id, (user, content));
                }
            },
            _ = tokio::time::sleep(Duration::from_millis(wait)) => s.handle_timeout(now()),
        }
    }
}

/// A scripted visitor with the visitor protocol's reliability: msgId + ack + resend, lastSeq
/// replay, reconnect after 100 ms.
pub async fn run_visitor(id: String, department: Option<String>, port: u16, count: usize, tally: Arc<Mutex<Tally>>, stop: Arc<std::sync::atomic::AtomicBool>) {
    let mut unacked: Vec<(String, String)> = Vec::new(); // (msgId, frame)
    let mut next = 0usize;
    let mut last_seq = 0u64;
    let mut seen: HashSet<u64> = HashSet::new();
    let exp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 3600;
    let sig = sign_visitor_id(TEST_VISITOR_ID_SECRET.as_bytes(), &id, exp);
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let dep = department.as_ref().map(|d| format!("&department={d}")).unwrap_or_default();
        let url = format!("ws://127.0.0.1:{port}/websocket/visitor/{id}?userName=V&lastSeq={last_seq}&sig={sig}&exp={exp}{dep}");
        let Ok(Ok((ws, _))) = tokio::time::timeout(Duration::from_secs(2), tokio_tungstenite::connect_async(&url)).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let (mut w, mut r) = ws.split();
        let mut ok = true;
        for (_, f) in &unacked {
            if w.send(Message::Text(f.clone().into())).await.is_err() {
                ok = false;
                break;
            }
        }
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        while ok && !stop.load(std::sync::atomic::Ordering::Relaxed) {
            tokio::select! {
                m = r.next() => match m {
                    Some(Ok(Message::Text(t))) => {
                        let v: Value = serde_json::from_str(&t).unwrap_or(Value::Null);
                        match v["type"].as_str() {
                            Some("ack") => unacked.retain(|(m, _)| v["msgId"] != m.as_str()),
                            Some("message") => {
                                let seq = v["seq"].as_u64().unwrap_or(0);
                                if seq > last_seq || !seen.contains(&seq) {
                                    if seen.insert(seq) {
                                        last_seq = last_seq.max(seq);
                                        tally.lock().unwrap().record(&id, v["content"].as_str().unwrap_or(""));
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                    Some(Ok(_)) => {}
                    _ => ok = false,
                },
                _ = tick.tick() => {
                    if next < count {
                        let msg_id = format!("{id}-m{next}");
                        let frame = json!({"type": "message", "content": format!("{id}#{next}"), "msgId": msg_id}).to_string();
                        next += 1;
                        unacked.push((msg_id, frame.clone()));
                        if w.send(Message::Text(frame.into())).await.is_err() {
                            ok = false;
                        }
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Injects one fault (the `n`th) and names it.
pub trait Faults {
    /// Injects fault `n`; returns its name.
    fn inject(&mut self, n: usize) -> impl std::future::Future<Output = String>;
}

/// Who takes part and how much they say.
pub struct Mix {
    /// Native agents.
    pub agents: usize,
    /// Scripted visitors.
    pub visitors: usize,
    /// Messages each way.
    pub per_direction: usize,
    /// Time between faults.
    pub every: Duration,
    /// Departments `d0`, `d1`, …: visitor `v` names `d{v % departments}` (0: none). The caller
    /// puts agent `i` in `d{i % departments}`.
    pub departments: usize,
}

/// Runs the suite: the `mix` of agents and visitors on `port` (logging in on `login_port`), a
/// fault every `mix.every`; prints the table under `title` and asserts 0 lost, 0 duplicated, 0
/// out of order. Returns how many faults were injected.
pub async fn exercise<F: Faults>(title: &str, port: u16, login_port: u16, mix: Mix, faults: &mut F) -> usize {
    let Mix { agents, visitors, per_direction, every, departments } = mix;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));

    let mut shared = Vec::new();
    let mut senders = Vec::new();
    for i in 0..agents {
        let sh = Arc::new(AgentShared {
            tally: Mutex::default(),
            customers: Mutex::default(),
            open_since: Mutex::default(),
            closed_at: Mutex::default(),
            recoveries: Mutex::default(),
            retried: Mutex::new(0),
        });
        let (tx, rx) = mpsc::unbounded_channel();
        let kf = format!("fault-kf{i}");
        let login = serde_json::json!({"kfId": kf, "password": kf});
        let r = reqwest::Client::new().post(format!("http://127.0.0.1:{login_port}/auth/login")).json(&login).send().await.unwrap();
        let body: serde_json::Value = r.json().await.unwrap();
        let token = body["data"]["token"].as_str().expect("agent login").to_owned();
        tokio::spawn(run_agent(kf, token, port, sh.clone(), rx, stop.clone()));
        shared.push(sh);
        senders.push(tx);
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    let visitor_tally = Arc::new(Mutex::new(Tally::default()));
    let per_visitor = per_direction / visitors;
    for v in 0..visitors {
        let department = (departments > 0).then(|| format!("d{}", v % departments));
        tokio::spawn(run_visitor(format!("fv{v}"), department, port, per_visitor, visitor_tally.clone(), stop.clone()));
    }

    // Agents reply at a steady pace to the customers they have accepted, while faults hit.
    let started = Instant::now();
    let per_agent = per_direction / agents;
    let mut sent_by_agent = vec![0usize; agents];
    let mut injected: Vec<(String, f64)> = Vec::new();
    let mut next_fault = Instant::now() + every;
    let mut fault_no = 0;
    while sent_by_agent.iter().sum::<usize>() < per_agent * agents || started.elapsed() < Duration::from_secs(3) {
        for (i, tx) in senders.iter().enumerate() {
            let cs = shared[i].customers.lock().unwrap().clone();
            if sent_by_agent[i] < per_agent && !cs.is_empty() {
                let to = cs[sent_by_agent[i] % cs.len()].clone();
                let _ = tx.send((to, format!("fault-kf{i}#{}", sent_by_agent[i])));
                sent_by_agent[i] += 1;
            }
        }
        if Instant::now() >= next_fault {
            let at = started.elapsed().as_secs_f64();
            injected.push((faults.inject(fault_no).await, at));
            fault_no += 1;
            next_fault = Instant::now() + every;
        }
        tokio::time::sleep(Duration::from_millis(8)).await;
        if std::env::var("KEFU_FAULT_DEBUG").is_ok() && started.elapsed().as_millis() % 1000 < 10 {
            let cs: Vec<usize> = shared.iter().map(|s| s.customers.lock().unwrap().len()).collect();
            let rx: Vec<usize> = shared.iter().map(|s| s.tally.lock().unwrap().received.len()).collect();
            eprintln!("t={:.1} sent={sent_by_agent:?} customers={cs:?} agents_received={rx:?} visitors_received={}", started.elapsed().as_secs_f64(), visitor_tally.lock().unwrap().received.len());
        }
        assert!(started.elapsed() < Duration::from_secs(300), "bounded run");
    }
    // Let everything settle: all sent, no more faults.
    let expect_agents: HashSet<String> = (0..visitors).flat_map(|v| (0..per_visitor).map(move |n| format!("fv{v}#{n}"))).collect();
    let expect_visitors: HashSet<String> = (0..agents).flat_map(|a| (0..per_agent).map(move |n| format!("fault-kf{a}#{n}"))).collect();
    let settle = Instant::now();
    loop {
        let got_a: usize = shared.iter().map(|s| s.tally.lock().unwrap().received.keys().filter(|k| expect_agents.contains(*k)).count()).sum();
        let got_v = visitor_tally.lock().unwrap().received.keys().filter(|k| expect_visitors.contains(*k)).count();
        if (got_a == expect_agents.len() && got_v == expect_visitors.len()) || settle.elapsed() > Duration::from_secs(30) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let run_secs = started.elapsed().as_secs_f64();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);

    // Count.
    let mut to_agents = Tally::default();
    for s in &shared {
        let t = s.tally.lock().unwrap();
        for (k, n) in &t.received {
            *to_agents.received.entry(k.clone()).or_default() += n;
        }
        for (k, v) in &t.order {
            to_agents.order.entry(k.clone()).or_default().extend(v);
        }
    }
    let to_visitors = visitor_tally.lock().unwrap();
    let row = |name: &str, expect: &HashSet<String>, t: &Tally| {
        let delivered = expect.iter().filter(|k| t.received.contains_key(*k)).count();
        let dup: u32 = t.received.values().map(|n| n.saturating_sub(1)).sum();
        (name.to_owned(), expect.len(), delivered, expect.len() - delivered, dup as usize, t.out_of_order())
    };
    let rows = [row("visitor → agent", &expect_agents, &to_agents), row("agent → visitor", &expect_visitors, &to_visitors)];
    let recoveries: Vec<Duration> = shared.iter().flat_map(|s| s.recoveries.lock().unwrap().clone()).collect();
    let max_recovery = recoveries.iter().max().copied().unwrap_or_default();
    let retried: u64 = shared.iter().map(|s| *s.retried.lock().unwrap()).sum();
    println!("\n{title}: {agents} agents (native session core), {visitors} visitors, {:.1} s, {} faults:", run_secs, injected.len());
    for (f, at) in &injected {
        println!("  {at:>6.2} s  {f}");
    }
    println!("| direction | sent | delivered | lost | duplicated | out of order |");
    println!("|---|---|---|---|---|---|");
    for (n, s, d, l, dup, ooo) in &rows {
        println!("| {n} | {s} | {d} | {l} | {dup} | {ooo} |");
    }
    println!("agent reconnects: {}, longest time to recover: {} ms; agent retries after a refused send: {retried}", recoveries.len(), max_recovery.as_millis());
    for (n, _, _, lost, dup, ooo) in &rows {
        assert_eq!((*lost, *dup, *ooo), (0, 0, 0), "{n}: lost, duplicated, out of order");
    }
    assert!(injected.len() >= 3, "faults were injected");
    injected.len()
}
