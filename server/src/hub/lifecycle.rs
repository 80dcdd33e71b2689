//! The inactivity rules, judged once a second (`Hub::lifecycle_tick`): an offer nobody accepts
//! moves on to an agent not yet tried; a conversation silent on both sides becomes inactive (off
//! the agent's cap), then is warned and closed; and [`Hub::finish`], the one way a conversation
//! ends (by the agent, a supervisor, silence, the customer leaving, or a transfer to another
//! partition's department).

use super::state::{State, VState};
use super::Hub;
use crate::protocol::{self as p, codes};
use crate::store::ticket::Ticket;
use crate::store::Write;
use serde_json::json;

/// The outcome of a conversation handed to a department another partition routes: the customer
/// goes on there, so they are not asked to rate this one.
pub(super) const TRANSFERRED: &str = "transferred";

/// The inactivity rules in ms (0: off), from the server's flags.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Rules {
    pub(crate) offer_timeout_ms: i64,
    pub(crate) inactive_ms: i64,
    pub(crate) idle_close_ms: i64,
    pub(crate) idle_warn_ms: i64,
    pub(crate) recall_ms: i64,
}

impl Rules {
    pub(super) fn of(cfg: &crate::config::Config) -> Rules {
        let ms = |s: u64| (s as i64).saturating_mul(1000);
        Rules {
            offer_timeout_ms: ms(cfg.offer_timeout_secs),
            inactive_ms: ms(cfg.inactive_secs),
            idle_close_ms: ms(cfg.idle_close_secs),
            idle_warn_ms: ms(cfg.idle_warn_secs.min(cfg.idle_close_secs)),
            recall_ms: ms(cfg.recall_secs),
        }
    }
}

/// The line a customer reads when silence closed the conversation.
const IDLE_CLOSED: &str = "由于双方长时间没有新消息，本次会话已自动结束。如需帮助，请随时再发消息给我们。";

impl State {
    /// The conversations that count against `kf_id`'s cap: inactive ones do not.
    pub(super) fn active_load(&self, kf_id: &str) -> usize {
        self.agents.get(kf_id).map_or(0, |a| a.conversations.iter().filter(|u| !self.visitors.get(*u).is_some_and(|v| v.inactive)).count())
    }

    /// When anyone last spoke in the conversation with `user_id`, or it started, or routing got it
    /// back from the store after a restart (`waiting_since` of a restored slot).
    fn last_activity(&self, user_id: &str) -> i64 {
        let Some(v) = self.visitors.get(user_id) else { return 0 };
        let started = self.started.get(user_id).copied().unwrap_or(0);
        [started, v.waiting_since, v.last_visitor_at.unwrap_or(0), v.last_agent_at.unwrap_or(0)].into_iter().max().unwrap_or(0)
    }

    /// Someone spoke in the conversation with `user_id`: active again, warning void.
    pub(super) fn spoke_in(&mut self, user_id: &str) {
        if let Some(v) = self.visitors.get_mut(user_id) {
            v.inactive = false;
            v.idle_warned_at = None;
        }
    }

    /// A status 111 frame for agent `kf_id`, when it speaks `lifecycle`.
    pub(super) fn tell_lifecycle(&mut self, kf_id: &str, user_id: &str, event: &str, extra: serde_json::Value) {
        self.tell_lifecycle_after(kf_id, user_id, event, extra, None);
    }

    /// [`State::tell_lifecycle`] of what is still being written: sent after `commit`.
    pub(super) fn tell_lifecycle_after(&mut self, kf_id: &str, user_id: &str, event: &str, extra: serde_json::Value, commit: Option<&Ticket>) {
        if self.agents.get(kf_id).is_some_and(|a| a.features.contains(codes::LIFECYCLE)) {
            let name = self.visitors.get(user_id).map(|v| v.user_name.clone()).unwrap_or_default();
            self.to_agent_after(kf_id, p::status_lifecycle(user_id, &name, event, extra), None, commit);
        }
    }
}

impl Hub {
    /// The clock routing reads: now, plus what `/test/clock` added.
    pub fn rules_now(&self) -> i64 {
        self.st().now()
    }

    /// Moves routing's clock forward by `ms` and judges the rules at once (test hooks only).
    pub fn advance_clock(&self, ms: i64) {
        self.st().clock_offset += ms;
        self.lifecycle_tick();
    }

