//! A page opened anew (the customer moved to another page of the site, or reloaded) asks for its
//! conversation with `&history=1` and gets one `{"type":"history"}` frame: the customer's latest
//! lines — their own, and what agents (or a supervisor who joined) sent them; never notes,
//! whispers or the log's system lines — with the number of the last agent line it covers. It is
//! queued where a replay would go and read off the hub's lock by the socket's writer
//! (`Hub::queue_read`), so a message to them numbered later comes after it, once. A line of the
//! customer's stored meanwhile may be in it too; the page shows each of its lines once by `msgId`.

use super::replay::ReplayNames;
use super::state::State;
use super::{Hub, Out};
use crate::protocol as p;
use serde_json::{json, Value};
use tokio::sync::mpsc::UnboundedSender;

/// How many lines a page is shown again.
const HISTORY_LINES: u32 = 50;

impl Hub {
    /// Queues customer `user_id`'s history frame on `tx` (see the module's doc).
    pub(super) fn send_history(&self, st: &mut State, tx: &UnboundedSender<Out>, user_id: &str) {
        let store = self.store.clone();
        let user = user_id.to_owned();
        let recipient = format!("v:{user_id}");
        let key = recipient.clone();
        self.queue_read(st, tx, &recipient, move |upto| {
            let mut names = ReplayNames::new(store.clone());
            // Their own lines from the latest of everything stored about them…
            let own = match store.history(&user, 1, HISTORY_LINES, None) {
                Ok(h) => h.list.into_iter().filter(|m| m.sender == "visitor"),
                Err(e) => {
                    tracing::error!(user_id = user, error = %e, "history failed");
                    return Vec::new();
                }
            };
            let mut lines: Vec<(i64, Value)> = own
                .map(|m| (m.id, json!({"from": "visitor", "content": shown(&m.content, m.recalled), "createTime": m.create_time, "msgId": m.msg_id})))
                .collect();
            // …and what was delivered to them, numbered, up to the last number handed out.
            let delivered = store.replay(&key, upto.saturating_sub(u64::from(HISTORY_LINES)), HISTORY_LINES).unwrap_or_else(|e| {
                tracing::error!(user_id = user, error = %e, "history failed");
                Vec::new()
            });
            for d in delivered.into_iter().filter(|d| d.seq <= upto) {
                let m = d.message;
                let kf = m.kf_id.clone().unwrap_or_default();
                let line = json!({"from": "agent", "kfId": kf, "kfName": names.agent(&kf), "content": shown(&m.content, m.recalled), "createTime": m.create_time, "seq": d.seq});
                lines.push((m.id, line));
            }
            lines.sort_by_key(|(id, _)| *id);
            let skip = lines.len().saturating_sub(HISTORY_LINES as usize);
            vec![p::visitor_history(lines.into_iter().skip(skip).map(|(_, l)| l).collect(), upto)]
        });
    }
}

/// A line's text as the page shows it: null once recalled.
fn shown(content: &str, recalled: bool) -> Value {
    if recalled {
        Value::Null
    } else {
        content.into()
    }
}
