//! [`TabLink`]: the browser's side of sharing one socket across tabs (`tabs.js`): a Web Lock and a
//! BroadcastChannel of one name, owned RAII-style with its callbacks. It only moves messages; the
//! core's tab sub-machine (`core/session/tabs.rs`) decides everything.

use super::json_value::JsJson;
use crate::core::TabMsg;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/web/tabs.js")]
extern "C" {
    type TabChannel;
    #[wasm_bindgen(constructor)]
    fn new(name: &str, on_lead: &js_sys::Function, on_message: &js_sys::Function) -> TabChannel;
    #[wasm_bindgen(method, catch)]
    fn post(this: &TabChannel, message: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method)]
    fn close(this: &TabChannel);
    #[wasm_bindgen(js_name = tabsSupported)]
    fn tabs_supported() -> bool;
}

/// Whether this browser can share (Web Locks and BroadcastChannel).
pub fn supported() -> bool {
    tabs_supported()
}

/// The lock and channel named `name`, with their callbacks; left on drop.
pub struct TabLink {
    channel: TabChannel,
    _on_lead: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(JsValue)>,
}

impl TabLink {
    /// Joins channel `name` and asks for its lock: `on_lead` runs when the lock is granted,
    /// `on_message` for each message of the current version from another tab.
    pub fn join(name: &str, on_lead: impl FnMut() + 'static, mut on_message: impl FnMut(TabMsg<JsJson>) + 'static) -> TabLink {
        let on_lead = Closure::<dyn FnMut()>::new(on_lead);
        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |m: JsValue| {
            if let Some(m) = TabMsg::decode(JsJson(m)) {
                on_message(m);
            }
        });
        let channel = TabChannel::new(name, on_lead.as_ref().unchecked_ref(), on_message.as_ref().unchecked_ref());
        TabLink { channel, _on_lead: on_lead, _on_message: on_message }
    }

    /// Posts `m` to the other tabs.
    pub fn post(&self, m: TabMsg<JsJson>) {
        if let Err(e) = self.channel.post(&m.encode().0) {
            web_sys::console::warn_2(&"[kefu] could not share with the other tabs:".into(), &e);
        }
    }
}

impl Drop for TabLink {
    fn drop(&mut self) {
        self.channel.close();
    }
}
