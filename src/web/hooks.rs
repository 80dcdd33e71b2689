//! [`Hooks`]: the UI layer's callbacks, called with plain camelCase payload objects. The hooks,
//! their payloads and when each is called are documented once, in `AgentSessionHooks` of
//! `agent_session.d.ts`; [`super::contract::HOOKS`] lists their names. A hook that throws is
//! reported on the console and does not disturb the session.

use super::js::{get, name, object};
use super::json_value::JsJson;
use super::payloads::payload;
use crate::core::{LogDetail, LogLevel, LogMessage, UiEvent};
use js_sys::JsString;
use js_sys::Function;
use wasm_bindgen::JsValue;

#[wasm_bindgen::prelude::wasm_bindgen(module = "/src/web/frames.js")]
extern "C" {
    /// The whole board after a board frame's `data` (whole, or changes), kept on `held`.
    #[wasm_bindgen(js_name = mergeBoard)]
    fn merge_board(held: &JsValue, data: &JsValue) -> JsValue;
}

/// The hooks object passed to the constructor.
pub struct Hooks {
    obj: JsValue,
    /// Where `frames.js` keeps the whole live board (extension `boardDelta` sends changes).
    board: JsValue,
}

fn level_name(l: LogLevel) -> &'static str {
    match l {
        LogLevel::Error => "error",
        LogLevel::Warn => "warn",
        LogLevel::Info => "info",
        LogLevel::Debug => "debug",
    }
}

impl Hooks {
    /// Wraps the hooks object (`undefined` means no hooks).
    pub fn new(obj: JsValue) -> Hooks {
        Hooks { obj, board: js_sys::Object::new().into() }
    }

    /// The hooks object as given.
    pub fn object(&self) -> &JsValue {
        &self.obj
    }

    /// Calls hook `name` with the payload built by `payload`, which runs only if the hook exists.
    fn call(&self, name: &'static str, payload: impl FnOnce() -> JsValue) {
        let f = get(&self.obj, name);
        if let Some(f) = f.dyn_ref_fn() {
            self.invoke(name, f, &payload());
        }
    }

    fn invoke(&self, name: &str, f: &Function, payload: &JsValue) {
        if let Err(e) = f.call1(&self.obj, payload) {
            web_sys::console::error_3(&JsValue::from_str("[kefu] hook threw:"), &JsValue::from_str(name), &e);
        }
    }

    /// A board event's payload: merged into the board held (whether or not a hook listens).
    fn board_payload(&self, e: &UiEvent<JsJson>) -> Option<JsValue> {
        match e {
            UiEvent::Board(b) => Some(merge_board(&self.board, &b.0)),
            _ => None,
        }
    }

    /// Delivers a UI event to its hook (the payload is built only if the hook exists).
    pub fn deliver(&self, e: &UiEvent<JsJson>) {
        let board = self.board_payload(e);
        self.call(e.hook(), || board.unwrap_or_else(|| payload(e)));
    }

    /// Delivers a UI event to its hook and hands its name and payload to `keep` first (the payload
    /// is then built even if the hook is missing): for sharing it with other tabs.
    pub fn deliver_keeping(&self, e: &UiEvent<JsJson>, keep: &mut dyn FnMut(&'static str, &JsValue)) {
        let (hook, p) = (e.hook(), self.board_payload(e).unwrap_or_else(|| payload(e)));
        keep(hook, &p);
        self.call(hook, || p);
    }

    /// The durable write of message `local_id` committed.
    pub fn saved(&self, local_id: u64) {
        self.call("onMessageSaved", || object(&[("localId", JsValue::from_f64(local_id as f64))]));
    }

    /// Logs a line: to `onLog` when given, else to the console. The text is joined in JS.
    pub fn log(&self, level: LogLevel, message: &LogMessage) {
        let detail = match &message.detail {
            LogDetail::None => None,
            LogDetail::Num(n) => Some(JsValue::from_f64(*n as f64)),
            LogDetail::Word(w) => Some(JsValue::from_str(w)),
            LogDetail::Text(t) => Some(JsValue::from_str(t)),
        };
        let text = JsString::from(message.text);
        let text = match detail {
            Some(d) => text.concat(&" ".into()).concat(&d),
            None => text,
        };
        if get(&self.obj, "onLog").dyn_ref_fn().is_some() {
            return self.call("onLog", || object(&[("level", name(level_name(level))), ("message", text.into())]));
        }
        let line: JsValue = JsString::from("[kefu] ").concat(&text).into();
        match level {
            LogLevel::Error => web_sys::console::error_1(&line),
            LogLevel::Warn => web_sys::console::warn_1(&line),
            LogLevel::Info => web_sys::console::info_1(&line),
            LogLevel::Debug => web_sys::console::debug_1(&line),
        }
    }
}

trait AsFn {
    fn dyn_ref_fn(&self) -> Option<&Function>;
}
impl AsFn for JsValue {
    fn dyn_ref_fn(&self) -> Option<&Function> {
        use wasm_bindgen::JsCast;
        self.dyn_ref::<Function>()
    }
}
