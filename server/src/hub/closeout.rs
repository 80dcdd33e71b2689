//! The end of a conversation as the agent closes it out (disposition tags from the supervisors'
//! list, a comment) and the customer's rating afterwards, credited to the last agent and kept with
//! the transfer chain.

use super::state::VState;
use super::{err, Hub, HubError};
use serde_json::json;

/// How long after the end a customer may still rate (ms).
const RATING_WINDOW_MS: i64 = 24 * 3600 * 1000;

impl Hub {
    /// Agent `kf_id` ends its conversation with `user_id`, with close-out `tags` (from the list
    /// supervisors keep; required when they say so) and a `comment`; the customer is told and
    /// asked for a rating.
    pub fn end_conversation_with(&self, kf_id: &str, user_id: &str, tags: &[String], comment: Option<&str>) -> Result<(), HubError> {
        let closeout = self.closeout_settings();
        if let Some(t) = tags.iter().find(|t| !closeout.tags.contains(t)) {
            return Err(err(400, format!("unknown tag {t:?}")));
        }
        if closeout.required && tags.is_empty() {
            return Err(err(400, "请选择至少一个会话标签"));
        }
        if comment.is_some_and(|c| c.chars().count() > 1000) {
            return Err(err(400, "a comment is at most 1000 characters"));
        }
        let mut tags = tags.to_vec();
        tags.dedup();
        let mut st = self.st();
        let v = st.visitors.get(user_id).ok_or_else(|| err(404, format!("unknown customer {user_id:?}")))?;
        match &v.state {
            VState::Assigned { kf_id: owner, .. } if owner == kf_id => {}
            _ => return Err(err(409, format!("customer {user_id:?} is not in a conversation with {kf_id:?}"))),
        }
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        let commit = self.finish(&mut st, user_id, "agent", "会话已结束，感谢您的咨询。", &tags, comment);
        drop(st);
        self.written(commit)
    }

    /// Customer `user_id` rates their latest ended conversation (1–5 stars, an optional comment),
    /// once, within a day of its end. The agent it ended with hears it. Returns the error the
    /// page shows when there is nothing to rate.
    pub fn rate(&self, user_id: &str, stars: i64, comment: Option<&str>) -> Result<(), HubError> {
        if !(1..=5).contains(&stars) {
            return Err(err(400, "stars must be 1 to 5"));
        }
        let not_before = self.rules_now() - RATING_WINDOW_MS;
        let rated = self.store.rate(user_id, stars, comment, not_before).map_err(|e| self.store_failed(e))?;
        let Some(c) = rated else { return Err(err(409, "没有可评价的会话（已评价过，或已超过评价时间）")) };
        let mut st = self.st();
        if let Some(a) = st.agents.get_mut(&c.kf_id) {
            a.ratings.0 += 1;
            a.ratings.1 += stars as u32;
        }
        st.tell_lifecycle(&c.kf_id, user_id, "rated", json!({"stars": stars, "comment": comment, "conversationId": c.id, "agents": c.agents}));
        self.webhooks.emit("conversation.rated", || json!({"userId": user_id, "kfId": c.kf_id, "conversationId": c.id, "stars": stars, "comment": comment, "agents": c.agents}));
        tracing::info!(user_id, kf_id = c.kf_id, stars, "conversation rated");
        Ok(())
    }
}
