//! [`PageWatch`]: `online`, `visibilitychange` → visible and `pageshow` listeners, RAII-owned.

use crate::prelude::*;
use crate::core::WakeReason;
use super::raii::Listener as EventListener;

/// Listeners that report page wake-ups; removed when dropped.
pub struct PageWatch {
    _listeners: Vec<EventListener>,
}

impl PageWatch {
    /// Starts listening; `on_wake` gets the reason. Outside a window (a worker) it listens to nothing.
    pub fn new(on_wake: impl Fn(WakeReason) + Clone + 'static) -> PageWatch {
        let mut listeners = Vec::new();
        if let Some(window) = web_sys::window() {
            let (a, b) = (on_wake.clone(), on_wake.clone());
            listeners.push(EventListener::new(&window, "online", move |_| a(WakeReason::Online)));
            listeners.push(EventListener::new(&window, "pageshow", move |_| b(WakeReason::PageShow)));
            if let Some(doc) = window.document() {
                let d2 = doc.clone();
                listeners.push(EventListener::new(&doc, "visibilitychange", move |_| {
                    if d2.visibility_state() == web_sys::VisibilityState::Visible {
                        on_wake(WakeReason::Visible)
                    }
                }));
            }
        }
        PageWatch { _listeners: listeners }
    }
}
