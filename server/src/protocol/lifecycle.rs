//! Agent frames of a conversation's life (extensions `recall` and `lifecycle`).

use super::codes::status;
use serde_json::{json, Value};

/// Status 110 (extension `recall`): message `msg_id` in the conversation with `user_id` was
/// recalled by `by` (`agent` or `visitor`), or, with `error`, the agent's recall was refused.
pub fn status_recalled(user_id: &str, msg_id: &str, by: &str, error: Option<&str>) -> Value {
    json!({"status": status::RECALLED, "data": {"userId": user_id, "msgId": msg_id, "by": by, "error": error}})
}

/// Status 111 (extension `lifecycle`): something happened in a conversation's life. `event` is
/// `offerExpired` (the offer moved on), `idleWarning` (closes in `closesInMs`), `closed`
/// (`reason`: `idle`, `left`), `rated` (`stars`, `comment`) or `offlineMessage` (a message was
/// left: `id`, `name`); `extra`'s fields are added to `data`.
pub fn status_lifecycle(user_id: &str, user_name: &str, event: &str, extra: Value) -> Value {
    let mut data = json!({"userId": user_id, "userName": user_name, "event": event});
    if let (Some(d), Value::Object(more)) = (data.as_object_mut(), extra) {
        d.extend(more);
    }
    json!({"status": status::LIFECYCLE, "data": data})
}
