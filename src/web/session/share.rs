//! One socket per agent across the tabs of a browser (option `shareAcrossTabs`). The sessions of
//! one server and agent ask for the same Web Lock (`tabs.js`); the holder (the leader) owns the
//! socket and posts every hook call, with a snapshot of its state, on a BroadcastChannel. The
//! others (followers) open no socket: they call their hooks with what the leader posts, answer the
//! getters from its snapshot, and hand actions and messages to it. A follower's message is stored
//! in the shared durable outbox before it is posted, and is posted again to a new leader until one
//! reports on it, so a leader that closes or crashes loses nothing: the next one (the browser
//! grants it the lock at once) restores the outbox and resumes the `seq` numbering where the old
//! one stopped. docs/js-api.md describes the guarantees.

use super::{now, Inner};
use crate::core::{Input, LogDetail, LogLevel, LogMessage, PersistedMessage, Presence, UiEvent, WakeReason};
use crate::web::convert::{customers_to_js, js_to_scalar, persisted_from_js, scalar_to_js};
use crate::web::js::{get, name, object};
use crate::web::json_value::JsJson;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

mod follower;

#[wasm_bindgen(module = "/src/web/tabs.js")]
extern "C" {
    type TabLink;
    #[wasm_bindgen(constructor)]
    fn new(name: &str, on_lead: &js_sys::Function, on_message: &js_sys::Function) -> TabLink;
    #[wasm_bindgen(method, catch)]
    fn post(this: &TabLink, message: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method)]
    fn close(this: &TabLink);
    #[wasm_bindgen(js_name = tabsSupported)]
    fn tabs_supported() -> bool;
}

/// Message ids remembered per list; older ones are forgotten first.
const REMEMBERED: usize = 1024;

/// This tab's part in the sharing: its link to the others and what it remembers.
pub(super) struct Share {
    link: TabLink,
    _on_lead: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(JsValue)>,
    /// This tab's id (its session's message-id prefix).
    me: JsValue,
    leading: Cell<bool>,
    /// Follower: the leader's last snapshot.
    mirror: RefCell<JsValue>,
    /// Messages this tab handed to a leader: (message id, local id here), until final.
    mine: RefCell<VecDeque<(String, u64)>>,
    /// Of those, the ones no leader has reported on yet: handed again to each new leader.
    unreported: RefCell<Vec<PersistedMessage>>,
    /// Leader: messages from elsewhere (local id here, message id, sent by a live follower).
    relayed: RefCell<VecDeque<(u64, String, bool)>>,
}

impl Drop for Share {
    fn drop(&mut self) {
        self.link.close();
    }
}

impl Share {
    fn post(&self, message: JsValue) {
        if let Err(e) = self.link.post(&message) {
            web_sys::console::warn_2(&"[kefu] could not share with the other tabs:".into(), &e);
        }
    }

    /// Follower: asks the leader to check its connection now.
    pub(super) fn ask_check(&self) {
        self.post(object(&[("t", text("check"))]));
    }

    fn mirrored(&self, key: &'static str) -> JsValue {
        get(&self.mirror.borrow(), key)
    }

    fn own_local_id(&self, msg_id: &str) -> Option<u64> {
        self.mine.borrow().iter().find(|(m, _)| m == msg_id).map(|(_, l)| *l)
    }

    /// A leader reported on message `msg_id`: it is no longer handed to new leaders (it stays in
    /// `mine`, bounded, so read receipts still find it).
    fn settle_mine(&self, msg_id: &str) {
        self.unreported.borrow_mut().retain(|m| m.msg_id != msg_id);
    }

    fn note_relayed(&self, local_id: u64, msg_id: String, foreign: bool) {
        let mut r = self.relayed.borrow_mut();
        r.push_back((local_id, msg_id, foreign));
        if r.len() > REMEMBERED {
            r.pop_front();
        }
    }
}

fn text(v: &str) -> JsValue {
    JsValue::from_str(v)
}

/// `v` if it is an array, else an empty one (a snapshot not received yet).
fn array(v: &JsValue) -> js_sys::Array {
    v.clone().dyn_into().unwrap_or_default()
}

