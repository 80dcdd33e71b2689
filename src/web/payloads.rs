//! The payload of each UI event's hook: plain camelCase objects, as `AgentSessionHooks` in
//! `agent_session.d.ts` documents them, built in JS from what the frame carried (chat payloads
//! are the parsed frame's own objects, never copied into wasm). Which hook hears an event is the
//! core's [`UiEvent::hook`].

use super::frame_reader::{self, code};
use super::convert::{customer_payload, customer_to_js, customers_to_js, scalar_to_js};
use super::js::{get, name, name_ref, object};
use super::json_value::JsJson;
use crate::core::{TypingSignal, UiEvent};
use js_sys::{Array, Reflect};
use wasm_bindgen::JsValue;

/// The payload of `e`'s hook.
pub fn payload(e: &UiEvent<JsJson>) -> JsValue {
    let s = JsValue::from_str;
    let with = |p: JsValue, key: &'static str, v: &JsValue| {
        let _ = Reflect::set(&p, name_ref(key), v);
        p
    };
    let num = |n: u64| JsValue::from_f64(n as f64);
    match e {
        UiEvent::StateChanged(st) => object(&[("state", name(st.as_str()))]),
        UiEvent::Message(m)
        | UiEvent::Note(m)
        | UiEvent::Board(m)
        | UiEvent::Monitor(m)
        | UiEvent::Viewers(m)
        | UiEvent::Supervised(m)
        | UiEvent::Lifecycle(m) => m.0.clone(),
        UiEvent::Recalled { data, local_id } => with(data.0.clone(), "localId", &local_id.map(num).unwrap_or(JsValue::NULL)),
        UiEvent::CustomerWaiting { offer, waiting } => frame_reader::payload(code::WAITING, &offer.data.0, *waiting as u32),
        UiEvent::QueueChanged(q) => object(&[("waiting", customers_to_js(q))]),
        UiEvent::TransferRequest(t) => frame_reader::payload(code::TRANSFER, &t.data.0, 0),
        UiEvent::TransferPending(c) => with(customer_to_js(c), "data", &customer_to_js(c)),
        UiEvent::TransferRejected(t) => frame_reader::payload(code::REFUSED, &t.data.0, 0),
        UiEvent::Heartbeat => frame_reader::payload(code::HEARTBEAT, &JsValue::UNDEFINED, 0),
        UiEvent::OfferWithdrawn { offer, reason } => with(who(&offer.data), "reason", &s(reason)),
        UiEvent::ExtensionsNegotiated(f) => object(&[("features", f.iter().map(|x| s(x)).collect::<Array>().into())]),
        UiEvent::MessageStatus { local_id, status, reason } => object(&[
            ("localId", num(*local_id)),
            ("status", name(status.as_str())),
            ("reason", reason.as_deref().map(s).unwrap_or(JsValue::NULL)),
        ]),
        UiEvent::Restored { local_id, message } => object(&[
            ("localId", num(*local_id)),
            ("userId", scalar_to_js(&message.user_id)),
            ("userName", s(&message.user_name)),
            ("content", s(&message.content)),
        ]),
        UiEvent::Typing(TypingSignal { user_id, typing, text }) => {
            let text = text.as_deref().map(s).unwrap_or(JsValue::NULL);
            object(&[("userId", scalar_to_js(user_id)), ("typing", JsValue::from_bool(*typing)), ("text", text)])
        }
        UiEvent::Read { user_id, local_ids } => {
            let ids: Array = local_ids.iter().map(|l| num(*l)).collect();
            object(&[("userId", scalar_to_js(user_id)), ("localIds", ids.into())])
        }
        UiEvent::PresenceChanged { presence, max_conversations } => {
            let max = max_conversations.map(num).unwrap_or(JsValue::NULL);
            object(&[("presence", name(presence.as_str())), ("maxConversations", max)])
        }
        UiEvent::Replayed { payload, .. } => payload.0.clone(),
        UiEvent::OtherTabAction { action, user_name } => action.encode::<JsJson>(user_name.as_deref()).0,
        UiEvent::FrameRejected { error, total } => {
            object(&[("reason", s(error.class())), ("message", s(&error.message())), ("total", num(*total))])
        }
    }
}

/// `{ id, userName }` copied from a frame's `data` object in JS (no string crosses into wasm).
fn who(data: &JsJson) -> JsValue {
    customer_payload(get(&data.0, "id"), get(&data.0, "userName"))
}
