//! WebSocket endpoints: agents on `/websocket/{kfId}`, visitors on `/websocket/visitor/{userId}`.
//! Each socket (see `socket.rs`: here or on a gateway node) has a reader loop with an idle
//! timeout; the hub writes to it through a channel.

use crate::acks::Acks;
use crate::hub::{Hub, Out};
use crate::protocol as p;
use crate::auth;
use crate::app_state::AppState;
use crate::socket::{Incoming, Socket, Transport};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;
use std::sync::Arc;
use tokio::sync::mpsc;

/// How long a new agent socket waits for the hello answer before it is treated as legacy.
pub const LEGACY_READY_MS: u64 = 700;

/// How often, at most, an open agent socket's token is checked again outside heartbeats.
const TOKEN_RECHECK: std::time::Duration = std::time::Duration::from_secs(10);

/// A token bucket: `rate` messages per second, bursts of twice that.
struct RateLimit {
    rate: f64,
    tokens: f64,
    at: std::time::Instant,
}

impl RateLimit {
    fn new(rate: u32) -> RateLimit {
        RateLimit { rate: rate as f64, tokens: 2.0 * rate as f64, at: std::time::Instant::now() }
    }
    /// Takes one token; false when the socket is over its rate.
    fn take(&mut self) -> bool {
        let now = std::time::Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.at).as_secs_f64() * self.rate).min(2.0 * self.rate);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

fn over_rate(tx: &mpsc::UnboundedSender<Out>, who: &str) {
    tracing::warn!(who, "message rate exceeded; closing with 1008");
    let _ = tx.send(Out::Close(1008, "message rate limit exceeded".into()));
}

/// What the reader loop got.
enum Read {
    Text(String),
    Closed,
}

async fn read(incoming: &mut Transport, idle: std::time::Duration) -> Read {
    match tokio::time::timeout(idle, incoming.incoming.next()).await {
        Err(_) => {
            let _ = incoming.tx.send(Out::Close(4408, "idle timeout".into()));
            Read::Closed
        }
        Ok(None) | Ok(Some(Incoming::End(None))) => Read::Closed,
        Ok(Some(Incoming::End(Some((code, reason))))) => {
            let _ = incoming.tx.send(Out::Close(code, reason));
            Read::Closed
        }
        Ok(Some(Incoming::Text(t))) => Read::Text(t),
    }
}