fn same(a: &JsValue, b: &JsValue) -> bool {
    js_sys::Object::is(a, b)
}

impl Inner {
    /// The sharing, if this session takes part in one.
    pub(super) fn share(&self) -> Option<Rc<Share>> {
        self.share.borrow().clone()
    }

    /// The sharing, if this tab follows another that owns the socket.
    pub(super) fn following(&self) -> Option<Rc<Share>> {
        self.share().filter(|s| !s.leading.get())
    }

    fn leading(&self) -> Option<Rc<Share>> {
        self.share().filter(|s| s.leading.get())
    }

    /// `connect()` with `shareAcrossTabs`: joins the tabs of this server and agent (the socket
    /// opens when this tab gets the lock). False where the browser cannot share: this tab then
    /// uses a socket of its own.
    pub(super) fn join_tabs(&self) -> bool {
        if self.share.borrow().is_some() {
            return true;
        }
        if !tabs_supported() {
            let text = "shareAcrossTabs: Web Locks or BroadcastChannel missing; this tab uses its own socket";
            self.hooks.log(LogLevel::Warn, &LogMessage { text, detail: LogDetail::None });
            return false;
        }
        let (a, b) = (self.me.clone(), self.me.clone());
        let on_lead = Closure::<dyn FnMut()>::new(move || {
            if let Some(inner) = a.upgrade() {
                inner.lead();
            }
        });
        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |m: JsValue| {
            if let Some(inner) = b.upgrade() {
                inner.on_tab_message(&m);
            }
        });
        let key = ["kefu-agent:", &self.storage_key()].concat();
        let link = TabLink::new(&key, on_lead.as_ref().unchecked_ref(), on_message.as_ref().unchecked_ref());
        let share = Rc::new(Share {
            link,
            _on_lead: on_lead,
            _on_message: on_message,
            me: text(&self.core.borrow().config().client_token),
            leading: Cell::new(false),
            mirror: RefCell::new(JsValue::UNDEFINED),
            mine: RefCell::new(VecDeque::new()),
            unreported: RefCell::new(Vec::new()),
            relayed: RefCell::new(VecDeque::new()),
        });
        share.post(object(&[("t", text("sync"))]));
        *self.share.borrow_mut() = Some(share);
        true
    }

    /// `close()`: leaves the tabs (another one takes the lock, and the socket).
    pub(super) fn leave_tabs(&self) {
        let share = self.share.borrow_mut().take();
        drop(share);
    }

    /// This tab got the lock: it owns the socket from now on.
    fn lead(&self) {
        let Some(sh) = self.share() else { return };
        sh.leading.set(true);
        let mirror = sh.mirror.replace(JsValue::UNDEFINED);
        let last = get(&mirror, "lastSeq").as_f64().unwrap_or(0.0) as u64;
        let mut core = self.core.borrow_mut();
        core.resume_from(get(&mirror, "epoch").as_string(), last);
        for m in sh.unreported.take() {
            let msg_id = m.msg_id.clone();
            if let Ok(Some(local_id)) = core.handle_input(now(), Input::Relay(m)) {
                sh.note_relayed(local_id, msg_id, false);
            }
        }
        drop(core);
        self.load_outbox();
        self.event(Input::Connect);
        self.post_snapshot(&sh);
    }

    fn snapshot(&self) -> JsValue {
        let core = self.core.borrow();
        let (epoch, last_seq) = core.resume_point();
        object(&[
            ("state", name(core.state().as_str())),
            ("waiting", customers_to_js(core.waiting())),
            ("transfers", customers_to_js(core.pending_transfers())),
            ("held", JsValue::from_f64(core.held_count() as f64)),
            ("epoch", epoch.map(text).unwrap_or(JsValue::NULL)),
            ("lastSeq", JsValue::from_f64(last_seq as f64)),
            ("leader", text(&core.config().client_token)),
            ("presence", core.presence().map(|(p, _)| text(p.as_str())).unwrap_or(JsValue::NULL)),
        ])
    }

    fn post_snapshot(&self, sh: &Share) {
        sh.post(object(&[("t", text("snap")), ("snap", self.snapshot())]));
    }

    /// Delivers a UI event; a leader also posts it to the other tabs, and maps the messages of
    /// other tabs to theirs.
    pub(super) fn deliver(&self, e: &UiEvent<JsJson>) {
        let Some(sh) = self.leading() else { return self.hooks.deliver(e) };
        match e {
            UiEvent::MessageStatus { local_id, status, reason } => {
                let known = sh.relayed.borrow().iter().find(|r| r.0 == *local_id).cloned();
                let Some((_, msg_id, foreign)) = known else { return self.hooks.deliver(e) };
                let reason = reason.as_deref().map(text).unwrap_or(JsValue::NULL);
                let status = name(status.as_str());
                sh.post(object(&[("t", text("status")), ("msgId", text(&msg_id)), ("status", status.clone()), ("reason", reason.clone())]));
                let own = sh.own_local_id(&msg_id);
                sh.settle_mine(&msg_id);
                match own {
                    Some(own) => self.hooks.call_named(
                        "onMessageStatus",
                        &object(&[("localId", JsValue::from_f64(own as f64)), ("status", status), ("reason", reason)]),
                    ),
                    None if !foreign => self.hooks.deliver(e),
                    None => {}
                }
            }
            UiEvent::Read { user_id, local_ids } => {
                let relayed = sh.relayed.borrow();
                let (theirs, here): (Vec<u64>, Vec<u64>) = local_ids.iter().partition(|l| relayed.iter().any(|r| r.0 == **l));
                let ids: js_sys::Array = relayed.iter().filter(|r| theirs.contains(&r.0)).map(|r| text(&r.1)).collect();
                drop(relayed);
                if ids.length() > 0 {
                    sh.post(object(&[("t", text("read")), ("userId", scalar_to_js(user_id)), ("msgIds", ids.clone().into())]));
                    self.follower_read(&sh, &scalar_to_js(user_id), &ids); // this tab's own, handed over as a follower
                }
                if !here.is_empty() {
                    self.hooks.deliver(&UiEvent::Read { user_id: user_id.clone(), local_ids: here });
                }
            }
            UiEvent::Restored { local_id, message } => {
                sh.note_relayed(*local_id, message.msg_id.clone(), false);
                if sh.own_local_id(&message.msg_id).is_none() {
                    self.hooks.deliver(e); // this tab shows its own messages already
                }
            }
            _ => {
                let snap = self.snapshot();
                self.hooks.deliver_keeping(e, &mut |hook, payload| {
                    sh.post(object(&[("t", text("hook")), ("name", name(hook)), ("payload", payload.clone()), ("snap", snap.clone())]));
                });
            }
        }
    }

    fn on_tab_message(&self, m: &JsValue) {
        let Some(sh) = self.share() else { return };
        let t = get(m, "t").as_string().unwrap_or_default();
        match (sh.leading.get(), t.as_str()) {
            (true, "sync") => self.post_snapshot(&sh),
            (true, "act") => self.act_for(&sh, m),
            (true, "send") => self.send_for(&sh, m),
            (true, "check") => self.event(Input::Wake(WakeReason::Visible)),
            (false, "hook") => {
                self.follow(&sh, get(m, "snap"), false);
                if let Some(hook) = get(m, "name").as_string() {
                    self.hooks.call_named(&hook, &get(m, "payload"));
                }
            }
            (false, "snap") => self.follow(&sh, get(m, "snap"), true),
            (false, "read") => self.follower_read(&sh, &get(m, "userId"), &array(&get(m, "msgIds"))),
            (false, "status") => {
                let msg_id = get(m, "msgId").as_string().unwrap_or_default();
                if let Some(own) = sh.own_local_id(&msg_id) {
                    let status = get(m, "status");
                    sh.settle_mine(&msg_id);
                    let p = object(&[("localId", JsValue::from_f64(own as f64)), ("status", status), ("reason", get(m, "reason"))]);
                    self.hooks.call_named("onMessageStatus", &p);
                }
            }
            (_, "did") if !same(&get(m, "from"), &sh.me) => self.hooks.call_named("onOtherTabAction", &get(m, "action")),
            (false, "err") if same(&get(m, "to"), &sh.me) => {
                let text = "the tab that owns the socket refused:";
                let why = get(m, "message").as_string().unwrap_or_default();
                self.hooks.log(LogLevel::Warn, &LogMessage { text, detail: LogDetail::Text(why) });
            }
            _ => {}
        }
    }

    /// Leader: tells the tabs (and this one's `onOtherTabAction`, if another tab did it) about an
    /// action taken.
    pub(super) fn tell_tabs(&self, from: &JsValue, action: JsValue) {
        let Some(sh) = self.leading() else { return };
        if !same(from, &sh.me) {
            self.hooks.call_named("onOtherTabAction", &action);
        }
        sh.post(object(&[("t", text("did")), ("from", from.clone()), ("action", action)]));
    }

    /// Leader: the customer's name, for telling the tabs about an answer.
    pub(super) fn action_payload(&self, op: &'static str, id: &JsValue) -> Option<JsValue> {
        self.leading()?;
        let id_s = js_to_scalar(id)?;
        let core = self.core.borrow();
        let who = core.waiting().iter().chain(core.pending_transfers()).find(|c| c.id == id_s).map(|c| c.user_name.clone());
        Some(object(&[("action", name(op)), ("id", id.clone()), ("userName", who.map(|n| text(&n)).unwrap_or(JsValue::NULL))]))
    }

    /// This tab's id, as actions name their origin.
    pub(super) fn tab_id(&self) -> JsValue {
        self.share().map(|s| s.me.clone()).unwrap_or(JsValue::NULL)
    }

    fn act_for(&self, sh: &Share, m: &JsValue) {
        let action = get(m, "action");
        let Some(id) = js_to_scalar(&get(&action, "id")) else { return };
        let input = match get(&action, "action").as_string().as_deref() {
            Some("setPresence") => match Presence::parse(&id.key()) {
                Some(p) => Input::SetPresence(p),
                None => return,
            },
            Some("typing") => Input::Typing(id, true),
            Some("stopTyping") => Input::Typing(id, false),
            Some("markSeen") => Input::Seen(id),
            Some("acceptCustomer") => Input::AcceptCustomer(id),
            Some("declineCustomer") => Input::DeclineCustomer(id),
            Some("acceptTransfer") => Input::AcceptTransfer(id),
            Some("rejectTransfer") => Input::RejectTransfer(id),
            _ => return,
        };
        match self.feed(input) {
            Ok(_) if !matches!(get(&action, "action").as_string().as_deref(), Some("acceptCustomer" | "declineCustomer" | "acceptTransfer" | "rejectTransfer")) => {}
            Ok(_) => self.tell_tabs(&get(m, "from"), action),
            Err(e) => sh.post(object(&[("t", text("err")), ("to", get(m, "from")), ("message", get(&e, "message"))])),
        }
    }

    fn send_for(&self, sh: &Share, m: &JsValue) {
        let msg = get(m, "msg");
        let Some(pm) = persisted_from_js(&msg) else { return };
        let msg_id = pm.msg_id.clone();
        let relayed = self.core.borrow_mut().handle_input(now(), Input::Relay(pm));
        if let Ok(Some(local_id)) = relayed {
            sh.note_relayed(local_id, msg_id, true); // before the drain reports its status
        }
        self.drain();
        if let Ok(Some(_)) = relayed {
            let action = object(&[
                ("action", name("send")),
                ("id", get(&msg, "userId")),
                ("userName", get(&msg, "userName")),
                ("content", get(&msg, "content")),
            ]);
            self.tell_tabs(&get(m, "from"), action);
        }
    }
}

fn send_message(me: &JsValue, m: &PersistedMessage) -> JsValue {
    let msg = object(&[
        ("msgId", text(&m.msg_id)),
        ("userId", scalar_to_js(&m.user_id)),
        ("userName", text(&m.user_name)),
        ("content", text(&m.content)),
    ]);
    object(&[("t", text("send")), ("from", me.clone()), ("msg", msg)])
}
