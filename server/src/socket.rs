//! The socket under a session: a WebSocket upgraded on this node, or (in a cluster) one a gateway
//! node holds and tunnels over NATS. The session code in `ws.rs` reads [`Incoming`] and writes
//! [`Out`] the same way for both.

use crate::hub::Out;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, Stream, StreamExt};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use crate::sync::LockExt;

/// What a socket's reader gets.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Incoming {
    /// A text frame.
    Text(String),
    /// The socket ended; with a close to send first when the frame was refused (too large,
    /// binary).
    End(Option<(u16, String)>),
}

/// What a WebSocket message means to a session: `None` for control frames the library answers.
pub fn classify(m: Result<Message, axum::Error>) -> Option<Incoming> {
    match m {
        Ok(Message::Text(t)) => Some(Incoming::Text(t.to_string())),
        Ok(Message::Binary(_)) => Some(Incoming::End(Some((1003, "binary frames are not supported".into())))),
        Ok(Message::Close(_)) => Some(Incoming::End(None)),
        Ok(_) => None, // ping/pong
        Err(e) => {
            let text = e.to_string();
            let lower = text.to_lowercase();
            if lower.contains("without closing handshake") {
                // A tab closed or a network gone: every day, for every customer. Not a warning.
                tracing::debug!(error = %text, "socket reset by the client");
            } else {
                tracing::warn!(error = %text, "socket read error");
            }
            let too_large = lower.contains("too long") || lower.contains("capacity") || lower.contains("size");
            Some(Incoming::End(too_large.then(|| (1009, "frame too large".into()))))
        }
    }
}

/// A session's two ends.
pub struct Transport {
    /// Frames from the client, ending with [`Incoming::End`] or `None`.
    pub incoming: Pin<Box<dyn Stream<Item = Incoming> + Send>>,
    /// Frames to the client.
    pub tx: mpsc::UnboundedSender<Out>,
}

/// A remote socket's two channels: frames in, frames out.
pub type RemoteEnds = (mpsc::UnboundedReceiver<Incoming>, mpsc::UnboundedSender<Out>);

/// A socket a gateway node holds, handed to the routing node's handler in the request's
/// extensions (taken once).
#[derive(Clone)]
pub struct RemoteSocket(pub Arc<Mutex<Option<RemoteEnds>>>);

/// The socket of a socket request.
pub enum Socket {
    /// Upgraded on this node.
    Local(WebSocketUpgrade),
    /// Held by a gateway node (cluster).
    Remote(mpsc::UnboundedReceiver<Incoming>, mpsc::UnboundedSender<Out>),
}

impl<S: Send + Sync> FromRequestParts<S> for Socket {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(remote) = parts.extensions.get::<RemoteSocket>() {
            let taken = remote.0.locked().take();
            return taken.map(|(rx, tx)| Socket::Remote(rx, tx)).ok_or_else(|| StatusCode::CONFLICT.into_response());
        }
        WebSocketUpgrade::from_request_parts(parts, state).await.map(Socket::Local).map_err(IntoResponse::into_response)
    }
}

/// Writes what the hub sends to the socket until a close (sent last) or the channel's end.
pub async fn writer(mut sink: futures_util::stream::SplitSink<WebSocket, Message>, mut rx: mpsc::UnboundedReceiver<Out>) {
    while let Some(o) = rx.recv().await {
        let r = match o {
            Out::Text(t) => sink.send(Message::Text(t.into())).await,
            Out::Durable(t, ticket) => match ticket.wait().await {
                crate::store::ticket::Outcome::Stored(_) => sink.send(Message::Text(t.into())).await,
                _ => continue,
            },
            Out::Replay(replay) => {
                let mut r = Ok(());
                for t in replay.frames().await {
                    r = sink.send(Message::Text(t.into())).await;
                    if r.is_err() {
                        break;
                    }
                }
                r
            }
            Out::Close(code, reason) => {
                let _ = sink.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                break;
            }
        };
        if r.is_err() {
            break;
        }
    }
    let _ = sink.close().await;
}

/// A console that authenticates through the subprotocol offers `kefu` too, and this server selects
/// it (a browser fails the socket if none of its offered protocols is selected).
pub const PROTOCOL: &str = "kefu";

/// Socket buffers sized for chat: tungstenite's defaults (128 KiB to read, 128 KiB before a
/// write goes out) cost ~130 KiB of memory per idle connection; chat frames are small, so 4 KiB
/// reads and immediate writes keep an idle socket in a few KiB and add no write delay. Selects
/// [`PROTOCOL`] when offered.
pub fn small_buffers(ws: WebSocketUpgrade, max_frame_bytes: usize) -> WebSocketUpgrade {
    ws.max_message_size(max_frame_bytes).read_buffer_size(4 * 1024).write_buffer_size(0).protocols([PROTOCOL])
}

impl Socket {
    /// Runs `session` on this socket: after the upgrade here, or at once for a remote socket
    /// (whose gateway is answered 200).
    pub fn serve<F, Fut>(self, max_frame_bytes: usize, session: F) -> Response
    where
        F: FnOnce(Transport) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        match self {
            Socket::Local(ws) => small_buffers(ws, max_frame_bytes).on_upgrade(move |socket| async move {
                let (sink, stream) = socket.split();
                let (tx, rx) = mpsc::unbounded_channel();
                let w = tokio::spawn(writer(sink, rx));
                let incoming = Box::pin(stream.filter_map(|m| std::future::ready(classify(m))));
                session(Transport { incoming, tx }).await;
                let _ = w.await;
            }),
            Socket::Remote(mut rx, tx) => {
                let incoming = Box::pin(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)));
                tokio::spawn(session(Transport { incoming, tx }));
                StatusCode::OK.into_response()
            }
        }
    }
}