    /// Applies the inactivity rules now: expired offers move on, silent conversations become
    /// inactive, are warned, then closed.
    pub fn lifecycle_tick(&self) {
        let now = self.rules_now();
        let mut st = self.st();
        st.tell_all_positions();
        let rules = st.rules;
        if rules.offer_timeout_ms > 0 {
            let expired: Vec<(String, String)> = st
                .queue
                .iter()
                .filter_map(|u| {
                    let v = st.visitors.get(u)?;
                    let kf = v.offered_to.clone()?;
                    (v.state == VState::Waiting && now - v.offered_at >= rules.offer_timeout_ms).then(|| (u.clone(), kf))
                })
                .collect();
            for (u, kf) in &expired {
                if let Some(v) = st.visitors.get_mut(u) {
                    v.offered_to = None;
                    v.timed_out.insert(kf.clone());
                }
                self.metrics.lifecycle_event("offer_timeout");
                st.withdraw(kf, u, "offer timed out");
                st.tell_lifecycle(kf, u, "offerExpired", json!({}));
                tracing::info!(kf_id = kf, user_id = u, "offer not accepted in time; offered to the next agent");
            }
            st.offer_each(expired.into_iter().map(|(u, _)| u).collect()); // many may lapse at once
        }
        let live: Vec<(String, String)> = st
            .visitors
            .iter()
            .filter_map(|(u, v)| match &v.state {
                VState::Assigned { kf_id, .. } => Some((u.clone(), kf_id.clone())),
                _ => None,
            })
            .collect();
        let mut freed = false;
        for (u, kf) in live {
            let silent = now - st.last_activity(&u);
            if rules.idle_close_ms > 0 && silent >= rules.idle_close_ms {
                self.metrics.lifecycle_event("idle");
                let commit = self.finish(&mut st, &u, "idle", IDLE_CLOSED, &[], None);
                st.tell_lifecycle_after(&kf, &u, "closed", json!({"reason": "idle"}), commit.as_ref());
                continue;
            }
            let warn_at = rules.idle_close_ms - rules.idle_warn_ms;
            let warned = st.visitors.get(&u).and_then(|v| v.idle_warned_at).is_some();
            if rules.idle_close_ms > 0 && rules.idle_warn_ms > 0 && silent >= warn_at && !warned {
                let closes_in = rules.idle_close_ms - silent;
                if let Some(v) = st.visitors.get_mut(&u) {
                    v.idle_warned_at = Some(now);
                }
                let minutes = (closes_in + 59_999) / 60_000;
                st.to_visitor(&u, p::visitor_notice(&format!("您已有一段时间没有新消息，会话将在约 {minutes} 分钟后自动结束。")));
                st.tell_lifecycle(&kf, &u, "idleWarning", json!({"closesInMs": closes_in}));
            }
            if rules.inactive_ms > 0 && silent >= rules.inactive_ms {
                if let Some(v) = st.visitors.get_mut(&u).filter(|v| !v.inactive) {
                    v.inactive = true;
                    freed = true;
                }
            }
        }
        if freed {
            st.offer_waiting(); // inactive conversations left room under some caps
        }
    }

    /// Ends the conversation with `user_id` (whoever it is with): stored with its `outcome`,
    /// tags and comment (without waiting under the lock: `write_later`), the customer told `text`
    /// (and asked for a rating) once it is, the agent freed. Answers the end's commit while
    /// PostgreSQL's group writer has it (`None` as well when there was no conversation).
    pub(super) fn finish(&self, st: &mut State, user_id: &str, outcome: &str, text: &str, tags: &[String], comment: Option<&str>) -> Option<Ticket> {
        let v = st.visitors.get_mut(user_id)?;
        let VState::Assigned { kf_id, conversation } = v.state.clone() else { return None };
        v.state = VState::Ended;
        v.last_agent = Some(kf_id.clone());
        v.transfer = None;
        v.inactive = false;
        v.idle_warned_at = None;
        let now = st.now();
        let end = Write::End { conversation, at: now, outcome: outcome.to_owned(), tags: tags.to_vec(), comment: comment.map(str::to_owned) };
        let commit = self.write_later(st, user_id, end);
        st.conversation_over(user_id, now);
        if let Some(a) = st.agents.get_mut(&kf_id) {
            a.conversations.remove(user_id);
        }
        self.webhooks.emit("conversation.ended", || serde_json::json!({"userId": user_id, "kfId": kf_id, "conversationId": conversation, "outcome": outcome, "tags": tags, "comment": comment}));
        // Rated by the customer unless it goes on with another department.
        st.to_visitor_seq(user_id, p::visitor_ended(Some(&kf_id), text, outcome != TRANSFERRED), None, commit.as_ref());
        st.offer_waiting(); // the agent has room again
        commit
    }
}
