//! A supervisor's actions from the socket (extension `supervise`, offered to supervisors only):
//! whisper, join, leave, reassign, end — the same as the HTTP face, each answered with status 109.

use super::{err, Hub};
use crate::protocol::{self as p, codes};

impl Hub {
    /// Does `action` for supervisor `kf_id`; the answer frame says how it went.
    pub fn supervise(&self, kf_id: &str, action: &str, user_id: &str, content: Option<&str>, to: Option<&str>) -> String {
        let allowed = self.st().agents.get(kf_id).is_some_and(|a| a.supervisor && a.features.contains(codes::SUPERVISE));
        let done = if !allowed {
            Err(err(403, "only a supervisor may do this"))
        } else {
            match action {
                "whisper" => self.whisper(kf_id, user_id, content.unwrap_or_default()).map(|_| ()),
                "join" => self.join(kf_id, user_id, true).map(|_| ()),
                "leave" => self.join(kf_id, user_id, false).map(|_| ()),
                "reassign" => self.reassign(kf_id, user_id, to.unwrap_or_default()).map(|_| ()),
                "end" => self.end_by_supervisor(kf_id, user_id).map(|_| ()),
                _ => Err(err(400, "unknown action")),
            }
        };
        if let Err(e) = &done {
            tracing::info!(kf_id, action, user_id, error = %e.msg, "supervisor action refused");
        }
        p::status_supervised(action, user_id, done.err().map(|e| e.msg).as_deref()).to_string()
    }
}
