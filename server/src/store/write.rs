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
    /// Waits until everything handed to PostgreSQL's writers so far is committed: before a read
    /// of what routing writes (reports, a customer's conversations), so it sees every decision
    /// made before it. At once on SQLite and when the writers have nothing pending.
    pub fn caught_up(&self) {
        if let Store::Postgres(pg) = self {
            pg.group().flush();
            pg.routing().flush();
        }
    }

    /// Does `w` without the caller waiting for it on PostgreSQL: handed to the routing writer,
    /// whose ticket resolves after its commit (`Some`); on SQLite it is done now (`None`).
    pub fn write(&self, w: Write) -> Result<Option<Ticket>> {
        if let Store::Postgres(pg) = self {
            return Ok(Some(pg.routing().submit_write(w)));
        }
        match w {
            Write::End { conversation, at, outcome, tags, comment } => self.end_and_close_out(conversation, at, &outcome, &tags, comment.as_deref()),
            Write::Abandoned { user_id, user_name, since, at, department } => self.record_abandoned(&user_id, &user_name, since, at, department.as_deref()).map(|_| ()),
            Write::ForgetSilent { user_id } => self.forget_silent_visitor(&user_id).map(|_| ()),
            Write::Reassign { conversation, kf_id, department } => self.reassign_conversation(conversation, &kf_id, department.as_deref()),
        }?;
        Ok(None)
    }
}