/// `GET /websocket/{kfId}`: an agent console.
pub async fn agent_ws(
    State(app): State<AppState>,
    Path(kf_id): Path<String>,
    bearer: Option<axum::Extension<crate::guard::Bearer>>,
    caller: Option<axum::Extension<crate::auth::Caller>>,
    socket: Socket,
) -> Response {
    let agent = match app.hub.store().agent(&kf_id) {
        Ok(Some(a)) => a,
        Ok(None) if app.cfg.open_registration => {
            let _ = app.hub.store().upsert_agent(&kf_id, &kf_id);
            crate::store::Agent { id: kf_id.clone(), name: kf_id.clone(), image: String::new() }
        }
        Ok(None) => return (StatusCode::NOT_FOUND, format!("unknown agent {kf_id:?}")).into_response(),
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    if app.auth.insecure {
        tracing::warn!(kf_id, "agent connected WITHOUT authentication (--insecure-no-auth): anyone can be this agent");
    }
    let hub = app.hub.clone();
    let cfg = app.cfg.clone();
    let stall = app.test_hooks.clone();
    let auth = app.auth.clone();
    let token = bearer.map(|b| b.0 .0);
    // Supervisors get the board and their actions (`board`, `supervise`): the guard checked the
    // token and says who is one.
    let supervisor = matches!(caller.as_deref(), Some(crate::auth::Caller::Agent { supervisor: true, .. }));
    socket.serve(cfg.max_frame_bytes, move |mut io| async move {
        let tx = io.tx.clone();
        let mut limit = RateLimit::new(cfg.max_msgs_per_sec);
        let mut checked = std::time::Instant::now();
        let mut acks = Acks::new(tx.clone());
        let conn = hub.agent_connected(&kf_id, &agent.name, supervisor, tx.clone());
        {
            // A legacy client never answers the hello: give it its backlog after a short wait.
            let (hub, kf_id) = (hub.clone(), kf_id.clone());
            tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(LEGACY_READY_MS)).await;
                hub.agent_ready(&kf_id, conn, None);
            });
        }
        while let Read::Text(text) = acks.read_with(read(&mut io, cfg.idle_timeout())).await {
            if !limit.take() {
                over_rate(&tx, &kf_id);
                break;
            }
            let frame = match p::parse_agent_frame(&text) {
                Ok(f) => f,
                Err(e) => {
                    tracing::warn!(kf_id, error = %e, "malformed agent frame skipped");
                    continue;
                }
            };
            // The token again, on every heartbeat (and at most every 10 s otherwise): a password or
            // role change, a logout elsewhere or the token's expiry ends the socket.
            if let Some(t) = token.as_deref().filter(|_| checked.elapsed() >= TOKEN_RECHECK || matches!(frame, p::AgentIn::Ping)) {
                checked = std::time::Instant::now();
                if let Err(why) = auth.caller(hub.store(), Some(t)) {
                    tracing::info!(kf_id, why, "agent socket closed: its token is no longer valid");
                    let _ = tx.send(Out::Close(4401, why.into()));
                    break;
                }
            }
            if let p::AgentIn::Chat { content, .. } | p::AgentIn::Note { content, .. } = &frame {
                if content.chars().count() > cfg.max_message_chars {
                    tracing::warn!(kf_id, "agent message over {} chars refused", cfg.max_message_chars);
                    continue;
                }
            }
            if let p::AgentIn::Supervise { action, user_id, content, to_kf_id } = &frame {
                if content.as_ref().is_some_and(|c| c.chars().count() > cfg.max_message_chars) {
                    let _ = tx.send(Out::Text(p::status_supervised(action, user_id, Some("too long")).to_string()));
                } else {
                    let reply = hub.supervise(&kf_id, action, user_id, content.as_deref(), to_kf_id.as_deref());
                    let _ = tx.send(Out::Text(reply));
                }
                continue;
            }
            if let p::AgentIn::Recall { user_id, msg_id } = &frame {
                if let Err(e) = hub.agent_recall(&kf_id, user_id, msg_id) {
                    let _ = tx.send(Out::Text(p::status_recalled(user_id, msg_id, "agent", Some(&e.msg)).to_string()));
                }
                continue;
            }
            if let p::AgentIn::Watch { user_id, watch: true } = &frame {
                if let Err(e) = hub.start_watching(&kf_id, user_id) {
                    tracing::warn!(kf_id, error = %e.msg, "agent frame refused");
                }
                continue;
            }
            if let p::AgentIn::Hello { features, last_seq } = &frame {
                hub.agent_hello(&kf_id, conn, features.clone(), *last_seq);
            }
            if matches!(frame, p::AgentIn::Ping) && stall.as_ref().is_some_and(|t| t.stalled()) {
                continue; // test hook: a zombie server that stops answering heartbeats
            }
            if let p::AgentIn::Chat { user_id, content, msg_id } = frame {
                let t = std::time::Instant::now();
                let taken = hub.agent_chat(&kf_id, &user_id, &content, msg_id.as_deref());
                let (hub, kf_id) = (hub.clone(), kf_id.clone());
                acks.push(async move {
                    match (msg_id, settle_timed(&hub, t, taken).await) {
                        (Some(id), r) => Some(Out::Text(p::status_ack(&id, r.err().as_deref()))),
                        (None, Err(e)) => {
                            tracing::warn!(kf_id, error = %e, "agent message refused");
                            None
                        }
                        (None, Ok(_)) => None,
                    }
                });
                continue;
            }
            let handled = hub.agent_frame(&kf_id, frame);
            match handled {
                Ok(Some(reply)) => {
                    let _ = tx.send(Out::Text(reply));
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(kf_id, error = %e.msg, "agent frame refused"),
            }
        }
        acks.finish().await;
        drop((tx, io));
        if let Some(epoch) = hub.agent_disconnected(&kf_id, conn) {
            hub.agent_grace(kf_id, epoch);
        }
    })
}

/// Query of the visitor endpoint.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VisitorQuery {

    user_name: Option<String>,
    last_seq: Option<u64>,
    /// `1`: a page opened anew asks for the customer's latest lines (`hub/history.rs`).
    history: Option<String>,
    /// The resume secret the server issued for this id.
    resume: Option<String>,
    /// The host site's signature of the id and expiry.
    sig: Option<String>,
    /// The signature's expiry, seconds since the epoch.
    exp: Option<String>,
    /// The department the page asks for.
    department: Option<String>,
}

