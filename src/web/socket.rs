//! [`Socket`]: one browser WebSocket of one generation, with its listeners owned RAII-style.
//! Dropping it removes every listener and closes the socket if it is still open.

use crate::prelude::*;
use super::config::SocketTarget;
use super::frame_reader;
use super::json_value::JsJson;
use crate::core::{ConnId, Received};
use super::raii::Listener as EventListener;
use js_sys::Function;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BinaryType, CloseEvent, WebSocket};

/// The one call for a frame described by its head: `(conn, data, now, tags, status, seq, lens)`,
/// answering the hook code (see `frames.js`).
pub type OnHead = dyn Fn(ConnId, JsValue, f64, u32, f64, f64, u32) -> u32;

type FastFn = dyn Fn(JsValue, f64, u32, f64, f64, u32) -> u32;
type SlowFn = dyn Fn(JsValue, bool);

/// What a socket reports to its owner.
pub enum SocketEvent {
    /// `open`.
    Opened,
    /// `message`, already parsed (or classified as not JSON / binary / too long).
    Frame(Received<JsJson>),
    /// `error`.
    Error,
    /// `close` with its code.
    Closed(u16),
}

/// A live socket, its listeners and its frame reader.
pub struct Socket {
    ws: WebSocket,
    conn: ConnId,
    _listeners: [EventListener; 3],
    read: Function,
    on_message: Function,
    _frames: (Closure<FastFn>, Closure<SlowFn>),
}

impl Socket {
    /// Opens the target's URL (offering its token as a subprotocol) as generation `conn`.
    /// `on_event` receives every event with the generation, so the core can ignore a superseded
    /// socket; a frame `frames.js` can describe by its head goes to `on_head` instead, and the
    /// hook it names is called on `hooks` from JS. Text frames longer than `max_chars` are not parsed.
    pub fn open(
        target: &SocketTarget,
        conn: ConnId,
        max_chars: usize,
        hooks: &JsValue,
        on_head: Box<OnHead>,
        on_event: impl Fn(ConnId, SocketEvent) + Clone + 'static,
    ) -> Result<Socket, wasm_bindgen::JsValue> {
        let ws = match &target.auth_token {
            None => WebSocket::new(&target.url)?,
            Some(t) => {
                let protocols = js_sys::Array::of2(&"kefu".into(), &["kefu.bearer.", t].concat().into());
                WebSocket::new_with_str_sequence(&target.url, &protocols)?
            }
        };
        ws.set_binary_type(BinaryType::Arraybuffer);
        let (h1, h2, h3, h4) = (on_event.clone(), on_event.clone(), on_event.clone(), on_event);
        let listeners = [
            EventListener::new(&ws, "open", move |_| h1(conn, SocketEvent::Opened)),
            EventListener::new(&ws, "error", move |_| h3(conn, SocketEvent::Error)),
            EventListener::new(&ws, "close", move |e| {
                let code = e.dyn_ref::<CloseEvent>().map(|c| c.code()).unwrap_or(1006);
                h4(conn, SocketEvent::Closed(code))
            }),
        ];
        let fast: Closure<FastFn> = Closure::new(move |data, now, tags, status, seq, lens| on_head(conn, data, now, tags, status, seq, lens));
        let slow: Closure<SlowFn> = Closure::new(move |v: JsValue, parsed: bool| {
            let frame = if parsed {
                Received::Json(JsJson(v))
            } else if let Some(s) = v.dyn_ref::<js_sys::JsString>() {
                text_frame(s, max_chars)
            } else if let Some(b) = v.dyn_ref::<js_sys::ArrayBuffer>() {
                Received::Binary(b.byte_length() as usize)
            } else {
                Received::Binary(0)
            };
            h2(conn, SocketEvent::Frame(frame));
        });
        let read = frame_reader::reader(max_chars, fast.as_ref().unchecked_ref(), slow.as_ref().unchecked_ref(), hooks);
        let on_message = frame_reader::listen(&ws, &read);
        Ok(Socket { ws, conn, _listeners: listeners, read, on_message, _frames: (fast, slow) })
    }

    /// Reads `raw` as if this socket had received it (the frame path of `message` events).
    pub fn reader(&self) -> Function {
        self.read.clone()
    }

    /// The generation.
    pub fn conn(&self) -> ConnId {
        self.conn
    }

    /// Sends a text frame if the socket is open; `false` when it is not (nothing is sent).
    pub fn send(&self, text: &js_sys::JsString) -> bool {
        self.ws.ready_state() == WebSocket::OPEN && ws_send(&self.ws, text).is_ok()
    }

    /// Closes with a code and reason (no-op if already closing or closed).
    pub fn close(&self, code: u16, reason: &str) {
        if matches!(self.ws.ready_state(), WebSocket::CONNECTING | WebSocket::OPEN) {
            let _ = self.ws.close_with_code_and_reason(code, reason);
        }
    }
}

/// A text frame parsed by the browser, or left unparsed when longer than `max_chars` UTF-16 units.
pub fn text_frame(text: &js_sys::JsString, max_chars: usize) -> Received<JsJson> {
    let len = text.length() as usize;
    if len > max_chars {
        return Received::TooLong(len);
    }
    match JsJson::parse(text) {
        Ok(v) => Received::Json(v),
        Err(e) => Received::NotJson(e),
    }
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// A `WebSocket` seen only for `send` with a JS string (web-sys's binding takes `&str`, a
    /// needless round trip through wasm memory for text that JS just produced).
    type TextSocket;
    #[wasm_bindgen(method, js_name = send, catch)]
    fn send(this: &TextSocket, text: &js_sys::JsString) -> Result<(), wasm_bindgen::JsValue>;
}

fn ws_send(ws: &WebSocket, text: &js_sys::JsString) -> Result<(), wasm_bindgen::JsValue> {
    ws.unchecked_ref::<TextSocket>().send(text)
}

impl Drop for Socket {
    fn drop(&mut self) {
        let _ = self.ws.remove_event_listener_with_callback("message", &self.on_message);
        self.close(1000, "");
    }
}
