//! [`Timer`]: the session's single timer. One persistent callback, re-armed with `setTimeout`;
//! cleared when re-armed or dropped. No polling: it is armed only for the core's next deadline.

use crate::core::Millis;
use std::cell::Cell;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// How early a running timeout may fire before the deadline and still be kept (see [`Timer::arm`]).
const KEEP_EARLY_MS: Millis = 1_000;

/// One re-armable timeout.
pub struct Timer {
    callback: Closure<dyn FnMut()>,
    armed: Cell<Option<(i32, Millis)>>,
}

impl Timer {
    /// A disarmed timer that calls `on_fire` when it fires.
    pub fn new(on_fire: impl FnMut() + 'static) -> Timer {
        Timer { callback: Closure::new(on_fire), armed: Cell::new(None) }
    }

    /// Arms for `deadline` (`None` disarms), `now` being the current time. A running timeout that
    /// fires at most [`KEEP_EARLY_MS`] before `deadline` is kept: when it fires early the core does
    /// nothing and the timer is armed again for the real deadline. So a burst of frames, each
    /// pushing the heartbeat deadline back a little, costs no clearTimeout + setTimeout per frame,
    /// while a deadline that moves far (the 5 s answer wait replaced by the next 30 s ping after
    /// the server answers) is re-armed at once instead of waking the page for nothing.
    pub fn arm(&self, deadline: Option<Millis>, now: Millis) {
        match (self.armed.get(), deadline) {
            (Some((_, armed)), Some(d)) if armed <= d && d - armed <= KEEP_EARLY_MS => return,
            (None, None) => return,
            _ => {}
        }
        self.clear();
        let (Some(deadline), Some(window)) = (deadline, web_sys::window()) else { return };
        let delay = deadline.saturating_sub(now).min(i32::MAX as u64) as i32;
        if let Ok(handle) = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(self.callback.as_ref().unchecked_ref(), delay)
        {
            self.armed.set(Some((handle, deadline)));
        }
    }

    /// Forgets the armed deadline after it fired (the timeout is spent).
    pub fn fired(&self) {
        self.armed.set(None);
    }

    fn clear(&self) {
        if let (Some((handle, _)), Some(window)) = (self.armed.take(), web_sys::window()) {
            window.clear_timeout_with_handle(handle);
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        self.clear();
    }
}