/// `GET /websocket/visitor/{userId}?userName=…`: a customer.
pub async fn visitor_ws(
    State(app): State<AppState>,
    Path(user_id): Path<String>,
    Query(q): Query<VisitorQuery>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
    socket: Socket,
) -> Response {
    let user_agent = headers.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).map(|s| s.chars().take(512).collect::<String>());
    if let Some(why) = auth::visitor::invalid_user_id(&user_id) {
        return (StatusCode::BAD_REQUEST, why).into_response();
    }
    // Per address: a place for this socket, and (below) a new id, both reserved before use.
    let address = auth::throttle::client_address(peer, &headers, &app.cfg.trusted_proxies).ip();
    let place = match app.visitor_limits.open(address) {
        Ok(p) => p,
        Err(why) => {
            tracing::warn!(%address, "visitor socket refused: {why}");
            return (StatusCode::TOO_MANY_REQUESTS, why).into_response();
        }
    };
    let user_name = q.user_name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| default_name(&user_id));
    let user_name: String = user_name.chars().take(64).collect();
    let hub: Arc<Hub> = app.hub.clone();
    let cfg = app.cfg.clone();
    let known = hub.visitor_known(&user_id);
    let given = auth::visitor::Given { resume: q.resume.as_deref(), sig: q.sig.as_deref(), exp: q.exp.as_deref() };
    let access = auth::visitor::admit(&app.auth, hub.store(), &user_id, given, known, &app.visitor_limits, address);
    socket.serve(cfg.max_frame_bytes, move |mut io| async move {
        let _place = place; // held while the socket is open
        let tx = io.tx.clone();
        let secret = match access {
            Ok(auth::visitor::VisitorAccess::New { secret }) => Some(secret),
            Ok(_) => None,
            Err(why) => {
                tracing::warn!(user_id, why, "visitor refused");
                let _ = tx.send(Out::Text(p::visitor_error(why)));
                let _ = tx.send(Out::Close(4403, "not your conversation".into()));
                return;
            }
        };
        if hub.sneak_peek() {
            let _ = tx.send(Out::Text(p::visitor_hello(true))); // first: the page may then send its text
        }
        let conn = hub.visitor_connected(&user_id, &user_name, tx.clone(), q.last_seq, q.history.as_deref() == Some("1"), secret.as_deref(), q.department.as_deref());
        hub.visitor_context(&user_id, None, user_agent);
        let mut limit = RateLimit::new(cfg.max_msgs_per_sec);
        let mut acks = Acks::new(tx.clone());
        while let Read::Text(text) = acks.read_with(read(&mut io, cfg.idle_timeout())).await {
            if !limit.take() {
                over_rate(&tx, &user_id);
                break;
            }
            match p::parse_visitor_frame(&text) {
                Ok(p::VisitorIn::Ping) => {
                    let _ = tx.send(Out::Text(p::visitor_pong()));
                }
                Ok(p::VisitorIn::Typing { typing, text }) => hub.visitor_typing(&user_id, typing, text.as_deref()),
                Ok(p::VisitorIn::Read(seq)) => hub.visitor_read(&user_id, seq),
                Ok(p::VisitorIn::Context(page)) => hub.visitor_context(&user_id, Some(page), None),
                Ok(p::VisitorIn::Rate { stars, comment }) => {
                    let error = hub.rate(&user_id, stars, comment.as_deref()).err().map(|e| e.msg);
                    let _ = tx.send(Out::Text(p::visitor_rated(stars, error.as_deref())));
                }
                Ok(p::VisitorIn::LeaveMessage { name, contact, content }) => match hub.leave_message(&user_id, &name, &contact, &content) {
                    Ok(id) => {
                        let _ = tx.send(Out::Text(p::visitor_left(id)));
                    }
                    Err(e) => {
                        let _ = tx.send(Out::Text(p::visitor_error(&e.msg)));
                    }
                },
                Ok(p::VisitorIn::Department(id)) => {
                    if let Err(e) = hub.visitor_pick_department(&user_id, &id) {
                        let _ = tx.send(Out::Text(p::visitor_error(&e.msg)));
                    }
                }
                Ok(p::VisitorIn::Recall(msg_id)) => {
                    if let Err(e) = hub.visitor_recall(&user_id, &msg_id) {
                        let _ = tx.send(Out::Text(p::visitor_recall(None, Some(&msg_id), Some(&e.msg))));
                    }
                }
                Ok(p::VisitorIn::Message(c, _)) if c.trim().is_empty() => {
                    let _ = tx.send(Out::Text(p::visitor_error("empty message")));
                }
                Ok(p::VisitorIn::Message(c, _)) if c.chars().count() > cfg.max_message_chars => {
                    let _ = tx.send(Out::Text(p::visitor_error(&format!("message longer than {} characters", cfg.max_message_chars))));
                }
                Ok(p::VisitorIn::Message(c, id)) => {
                    let t = std::time::Instant::now();
                    let taken = hub.visitor_message(&user_id, &c, id.as_deref());
                    let hub = hub.clone();
                    acks.push(async move {
                        match settle_timed(&hub, t, taken).await {
                            Ok(_) => id.map(|id| Out::Text(p::visitor_ack(&id))),
                            Err(e) => Some(Out::Text(p::visitor_error(&e))),
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!(user_id, error = %e, "malformed visitor frame skipped");
                    let _ = tx.send(Out::Text(p::visitor_error(&e)));
                }
            }
        }
        acks.finish().await;
        drop((tx, io));
        if let Some(epoch) = hub.visitor_disconnected(&user_id, conn) {
            hub.visitor_grace(user_id, epoch);
        }
    })
}

/// The name a customer gets when the page gives none: 访客 and six hex digits of the id's SHA-256,
/// so ids that look alike still get names that do not.
fn default_name(user_id: &str) -> String {
    use sha2::Digest;
    format!("访客{}", &hex::encode(sha2::Sha256::digest(user_id.as_bytes()))[..6].to_uppercase())
}

/// Waits until a chat message the hub took is stored (its commit, on PostgreSQL: the group
/// writer) and records how long storing and routing it took since `t`. `Ok(new)` or why not.
async fn settle_timed(hub: &Hub, t: std::time::Instant, r: Result<crate::hub::Relayed, crate::hub::HubError>) -> Result<bool, String> {
    let out = match r {
        Ok(r) => r.settled(hub).await,
        Err(e) => Err(e.msg),
    };
    hub.metrics().relay.observe(t.elapsed().as_secs_f64());
    out
}
