//! [`Write`]: the store writes routing decides and does not read back, so the hub need not wait
//! for them under its lock. On PostgreSQL a group writer of their own (`postgres/group.rs`, on its
//! own connection) commits them in order, many in one transaction, and resolves a [`Ticket`]
//! after the commit (what the frames that announce them wait for); they touch no row a chat
//! message does, so the messages' writer does not wait for them. SQLite, which has no fsync to
//! share, does them at once.

use super::ticket::Ticket;
use super::{Result, Store};

/// A write routing hands over.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// [`Store::end_and_close_out`].
    End {
        /// The conversation.
        conversation: i64,
        /// When it ended (ms).
        at: i64,
        /// How (`agent`, `idle`, `left`, `agent_left`, …).
        outcome: String,
        /// The agent's disposition tags.
        tags: Vec<String>,
        /// The agent's comment.
        comment: Option<String>,
    },
    /// [`Store::record_abandoned`].
    Abandoned {
        /// The customer.
        user_id: String,
        /// Their name.
        user_name: String,
        /// When they began to wait (ms).
        since: i64,
        /// When they gave up (ms).
        at: i64,
        /// The line they waited in.
        department: Option<String>,
    },
    /// [`Store::forget_silent_visitor`].
    ForgetSilent {
        /// The customer.
        user_id: String,
    },
    /// An accept on PostgreSQL, in the messages' writer (after every message of the customer
    /// handed over before it): conversation `conversation` (an id taken from its sequence) starts,
    /// and the customer's messages no agent had go to the agent, numbered from `first_seq` —
    /// the `count` the hub counted (one more is stored without a delivery, and logged).
    Accept {
        /// The conversation's id.
        conversation: i64,
        /// The customer.
        user_id: String,
        /// Their name.
        user_name: String,
        /// The agent.
        kf_id: String,
        /// When (ms).
        at: i64,
        /// The line they came from.
        department: Option<String>,
        /// The agent's first delivery number for them.
        first_seq: u64,
        /// How many numbers the hub set aside for them.
        count: u64,
    },
    /// [`Store::set_presence`], for an agent routing holds (so one the store knows).
    Presence {
        /// The agent.
        kf_id: String,
        /// `online`, `busy` or `away`.
        presence: String,
    },
    /// [`Store::audit`]: a line of the audit log (who did what to whom).
    Audit {
        /// When (ms).
        at: i64,
        /// Who (`kfId`, or `visitor:{userId}`).
        actor: String,
        /// What (`monitor`, `recall`, `reassign`, …).
        action: String,
        /// To whom (a customer's id).
        target: String,
        /// Anything else (`kfId=…`).
        detail: String,
    },
    /// [`Store::reassign_conversation`].
    Reassign {
        /// The conversation.
        conversation: i64,
        /// Its agent now.
        kf_id: String,
        /// Its department now, when a transfer to a department moved it.
        department: Option<String>,
    },
}

impl Store {
    /// `n` conversation ids taken from their sequence (PostgreSQL), for accepts made in the
    /// messages' writer ([`Write::Accept`]).
    pub fn conversation_ids(&self, n: u32) -> Result<Vec<i64>> {
        match self {
            Store::Postgres(pg) => pg.conversation_ids(n),
            Store::Sqlite(_) => Err(super::StoreError("conversation ids are taken ahead on PostgreSQL only".into())),
        }
    }

    /// How many of customer `user_id`'s messages no agent has, and the highest delivery number
    /// they have (PostgreSQL, one query: what routing counts on for an accept off the lock).
    pub fn customer_counts(&self, user_id: &str) -> Result<(u64, u64)> {
        match self {
            Store::Postgres(pg) => pg.customer_counts(user_id),
            Store::Sqlite(_) => Err(super::StoreError("the counts are kept for PostgreSQL only".into())),
        }
    }

    /// The waits for PostgreSQL made while routing's lock was held, by call (none on SQLite, which
    /// commits in place by design).
    pub fn under_lock(&self) -> Vec<(&'static str, u64)> {
        match self {
            Store::Postgres(pg) => pg.under_lock(),
            Store::Sqlite(_) => Vec::new(),
        }
    }

    /// Waits until everything handed to PostgreSQL's writers so far is committed: before a read
    /// of what routing writes (reports, a customer's conversations), so it sees every decision
    /// made before it. At once on SQLite and when the writers have nothing pending.
    pub fn caught_up(&self) {
        if let Store::Postgres(pg) = self {
            if pg.group().pending() || pg.routing().pending() {
                pg.count_under_lock("caught_up");
            }
            pg.group().flush();
            pg.routing().flush();
        }
    }

    /// Does `w` without the caller waiting for it on PostgreSQL: handed to the routing writer,
    /// or with `after_messages` to the messages' writer, after everything handed to it so far
    /// (an accept always: it numbers messages); the ticket resolves after its commit (`Some`),
    /// `on_stored` called just before (in commit order, among the messages' `message.created`
    /// events when in their writer). On SQLite it is done now (`None`).
    pub fn write(&self, w: Write, after_messages: bool, on_stored: Option<super::OnStored>) -> Result<Option<Ticket>> {
        if let Store::Postgres(pg) = self {
            let writer = if after_messages || matches!(w, Write::Accept { .. }) { pg.group() } else { pg.routing() };
            return Ok(Some(writer.submit_write(w, on_stored)));
        }
        match w {
            Write::End { conversation, at, outcome, tags, comment } => self.end_and_close_out(conversation, at, &outcome, &tags, comment.as_deref()),
            Write::Abandoned { user_id, user_name, since, at, department } => self.record_abandoned(&user_id, &user_name, since, at, department.as_deref()).map(|_| ()),
            Write::ForgetSilent { user_id } => self.forget_silent_visitor(&user_id).map(|_| ()),
            Write::Reassign { conversation, kf_id, department } => self.reassign_conversation(conversation, &kf_id, department.as_deref()),
            Write::Presence { kf_id, presence } => self.set_presence(&kf_id, &presence).map(|_| ()),
            Write::Audit { at, actor, action, target, detail } => self.audit(&actor, &action, &target, &detail, at),
            Write::Accept { .. } => Err(super::StoreError("an accept is made in place on SQLite".into())),
        }?;
        if let Some(f) = on_stored {
            f(0);
        }
        Ok(None)
    }
}
