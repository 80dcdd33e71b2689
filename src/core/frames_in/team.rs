//! The frames of the team extensions, checked by type and passed on as the server sent them:
//! status 105 (`notes`), 106 (`board`), 107 / 108 (`monitor`), 109 (`supervise`), 110 (`recall`),
//! 111 (`lifecycle`).

use super::{bad, check_id, data_of, opt_string, FrameError, ServerFrame};
use crate::core::json::JsonValue;
use crate::core::protocol::status;

/// Decodes a frame of status 105–111 (`root` is the whole frame).
pub(super) fn decode<V: JsonValue>(status: i64, root: &V) -> Result<ServerFrame<V>, FrameError> {
    Ok(match status {
        status::NOTE => {
            let d = data_of(status, root)?;
            check_id(status, d.field("userId"), "userId")?;
            for key in ["content", "fromKfId"] {
                if !d.field(key).is_some_and(|c| c.is_string()) {
                    return Err(FrameError::BadData { status, detail: ["`", key, "` must be a string"].concat() });
                }
            }
            match opt_string(status, d.field("kind"), "kind")?.as_deref() {
                Some("note" | "whisper" | "supervisor") => {}
                _ => return Err(bad(status, "`kind` must be \"note\", \"whisper\" or \"supervisor\"")),
            }
            ServerFrame::Note(d)
        }
        status::BOARD => {
            let d = data_of(status, root)?;
            // Changes only (`boardDelta`): the queue when it changed, the ids of agents gone.
            let changes = d.field("delta").and_then(|v| v.as_bool()) == Some(true);
            for (key, required) in [("agents", true), ("queue", !changes), ("removed", false)] {
                let list = d.field(key).filter(|v| !v.is_null());
                if list.as_ref().map_or(required, |l| l.items().is_none()) {
                    return Err(FrameError::BadData { status, detail: ["`", key, "` must be an array"].concat() });
                }
            }
            ServerFrame::Board(d)
        }
        status::SUPERVISED => {
            let d = data_of(status, root)?;
            check_id(status, d.field("userId"), "userId")?;
            if !d.field("action").is_some_and(|a| a.is_string()) {
                return Err(bad(status, "`action` must be a string"));
            }
            opt_string(status, d.field("error"), "error")?;
            ServerFrame::Supervised(d)
        }
        status::MONITOR | status::VIEWERS => {
            let d = data_of(status, root)?;
            check_id(status, d.field("userId"), "userId")?;
            let list = if status == status::MONITOR { "messages" } else { "viewers" };
            if d.field(list).and_then(|l| l.items()).is_none() {
                return Err(FrameError::BadData { status, detail: ["`", list, "` must be an array"].concat() });
            }
            if status == status::MONITOR { ServerFrame::Monitor(d) } else { ServerFrame::Viewers(d) }
        }
        status::RECALLED => {
            let d = data_of(status, root)?;
            check_id(status, d.field("userId"), "userId")?;
            if !d.field("msgId").is_some_and(|a| a.is_string()) {
                return Err(bad(status, "`msgId` must be a string"));
            }
            match opt_string(status, d.field("by"), "by")?.as_deref() {
                Some("agent" | "visitor") => {}
                _ => return Err(bad(status, "`by` must be \"agent\" or \"visitor\"")),
            }
            opt_string(status, d.field("error"), "error")?;
            ServerFrame::Recalled(d)
        }
        status::LIFECYCLE => {
            let d = data_of(status, root)?;
            check_id(status, d.field("userId"), "userId")?;
            if !d.field("event").is_some_and(|a| a.is_string()) {
                return Err(bad(status, "`event` must be a string"));
            }
            ServerFrame::Lifecycle(d)
        }
        other => return Err(FrameError::UnknownStatus(other)),
    })
}
