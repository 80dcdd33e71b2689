//! RAII owners of a JS callback, after gloo's: [`Listener`] (an event listener, removed on drop)
//! and [`Timeout`] (a `setTimeout`, cleared on drop). Written here because gloo-events and
//! gloo-timers link `std` (through wasm-bindgen's `std` feature), and the browser build is
//! `no_std` so that std's panic and formatting code stays out of the module (docs/performance.md).

use alloc::boxed::Box;
use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Event, EventTarget};

#[wasm_bindgen]
extern "C" {
    /// The global `setTimeout` (a window's or a worker's).
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(f: &Function, ms: u32) -> JsValue;
    /// The global `clearTimeout`.
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// An event listener on a target, removed when dropped.
pub struct Listener {
    target: EventTarget,
    kind: &'static str,
    callback: Closure<dyn FnMut(Event)>,
}

impl Listener {
    /// Listens to `kind` events on `target`.
    pub fn new(target: &EventTarget, kind: &'static str, f: impl FnMut(Event) + 'static) -> Listener {
        let callback = Closure::<dyn FnMut(Event)>::wrap(Box::new(f));
        let _ = target.add_event_listener_with_callback(kind, callback.as_ref().unchecked_ref());
        Listener { target: target.clone(), kind, callback }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.target.remove_event_listener_with_callback(self.kind, self.callback.as_ref().unchecked_ref());
    }
}

/// A pending `setTimeout`, cleared when dropped (and its callback freed).
pub struct Timeout {
    id: JsValue,
    _callback: Closure<dyn FnMut()>,
}

impl Timeout {
    /// Calls `f` once after `ms` milliseconds.
    pub fn new(ms: u32, f: impl FnMut() + 'static) -> Timeout {
        let callback = Closure::<dyn FnMut()>::wrap(Box::new(f));
        let id = set_timeout(callback.as_ref().unchecked_ref(), ms);
        Timeout { id, _callback: callback }
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        clear_timeout(&self.id);
    }
}
