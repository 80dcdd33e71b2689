//! The follower's side of a shared socket: taking the leader's snapshots, answering the getters
//! from them, and handing actions and messages to the leader (a message is stored first and kept
//! until a leader reports on it).

use super::{array, same, send_message, text, Share, REMEMBERED};
use crate::core::{ErrorCode, PersistedMessage, Scalar};
use crate::web::convert::{js_to_scalar, scalar_to_js};
use crate::web::error::kefu_error;
use crate::web::js::{get, name, object};
use crate::web::session::Inner;
use wasm_bindgen::JsValue;

impl Inner {
    /// A follower takes the leader's snapshot; a new leader gets this tab's unreported messages.
    /// With `announce` (a snapshot on its own: this tab just joined, or a new leader took over)
    /// the hooks hear what changed.
    pub(super) fn follow(&self, sh: &Share, snap: JsValue, announce: bool) {
        if !snap.is_object() {
            return;
        }
        let old = sh.mirror.replace(snap.clone());
        if !same(&get(&old, "leader"), &get(&snap, "leader")) {
            for m in sh.unreported.borrow().iter() {
                sh.post(send_message(&sh.me, m));
            }
        }
        if !announce {
            return;
        }
        if !same(&get(&old, "state"), &get(&snap, "state")) {
            self.hooks.call_named("onStateChange", &object(&[("state", get(&snap, "state"))]));
        }
        self.hooks.call_named("onQueueChange", &object(&[("waiting", get(&snap, "waiting"))]));
        let known = array(&get(&old, "transfers"));
        for t in array(&get(&snap, "transfers")).iter() {
            if !known.iter().any(|k| same(&get(&k, "id"), &get(&t, "id"))) {
                let p = object(&[("id", get(&t, "id")), ("userName", get(&t, "userName")), ("data", t.clone())]);
                self.hooks.call_named("onTransferRequest", &p);
            }
        }
    }

    /// Read receipts for messages this tab handed to a leader, under this tab's local ids.
    pub(super) fn follower_read(&self, sh: &Share, user_id: &JsValue, msg_ids: &js_sys::Array) {
        let own: js_sys::Array =
            msg_ids.iter().filter_map(|m| sh.own_local_id(&m.as_string()?)).map(|l| JsValue::from_f64(l as f64)).collect();
        if own.length() > 0 {
            self.hooks.call_named("onRead", &object(&[("userId", user_id.clone()), ("localIds", own.into())]));
        }
    }

    /// Follower: the leader's state, queue, transfers or held count, for the getters.
    pub(in crate::web::session) fn mirrored(&self, sh: &Share, key: &'static str) -> JsValue {
        match (key, sh.mirrored(key)) {
            ("state", v) if v.is_undefined() => name("connecting"),
            ("presence", v) if v.is_undefined() => JsValue::NULL,
            ("waiting" | "transfers", v) if v.is_undefined() => js_sys::Array::new().into(),
            ("held", v) => JsValue::from_f64(v.as_f64().unwrap_or(0.0) + sh.unreported.borrow().len() as f64),
            (_, v) => v,
        }
    }

    /// Follower: an answer to a waiting customer or a transfer, checked against the leader's
    /// snapshot and handed to it.
    pub(in crate::web::session) fn ask_leader(&self, sh: &Share, op: &'static str, id: &JsValue) -> Result<(), JsValue> {
        if matches!(op, "setPresence" | "typing" | "stopTyping" | "markSeen") {
            let action = object(&[("action", name(op)), ("id", id.clone()), ("userName", JsValue::NULL)]);
            sh.post(object(&[("t", text("act")), ("from", sh.me.clone()), ("action", action)]));
            return Ok(());
        }
        let id_s = js_to_scalar(id).ok_or_else(|| kefu_error(ErrorCode::InvalidArgument, "id must be a string or a number"))?;
        let (list, code) = match op {
            "acceptCustomer" | "declineCustomer" => ("waiting", ErrorCode::UnknownCustomer),
            _ => ("transfers", ErrorCode::UnknownTransfer),
        };
        let entry = array(&self.mirrored(sh, list)).iter().find(|c| js_to_scalar(&get(c, "id")).as_ref() == Some(&id_s));
        let Some(entry) = entry else { return Err(kefu_error(code, &["no such customer: ", &id_s.key()].concat())) };
        if self.mirrored(sh, "state").as_string().as_deref() != Some("open") {
            return Err(kefu_error(ErrorCode::NotConnected, "not connected"));
        }
        let action = object(&[("action", name(op)), ("id", scalar_to_js(&id_s)), ("userName", get(&entry, "userName"))]);
        sh.post(object(&[("t", text("act")), ("from", sh.me.clone()), ("action", action)]));
        Ok(())
    }

    /// Follower: sends through the leader. The message is stored first (durable outbox) and kept
    /// until a leader reports on it. Returns its local id here.
    pub(in crate::web::session) fn send_via_leader(&self, sh: &Share, user_id: Scalar, user_name: String, content: String) -> u64 {
        let (local_id, msg_id) = self.core.borrow_mut().new_message_id();
        let m = PersistedMessage { msg_id: msg_id.clone(), user_id, user_name, content };
        if let Some(o) = self.outbox.borrow().as_ref() {
            o.put(local_id, &m);
        }
        {
            let mut mine = sh.mine.borrow_mut();
            mine.push_back((msg_id, local_id));
            if mine.len() > REMEMBERED {
                mine.pop_front();
            }
        }
        sh.post(send_message(&sh.me, &m));
        sh.unreported.borrow_mut().push(m);
        local_id
    }
}
