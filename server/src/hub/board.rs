//! The live board: every agent with presence, load and cap and their conversations, and the
//! queue, for supervisors; pushed to supervisors' sockets with extension `board` whenever it
//! changes (the server looks once a second), and served by `GET /supervisor/board`.

use super::state::{State, VState};
use super::{Hub, Presence};
use crate::protocol::{self as p, codes};
use crate::sync::LockExt;
use serde::Serialize;

/// The live board: every agent known since start, and the queue. Times are instants (ms since
/// the epoch), so the board changes only when something happens; viewers run the timers.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Board {
    /// Agents, by id.
    pub agents: Vec<BoardAgent>,
    /// Customers waiting, oldest first.
    pub queue: Vec<BoardWaiting>,
}

/// A waiting customer on the board.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BoardWaiting {
    /// The customer.
    pub user_id: String,
    /// Their name.
    pub user_name: String,
    /// Waiting since.
    pub waiting_since: i64,
    /// The agent their offer is open with.
    pub offered_to: Option<String>,
    /// Their page is connected.
    pub connected: bool,
    /// Their department (none: anyone's).
    pub department: Option<String>,
}

/// One agent on the board.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BoardAgent {
    /// kfId.
    pub kf_id: String,
    /// Name.
    pub name: String,
    /// A socket is open.
    pub online: bool,
    /// `online`, `busy` or `away`.
    pub presence: Presence,
    /// Its conversation cap.
    pub max_conversations: usize,
    /// Its conversations now.
    pub conversations: Vec<BoardConversation>,
    /// The departments it is in.
    pub departments: Vec<String>,
    /// Ratings credited to it since routing started (CSAT: the customers' 1–5 stars).
    pub ratings: u32,
    /// Their average, when there are any.
    pub rating_average: Option<f64>,
}

/// A live conversation on the board.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BoardConversation {
    /// The customer.
    pub user_id: String,
    /// Their name.
    pub user_name: String,
    /// When it started, ms since the epoch.
    pub started_at: Option<i64>,
    /// The customer's page is connected.
    pub connected: bool,
    /// When the customer last wrote.
    pub last_visitor_at: Option<i64>,
    /// When the agent last answered since the conversation started (none: no first response yet).
    pub last_agent_at: Option<i64>,
    /// Silent on both sides for `--inactive-secs`: not counted against the agent's cap.
    pub inactive: bool,
    /// The customer's department.
    pub department: Option<String>,
}

/// Supervisors whose socket asked for the board.
fn watchers(st: &State) -> Vec<String> {
    st.agents.iter().filter(|(_, a)| a.supervisor && a.conn.is_some() && a.features.contains(codes::BOARD)).map(|(k, _)| k.clone()).collect()
}

fn queue_of(st: &State) -> Vec<BoardWaiting> {
    st.queue
        .iter()
        .filter_map(|u| {
            let v = st.visitors.get(u).filter(|v| v.state == VState::Waiting)?;
            Some(BoardWaiting { user_id: u.clone(), user_name: v.user_name.clone(), waiting_since: v.waiting_since, offered_to: v.offered_to.clone(), connected: v.conn.is_some(), department: v.department.clone() })
        })
        .collect()
}

fn board_of(st: &State) -> Board {
        let mut agents: Vec<BoardAgent> = st
            .agents
            .iter()
            .map(|(id, a)| {
                let mut conversations: Vec<BoardConversation> = a
                    .conversations
                    .iter()
                    .map(|u| {
                        let v = st.visitors.get(u);
                        BoardConversation {
                            user_id: u.clone(),
                            user_name: v.map(|v| v.user_name.clone()).unwrap_or_default(),
                            started_at: st.started.get(u).copied(),
                            connected: v.is_some_and(|v| v.conn.is_some()),
                            last_visitor_at: v.and_then(|v| v.last_visitor_at),
                            last_agent_at: v.and_then(|v| v.last_agent_at),
                            inactive: v.is_some_and(|v| v.inactive),
                            department: v.and_then(|v| v.department.clone()),
                        }
                    })
                    .collect();
                conversations.sort_by(|x, y| x.started_at.cmp(&y.started_at).then_with(|| x.user_id.cmp(&y.user_id)));
                BoardAgent {
                    kf_id: id.clone(),
                    name: a.name.clone(),
                    online: a.conn.is_some(),
                    presence: a.presence,
                    max_conversations: st.cap_of(id),
                    conversations,
                    departments: st.departments.of_agent(id),
                    ratings: a.ratings.0,
                    rating_average: (a.ratings.0 > 0).then(|| f64::from(a.ratings.1) / f64::from(a.ratings.0)),
                }
            })
            .collect();
        agents.sort_by(|a, b| a.kf_id.cmp(&b.kf_id));
        Board { agents, queue: queue_of(st) }
}

impl Hub {
    /// The live board.
    pub fn board(&self) -> Board {
        board_of(&self.st())
    }

    /// Sends the board to every supervisor socket that asked for it (`board`), if it changed
    /// since the last push. The server calls it every second while anyone watches.
    pub fn push_board(&self) {
        let mut st = self.st();
        let watching = watchers(&st);
        if watching.is_empty() {
            *self.last_board.locked() = None;
            return;
        }
        let board = board_of(&st);
        let mut last = self.last_board.locked();
        if last.as_ref() == Some(&board) {
            return;
        }
        let frame = p::status_board(&board);
        for kf in watching {
            st.to_agent(&kf, frame.clone(), None);
        }
        *last = Some(board);
    }

    /// Sends the board to supervisor `kf_id` now (it just said hello with `board`).
    pub(super) fn push_board_to(&self, kf_id: &str) {
        let mut st = self.st();
        if watchers(&st).iter().any(|w| w == kf_id) {
            let frame = p::status_board(&board_of(&st));
            st.to_agent(kf_id, frame, None);
        }
    }
}
