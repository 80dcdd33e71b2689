//! [`Outbox`]: the durable outbox's storage (IndexedDB, in `outbox.js`), owned RAII-style by the
//! session: its callbacks live exactly as long as it does. The core decides what is kept
//! (`Output::Persist` / `Output::Forget`); this only stores it and loads it back.

use crate::prelude::*;
use super::convert::{persisted_from_js, scalar_to_js};
use crate::core::PersistedMessage;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/web/outbox.js")]
extern "C" {
    type OutboxStore;
    #[wasm_bindgen(constructor)]
    fn new(key: &str, on_saved: &js_sys::Function, on_error: &js_sys::Function) -> OutboxStore;
    #[wasm_bindgen(method)]
    fn load(this: &OutboxStore, on_loaded: &js_sys::Function);
    #[wasm_bindgen(method)]
    fn close(this: &OutboxStore);
    #[wasm_bindgen(method)]
    fn put(this: &OutboxStore, local_id: f64, msg_id: &str, user_id: &JsValue, user_name: &str, content: &str);
    #[wasm_bindgen(method)]
    fn remove(this: &OutboxStore, msg_id: &str);
}

/// The storage of one session's outbox, and its callbacks.
pub struct Outbox {
    store: OutboxStore,
    _on_saved: Closure<dyn FnMut(f64)>,
    _on_error: Closure<dyn FnMut(String)>,
    on_loaded: Option<Closure<dyn FnMut(JsValue)>>,
}

impl Outbox {
    /// Opens the outbox for `key` (server socket URL and agent): `on_saved` gets each local id
    /// whose write committed, `on_error` the reason storage is unavailable (once).
    pub fn open(key: &str, on_saved: impl FnMut(u64) + 'static, mut on_error: impl FnMut(String) + 'static) -> Outbox {
        let mut on_saved = on_saved;
        let on_saved = Closure::<dyn FnMut(f64)>::new(move |id: f64| on_saved(id as u64));
        let on_error = Closure::<dyn FnMut(String)>::new(move |why: String| on_error(why));
        let store = OutboxStore::new(key, on_saved.as_ref().unchecked_ref(), on_error.as_ref().unchecked_ref());
        Outbox { store, _on_saved: on_saved, _on_error: on_error, on_loaded: None }
    }

    /// Loads what earlier sessions kept (oldest first) into `on_loaded`, once.
    pub fn load(&mut self, on_loaded: impl FnMut(Vec<PersistedMessage>) + 'static) {
        if self.on_loaded.is_some() {
            return;
        }
        let mut on_loaded = on_loaded;
        let on_loaded = Closure::<dyn FnMut(JsValue)>::new(move |records: JsValue| on_loaded(messages_of(&records)));
        self.store.load(on_loaded.as_ref().unchecked_ref());
        self.on_loaded = Some(on_loaded);
    }

    /// Keeps `message` (its write starts now; `on_saved` reports the commit).
    pub fn put(&self, local_id: u64, message: &PersistedMessage) {
        let PersistedMessage { msg_id, user_id, user_name, content } = message;
        self.store.put(local_id as f64, msg_id, &scalar_to_js(user_id), user_name, content);
    }

    /// Drops the message with this id.
    pub fn remove(&self, msg_id: &str) {
        self.store.remove(msg_id);
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        self.store.close(); // its callbacks go with it; a write in flight still commits
    }
}

/// The records `load()` passed on, as messages (malformed records are skipped).
fn messages_of(records: &JsValue) -> Vec<PersistedMessage> {
    js_sys::Array::from(records).iter().filter_map(|r| persisted_from_js(&r)).collect()
}
