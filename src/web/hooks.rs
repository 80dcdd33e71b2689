//! [`Hooks`]: the UI layer's callbacks, called with plain camelCase payload objects.
//!
//! | hook | when | payload |
//! |---|---|---|
//! | `onStateChange` | connection state changed | `{ state }` |
//! | `onMessage` | status 1 | `{ userId, userName, kfId, content, createTime }` |
//! | `onCustomerWaiting` | status 2 | `{ id, userName, waiting }` |
//! | `onQueueChange` | waiting queue changed | `{ waiting: [{ id, userName }] }` |
//! | `onTransferRequest` | status 4 | `{ id, userName, data }` |
//! | `onTransferRejected` | status 5 | `{ id, userName }` |
//! | `onHeartbeat` | status 9 | `{}` |
//! | `onOfferWithdrawn` | status 3 (extension) | `{ id, userName, reason }` |
//! | `onExtensions` | the server's hello was answered | `{ features }` |
//! | `onMessageStatus` | a sent message is held / sent / failed | `{ localId, status, reason }` |
//! | `onFrameRejected` | a bad frame was skipped | `{ reason, message, total }` |
//! | `onLog` | a log line at or above `logLevel` | `{ level, message }` |
//!
//! A hook that throws is reported on the console and does not disturb the session.

use super::convert::{customer_to_js, customers_to_js, get, name, object, opt_scalar_to_js, scalar_to_js};
use crate::core::{LogLevel, UiEvent};
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
    fn call(&self, name: &str, payload: impl FnOnce() -> JsValue) {
        let f = get(&self.obj, name);
        if let Some(f) = f.dyn_ref_fn() {
            if let Err(e) = f.call1(&self.obj, &payload()) {
                web_sys::console::error_2(&JsValue::from_str(&format!("[kefu] hook {name} threw:")), &e);
            }
        }
    }

    /// Delivers a UI event to its hook.
    pub fn deliver(&self, e: &UiEvent) {
        let s = JsValue::from_str;
        match e {
            UiEvent::StateChanged(st) => self.call("onStateChange", || object(&[("state", name(st.as_str()))])),
            UiEvent::Message(m) => self.call(
                "onMessage",
                || object(&[
                    ("userId", scalar_to_js(&m.from.id)),
                    ("userName", s(&m.from.user_name)),
                    ("kfId", opt_scalar_to_js(&m.kf_id)),
                    ("content", s(&m.content)),
                    ("createTime", opt_scalar_to_js(&m.create_time)),
                ]),
            ),
            UiEvent::CustomerWaiting { customer, waiting } => self.call("onCustomerWaiting", || {
                let p = customer_to_js(customer);
                let _ = js_sys::Reflect::set(&p, &name("waiting"), &JsValue::from_f64(*waiting as f64));
                p
            }),
            UiEvent::QueueChanged(q) => self.call("onQueueChange", || object(&[("waiting", customers_to_js(q))])),
            UiEvent::TransferRequest(t) => self.call("onTransferRequest", || {
                let data = js_sys::JSON::parse(&t.data_json).unwrap_or(JsValue::NULL);
                object(&[("id", scalar_to_js(&t.customer.id)), ("userName", s(&t.customer.user_name)), ("data", data)])
            }),
            UiEvent::TransferRejected(c) => self.call("onTransferRejected", || customer_to_js(c)),
            UiEvent::Heartbeat => self.call("onHeartbeat", || object(&[])),
            UiEvent::OfferWithdrawn { customer, reason } => self.call("onOfferWithdrawn", || {
                let p = customer_to_js(customer);
                let _ = js_sys::Reflect::set(&p, &name("reason"), &s(reason));
                p
            }),
            UiEvent::ExtensionsNegotiated(f) => self.call(
                "onExtensions",
                || object(&[("features", f.iter().map(|x| JsValue::from_str(x)).collect::<js_sys::Array>().into())]),
            ),
            UiEvent::MessageStatus { local_id, status, reason } => self.call(
                "onMessageStatus",
                || object(&[
                    ("localId", JsValue::from_f64(*local_id as f64)),
                    ("status", name(status.as_str())),
                    ("reason", reason.as_deref().map(s).unwrap_or(JsValue::NULL)),
                ]),
            ),
            UiEvent::FrameRejected { error, total } => self.call(
                "onFrameRejected",
                || object(&[("reason", s(error.class())), ("message", s(&error.to_string())), ("total", JsValue::from_f64(*total as f64))]),
            ),
        }
    }

    /// Logs a line: to `onLog` when given, else to the console.
    pub fn log(&self, level: LogLevel, message: &str) {
        if get(&self.obj, "onLog").dyn_ref_fn().is_some() {
            return self.call("onLog", || object(&[("level", name(level_name(level))), ("message", JsValue::from_str(message))]));
        }
        let line = JsValue::from_str(&format!("[kefu] {message}"));
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
