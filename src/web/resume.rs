//! Where the `seq` numbering stands (the server's epoch and the last number shown), kept in
//! localStorage per server and agent so the next page load asks the server only for frames after it
//! (option `resumeAcrossReloads`). Written when the page hides or the session closes; storage that
//! is missing or refuses is ignored (the server then replays the open conversations, as before).

use crate::prelude::*;
use super::js::{get, object};
use super::raii::Listener as EventListener;
use wasm_bindgen::JsValue;

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn item_key(key: &str) -> String {
    ["kefu-agent:resume:", key].concat()
}

/// The point saved for `key` (server and agent) by an earlier page load.
pub fn load(key: &str) -> Option<(String, u64)> {
    let text = storage()?.get_item(&item_key(key)).ok().flatten()?;
    let v = js_sys::JSON::parse(&text).ok()?;
    Some((get(&v, "epoch").as_string()?, get(&v, "lastSeq").as_f64()? as u64))
}

/// Saves the point for `key`; nothing without an epoch (a server without `seq`).
pub fn save(key: &str, epoch: Option<&str>, last_seq: u64) {
    let (Some(store), Some(epoch)) = (storage(), epoch) else { return };
    let v = object(&[("epoch", JsValue::from_str(epoch)), ("lastSeq", JsValue::from_f64(last_seq as f64))]);
    if let Ok(text) = js_sys::JSON::stringify(&v) {
        let _ = store.set_item(&item_key(key), &String::from(text));
    }
}

/// Calls `on_hide` when the page hides (a reload, a navigation, the tab closing); removed on drop.
pub struct OnPageHide {
    _listener: Option<EventListener>,
}

impl OnPageHide {
    /// Starts listening (outside a window, to nothing).
    pub fn new(on_hide: impl Fn() + 'static) -> OnPageHide {
        OnPageHide { _listener: web_sys::window().map(|w| EventListener::new(&w, "pagehide", move |_| on_hide())) }
    }
}
