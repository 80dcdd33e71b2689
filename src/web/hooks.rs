//! [`Hooks`]: the UI layer's callbacks, called with plain camelCase payload objects. The hooks,
//! their payloads and when each is called are documented once, in `AgentSessionHooks` of
//! `agent_session.d.ts`; [`super::contract::HOOKS`] lists their names. A hook that throws is
//! reported on the console and does not disturb the session.

use super::convert::{customer_payload, customer_to_js, customers_to_js, scalar_to_js};
use super::js::{get, name, object};
use super::json_value::JsJson;
use crate::core::{LogDetail, LogLevel, LogMessage, UiEvent};
use js_sys::JsString;
use js_sys::Function;
use wasm_bindgen::JsValue;

/// The hooks object passed to the constructor.
pub struct Hooks {
    obj: JsValue,
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
        Hooks { obj }
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

    /// Calls the hook named `name` (one of the contract's hooks, else nothing) with `payload`:
    /// for events another tab delivers.
    pub fn call_named(&self, name: &str, payload: &JsValue) {
        if let Some(name) = crate::contract::HOOKS.iter().find(|h| **h == name) {
            if let Some(f) = get(&self.obj, name).dyn_ref_fn() {
                self.invoke(name, f, payload);
            }
        }
    }

    /// Delivers a UI event to its hook.
    pub fn deliver(&self, e: &UiEvent<JsJson>) {
        self.deliver_with(e, |name, payload| self.call(name, || payload()));
    }

    /// Delivers a UI event to its hook and hands its name and payload to `keep` first (the payload
    /// is then built even if the hook is missing): for sharing it with other tabs.
    pub fn deliver_keeping(&self, e: &UiEvent<JsJson>, keep: &mut dyn FnMut(&'static str, &JsValue)) {
        let keep = std::cell::RefCell::new(keep);
        self.deliver_with(e, |name, payload| {
            let p = payload();
            (keep.borrow_mut())(name, &p);
            if let Some(f) = get(&self.obj, name).dyn_ref_fn() {
                self.invoke(name, f, &p);
            }
        });
    }

    fn deliver_with(&self, e: &UiEvent<JsJson>, call: impl Fn(&'static str, &dyn Fn() -> JsValue)) {
        let s = JsValue::from_str;
        match e {
            UiEvent::StateChanged(st) => call("onStateChange", &|| object(&[("state", name(st.as_str()))])),
            UiEvent::Message(m) => call("onMessage", &|| m.0.clone()),
            UiEvent::CustomerWaiting { offer, waiting } => call("onCustomerWaiting", &|| {
                let p = who(&offer.data);
                let _ = js_sys::Reflect::set(&p, &name("waiting"), &JsValue::from_f64(*waiting as f64));
                let _ = js_sys::Reflect::set(&p, &name("data"), &offer.data.0);
                p
            }),
            UiEvent::QueueChanged(q) => call("onQueueChange", &|| object(&[("waiting", customers_to_js(q))])),
            UiEvent::TransferRequest(t) => call("onTransferRequest", &|| {
                let p = who(&t.data);
                let _ = js_sys::Reflect::set(&p, &name("data"), &t.data.0);
                p
            }),
            UiEvent::TransferRejected(t) => call("onTransferRejected", &|| who(&t.data)),
            UiEvent::Heartbeat => call("onHeartbeat", &|| object(&[])),
            UiEvent::OfferWithdrawn { offer, reason } => call("onOfferWithdrawn", &|| {
                let p = who(&offer.data);
                let _ = js_sys::Reflect::set(&p, &name("reason"), &s(reason));
                p
            }),
            UiEvent::ExtensionsNegotiated(f) => call(
                "onExtensions",
                &|| object(&[("features", f.iter().map(|x| JsValue::from_str(x)).collect::<js_sys::Array>().into())]),
            ),
            UiEvent::MessageStatus { local_id, status, reason } => call(
                "onMessageStatus",
                &|| object(&[
                    ("localId", JsValue::from_f64(*local_id as f64)),
                    ("status", name(status.as_str())),
                    ("reason", reason.as_deref().map(s).unwrap_or(JsValue::NULL)),
                ]),
            ),
            UiEvent::Restored { local_id, message } => call("onMessageRestored", &|| {
                object(&[
                    ("localId", JsValue::from_f64(*local_id as f64)),
                    ("userId", scalar_to_js(&message.user_id)),
                    ("userName", s(&message.user_name)),
                    ("content", s(&message.content)),
                ])
            }),
            UiEvent::Typing(crate::core::TypingSignal { user_id, typing, text }) => call("onTyping", &|| {
                let text = text.as_deref().map(s).unwrap_or(JsValue::NULL);
                object(&[("userId", scalar_to_js(user_id)), ("typing", JsValue::from_bool(*typing)), ("text", text)])
            }),
            UiEvent::Read { user_id, local_ids } => call("onRead", &|| {
                let ids: js_sys::Array = local_ids.iter().map(|l| JsValue::from_f64(*l as f64)).collect();
                object(&[("userId", scalar_to_js(user_id)), ("localIds", ids.into())])
            }),
            UiEvent::PresenceChanged { presence, max_conversations } => call("onPresenceChange", &|| {
                let max = max_conversations.map(|m| JsValue::from_f64(m as f64)).unwrap_or(JsValue::NULL);
                object(&[("presence", name(presence.as_str())), ("maxConversations", max)])
            }),
            UiEvent::Replayed { hook, payload } => self.call_named(hook, &payload.0),
            UiEvent::OtherTabAction { action, user_name } => {
                call("onOtherTabAction", &|| action.encode::<JsJson>(user_name.as_deref()).0)
            }
            UiEvent::TransferPending(c) => call("onTransferRequest", &|| {
                let p = customer_to_js(c);
                let _ = js_sys::Reflect::set(&p, &name("data"), &customer_to_js(c));
                p
            }),
            UiEvent::FrameRejected { error, total } => call(
                "onFrameRejected",
                &|| object(&[("reason", s(error.class())), ("message", s(&error.message())), ("total", JsValue::from_f64(*total as f64))]),
            ),
        }
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

/// `{ id, userName }` copied from a frame's `data` object in JS (no string crosses into wasm).
fn who(data: &JsJson) -> JsValue {
    customer_payload(get(&data.0, "id"), get(&data.0, "userName"))
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
