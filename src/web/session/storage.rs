//! What the session keeps in the browser's storage for its server and agent: the durable outbox
//! (IndexedDB, `outbox.rs`) and the `seq` resume point across page loads (localStorage, `resume.rs`).

use super::{Inner, Input};
use crate::core::{LogDetail, LogLevel, LogMessage};
use crate::web::outbox::Outbox;
use crate::web::resume::{self, OnPageHide};
use std::rc::Rc;

impl Inner {
    /// Server socket URL (without its query) and agent: what the durable outbox and the tabs'
    /// sharing are keyed by.
    pub(super) fn storage_key(&self) -> String {
        [self.target.url.split('?').next().unwrap_or_default(), "#", &self.core.borrow().config().kf_id].concat()
    }

    /// `resumeAcrossReloads`: keeps where the numbering stands for the next page load.
    pub(super) fn save_resume_point(&self) {
        if self.on_hide.borrow().is_some() && self.following().is_none() {
            let core = self.core.borrow();
            let (epoch, last_seq) = core.resume_point();
            resume::save(&self.storage_key(), epoch, last_seq);
        }
    }

    /// Restores what earlier sessions kept in the durable outbox (once).
    pub(super) fn load_outbox(&self) {
        let me = self.me.clone();
        if let Some(o) = self.outbox.borrow_mut().as_mut() {
            o.load(move |kept| {
                if let Some(inner) = me.upgrade() {
                    let _ = inner.feed(Input::Restore(kept));
                }
            });
        }
    }

    /// `resumeAcrossReloads`: continues from the point an earlier page load saved, and
    /// saves it when the page hides.
    pub(super) fn resume_across_reloads(self: &Rc<Self>) {
        if let Some((epoch, last_seq)) = resume::load(&self.storage_key()) {
            self.core.borrow_mut().resume_from(Some(epoch), last_seq);
        }
        let me = Rc::downgrade(self);
        *self.on_hide.borrow_mut() = Some(OnPageHide::new(move || {
            if let Some(inner) = me.upgrade() {
                inner.save_resume_point();
            }
        }));
    }
}

/// The durable outbox of `inner`'s server and agent: each committed write is reported; storage
/// trouble is one warning, and the session goes on in memory.
pub(super) fn open_outbox(inner: &Rc<Inner>) -> Outbox {
    let (b, c) = (Rc::downgrade(inner), Rc::downgrade(inner));
    Outbox::open(
        &inner.storage_key(),
        move |local_id| {
            if let Some(inner) = b.upgrade() {
                inner.hooks.saved(local_id);
            }
        },
        move |why| {
            if let Some(inner) = c.upgrade() {
                let text = "durable outbox unavailable, messages are kept in memory only:";
                inner.hooks.log(LogLevel::Warn, &LogMessage { text, detail: LogDetail::Text(why) });
            }
        },
    )
}
