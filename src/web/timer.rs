//! [`Timer`]: the session's single timer, on [`super::raii::Timeout`] (so it arms in a
//! Worker as well as in a window). Armed only for the core's next deadline, never polling;
//! dropping the `Timeout` clears it.

use crate::core::Millis;
use super::raii::Timeout;
use ::core::cell::RefCell;
use alloc::rc::Rc;

/// How early a running timeout may fire before the deadline and still be kept (see [`Timer::arm`]).
const KEEP_EARLY_MS: Millis = 1_000;

/// One re-armable timeout.
pub struct Timer {
    on_fire: Rc<dyn Fn()>,
    /// The running timeout and the deadline it was armed for.
    armed: RefCell<Option<(Timeout, Millis)>>,
    /// The timeout that just fired, kept until the next arm so it is not dropped inside its own call.
    spent: RefCell<Option<Timeout>>,
}

impl Timer {
    /// A disarmed timer that calls `on_fire` when it fires.
    pub fn new(on_fire: impl Fn() + 'static) -> Timer {
        Timer { on_fire: Rc::new(on_fire), armed: RefCell::new(None), spent: RefCell::new(None) }
    }

    /// Arms for `deadline` (`None` disarms), `now` giving the current time (read only when a
    /// timeout is set: most frames keep the running one, and reading the clock crosses into JS).
    /// A running timeout that fires at most [`KEEP_EARLY_MS`] before `deadline` is kept: when it
    /// fires early the core does nothing and the timer is armed again for the real deadline. So a burst of frames, each
    /// pushing the heartbeat deadline back a little, costs no clearTimeout + setTimeout per frame,
    /// while a deadline that moves far (the 5 s answer wait replaced by the next 30 s ping after
    /// the server answers) is re-armed at once instead of waking the page for nothing.
    pub fn arm(&self, deadline: Option<Millis>, now: impl FnOnce() -> Millis) {
        let armed_for = self.armed.borrow().as_ref().map(|(_, d)| *d);
        match (armed_for, deadline) {
            (Some(armed), Some(d)) if armed <= d && d - armed <= KEEP_EARLY_MS => return,
            (None, None) => return,
            _ => {}
        }
        self.spent.borrow_mut().take();
        let old = self.armed.borrow_mut().take();
        drop(old); // clears it
        let Some(deadline) = deadline else { return };
        let delay = deadline.saturating_sub(now()).min(i32::MAX as u64) as u32;
        let on_fire = self.on_fire.clone();
        *self.armed.borrow_mut() = Some((Timeout::new(delay, move || on_fire()), deadline));
    }

    /// Forgets the armed deadline after it fired (the timeout is spent).
    pub fn fired(&self) {
        let spent = self.armed.borrow_mut().take().map(|(t, _)| t);
        *self.spent.borrow_mut() = spent;
    }
}
