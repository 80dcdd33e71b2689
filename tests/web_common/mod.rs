//! Helpers shared by the headless-Chrome suites (`web_fake.rs`, `web_live.rs`): the JS side is
//! `tests/web_support.js`.
#![allow(dead_code)]

use js_sys::Reflect;
use kefu_agent::web::{hook_names, AgentSession};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(module = "/tests/web_support.js")]
extern "C" {
    fn recorder(names: js_sys::Array) -> JsValue;
    pub fn count(hooks: &JsValue, name: &str) -> u32;
    pub fn last(hooks: &JsValue, name: &str) -> JsValue;
    pub fn states(hooks: &JsValue) -> String;
    #[wasm_bindgen(js_name = waitHook)]
    pub fn wait_hook(hooks: &JsValue, name: &str, n: u32, ms: u32) -> js_sys::Promise;
    fn sleep(ms: u32) -> js_sys::Promise;
    pub fn post(url: &str, body: &str) -> js_sys::Promise;
    pub fn visitor(base: &str, user_id: &str, user_name: &str) -> JsValue;
    #[wasm_bindgen(js_name = visitorSend)]
    pub fn visitor_send(v: &JsValue, content: &str);
    #[wasm_bindgen(js_name = visitorMessages)]
    pub fn visitor_messages(v: &JsValue) -> String;
    #[wasm_bindgen(js_name = visitorAssigned)]
    pub fn visitor_assigned(v: &JsValue) -> bool;
    #[wasm_bindgen(js_name = visitorOpen)]
    pub fn visitor_open(v: &JsValue) -> bool;
    #[wasm_bindgen(js_name = originalFrames)]
    pub fn original_frames(kf_id: &str, kf_name: &str, wsuser: JsValue, transfer: JsValue, chat: JsValue) -> js_sys::Array;
    #[wasm_bindgen(js_name = installFakeSockets)]
    pub fn install_fake_sockets();
    /// Calls `f` with `indexedDB` unavailable (a private window, say); returns its result.
    #[wasm_bindgen(js_name = withoutIndexedDb)]
    pub fn without_indexed_db(f: &js_sys::Function) -> JsValue;
    /// `Promise<string>`: a token for the agent from the reference server.
    pub fn login(base: &str, kf_id: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = fakeCount)]
    pub fn fake_count() -> u32;
    #[wasm_bindgen(js_name = fakeOpen)]
    pub fn fake_open(i: u32);
    #[wasm_bindgen(js_name = fakeFrame)]
    pub fn fake_frame(i: u32, text: &str);
    #[wasm_bindgen(js_name = fakeFrameStamped)]
    pub fn fake_frame_stamped(i: u32, text: &str, stamp: f64);
    #[wasm_bindgen(js_name = fakeDrop)]
    pub fn fake_drop(i: u32, code: u16);
    #[wasm_bindgen(js_name = fakeSent)]
    pub fn fake_sent(i: u32) -> String;
    #[wasm_bindgen(js_name = fakeProtocols)]
    pub fn fake_protocols(i: u32) -> String;
    #[wasm_bindgen(js_name = fakeClosedWith)]
    pub fn fake_closed_with(i: u32) -> u16;
    #[wasm_bindgen(js_name = fakeUrl)]
    pub fn fake_url(i: u32) -> String;
}

/// Hooks that record every call, for every hook the module declares.
pub fn hooks() -> JsValue {
    recorder(hook_names())
}

/// Awaits a promise of a boolean.
pub async fn ok(p: js_sys::Promise) -> bool {
    JsFuture::from(p).await.unwrap().as_bool().unwrap_or(false)
}

/// Lets the browser run for `ms`.
pub async fn pause(ms: u32) {
    JsFuture::from(sleep(ms)).await.unwrap();
}

/// Polls until `pred` holds or `ms` pass; returns whether it held.
pub async fn until(ms: f64, mut pred: impl FnMut() -> bool) -> bool {
    let end = js_sys::Date::now() + ms;
    while !pred() {
        if js_sys::Date::now() > end {
            return false;
        }
        pause(5).await;
    }
    true
}

/// Polls the session's state until it is `state` or `ms` pass.
pub async fn reach(s: &AgentSession, state: &str, ms: f64) -> bool {
    until(ms, || s.state().as_string().as_deref() == Some(state)).await
}

/// A plain JS object.
pub fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &(*k).into(), v).unwrap();
    }
    o.into()
}

/// A property.
pub fn get(o: &JsValue, k: &str) -> JsValue {
    Reflect::get(o, &k.into()).unwrap()
}

/// A session with recording hooks for `config`.
pub fn session_with(config: JsValue) -> (AgentSession, JsValue) {
    let hooks = hooks();
    let s = AgentSession::new(config.unchecked_into(), Some(hooks.clone().unchecked_into())).unwrap();
    (s, hooks)
}

/// The `code` of a thrown KefuError.
pub fn error_code(e: JsValue) -> String {
    get(&e, "code").as_string().unwrap_or_default()
}

/// A stat counter.
pub fn stat(s: &AgentSession, name: &str) -> f64 {
    get(&s.stats().into(), name).as_f64().unwrap()
}
