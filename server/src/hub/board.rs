//! The live board: every agent with presence, load and cap and their conversations, and the
//! queue, for supervisors; pushed to supervisors' sockets with extension `board` whenever it
//! changes (the server looks once a second), and served by `GET /supervisor/board`. A socket that
//! also asked for `boardDelta` gets the whole board once, then only the agents whose row changed,
//! those gone, and the queue when it changed (a big desk's board is hundreds of kilobytes).

use super::state::{State, VState};
use super::{Hub, Presence};
use crate::protocol::{self as p, codes};
use crate::sync::LockExt;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// The live board: every agent known since start, and the queue. Times are instants (ms since
/// the epoch), so the board changes only when something happens; viewers run the timers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Board {
    /// Agents, by id.
    pub agents: Vec<BoardAgent>,
    /// Customers waiting, oldest first.
    pub queue: Vec<BoardWaiting>,
}

/// A waiting customer on the board.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
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
    /// The partition that routes them, when another does than the board's (a partitioned
    /// cluster): watching and joining are done there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
}

/// One agent on the board.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
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
    /// The partition that routes them, when another does than the board's (a partitioned
    /// cluster): their conversations cannot be watched or joined from here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
}

/// A live conversation on the board.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
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

/// What the pushes have sent: the board last pushed, and the sockets holding it whole (those
/// that take changes only; a socket that said hello is not among them until its next push).
#[derive(Debug, Default)]
pub struct BoardPushes {
    last: Option<Board>,
    synced: HashSet<String>,
    /// The other partitions' boards (a partitioned cluster).
    pub(super) others: super::board_partitions::OtherBoards,
}

/// Supervisors whose socket asked for the board, and whether each takes changes only.
fn watchers(st: &State) -> Vec<(String, bool)> {
    st.agents
        .iter()
        .filter(|(_, a)| a.supervisor && a.conn.is_some() && a.features.contains(codes::BOARD))
        .map(|(k, a)| (k.clone(), a.features.contains(codes::BOARD_DELTA)))
        .collect()
}

/// What changed from `old` to `new` (`boardDelta`): the agents whose row differs or is new, the
/// ids of those gone, and the queue if it changed.
fn delta(old: &Board, new: &Board) -> serde_json::Value {
    let before: HashMap<&str, &BoardAgent> = old.agents.iter().map(|a| (a.kf_id.as_str(), a)).collect();
    let now: HashSet<&str> = new.agents.iter().map(|a| a.kf_id.as_str()).collect();
    let agents: Vec<&BoardAgent> = new.agents.iter().filter(|a| before.get(a.kf_id.as_str()) != Some(a)).collect();
    let removed: Vec<&str> = old.agents.iter().map(|a| a.kf_id.as_str()).filter(|id| !now.contains(id)).collect();
    let mut d = serde_json::json!({"delta": true, "agents": agents, "removed": removed});
    if old.queue != new.queue {
        d["queue"] = serde_json::json!(new.queue);
    }
    d
}

fn queue_of(st: &State) -> Vec<BoardWaiting> {
    st.queue
        .iter()
        .filter_map(|u| {
            let v = st.visitors.get(u).filter(|v| v.state == VState::Waiting)?;
            Some(BoardWaiting { user_id: u.clone(), user_name: v.user_name.clone(), waiting_since: v.waiting_since, offered_to: v.offered_to.clone(), connected: v.conn.is_some(), department: v.department.clone(), partition: None })
        })
        .collect()
}

/// This hub's own board (a partitioned cluster's other partitions not included).
pub(super) fn board_of(st: &State) -> Board {
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
                    partition: None,
                }
            })
            .collect();
        agents.sort_by(|a, b| a.kf_id.cmp(&b.kf_id));
        Board { agents, queue: queue_of(st) }
}

impl Hub {
    /// The live board (in a partitioned cluster with the other partitions' rows; one asked for
    /// here makes their owners send theirs for a while).
    pub fn board(&self) -> Board {
        let own = board_of(&self.st());
        let mut pushes = self.board_pushes.locked();
        pushes.others.asked();
        pushes.others.merged(own)
    }

    /// Sends the board to every supervisor socket that asked for it (`board`), if it changed
    /// since the last push: whole, or only the changes to a socket that takes them (`boardDelta`)
    /// and holds the last board whole. The server calls it every second while anyone watches.
    pub fn push_board(&self) {
        let mut st = self.st();
        let watching = watchers(&st);
        let mut pushes = self.board_pushes.locked();
        if watching.is_empty() {
            (pushes.last, pushes.synced) = (None, HashSet::new());
            return;
        }
        pushes.others.asked();
        let board = pushes.others.merged(board_of(&st));
        let changed = pushes.last.as_ref() != Some(&board);
        let (mut whole, mut changes) = (None, None);
        for (kf, takes_changes) in &watching {
            let synced = *takes_changes && pushes.synced.contains(kf);
            let frame = match (synced, &pushes.last) {
                (true, Some(last)) if changed => changes.get_or_insert_with(|| p::status_board(&delta(last, &board))).clone(),
                (true, _) => continue, // holds this board already
                // A socket that said hello got a board then; it gets this one whole, so the changes
                // that follow apply to what it holds.
                (false, _) if changed || *takes_changes => whole.get_or_insert_with(|| p::status_board(&board)).clone(),
                (false, _) => continue,
            };
            st.to_agent(kf, frame, None);
        }
        pushes.synced = watching.into_iter().filter(|(_, d)| *d).map(|(kf, _)| kf).collect();
        pushes.last = Some(board);
    }

    /// Sends the board to supervisor `kf_id` now (it just said hello with `board`).
    pub(super) fn push_board_to(&self, kf_id: &str) {
        let mut st = self.st();
        let mut pushes = self.board_pushes.locked();
        pushes.synced.remove(kf_id); // whole again at the next push
        if watchers(&st).iter().any(|(w, _)| w == kf_id) {
            let frame = p::status_board(&pushes.others.merged(board_of(&st)));
            st.to_agent(kf_id, frame, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(id: &str, cap: usize) -> BoardAgent {
        BoardAgent { kf_id: id.into(), name: id.into(), online: true, presence: Presence::Online, max_conversations: cap, conversations: vec![], departments: vec![], ratings: 0, rating_average: None, partition: None }
    }

    fn waiting(id: &str) -> BoardWaiting {
        BoardWaiting { user_id: id.into(), user_name: id.into(), waiting_since: 1, offered_to: None, connected: true, department: None, partition: None }
    }

    #[test]
    fn the_changes_are_the_rows_that_differ_the_ids_gone_and_the_queue_only_when_it_changed() {
        let old = Board { agents: vec![agent("a", 5), agent("b", 5), agent("c", 5)], queue: vec![waiting("v")] };
        let new = Board { agents: vec![agent("b", 5), agent("c", 6), agent("d", 5)], queue: vec![waiting("v")] };
        let d = delta(&old, &new);
        let ids: Vec<&str> = d["agents"].as_array().unwrap().iter().map(|a| a["kfId"].as_str().unwrap()).collect();
        assert_eq!(ids, ["c", "d"]);
        assert_eq!(d["removed"], serde_json::json!(["a"]));
        assert!(d.get("queue").is_none(), "the queue did not change: {d}");
        let moved = Board { agents: new.agents.iter().map(|a| agent(&a.kf_id, a.max_conversations)).collect(), queue: vec![] };
        let d = delta(&new, &moved);
        assert_eq!(d["agents"], serde_json::json!([]));
        assert_eq!(d["queue"], serde_json::json!([]), "the queue emptied: {d}");
    }

    #[test]
    fn a_busy_desks_push_is_a_few_rows_not_the_whole_board() {
        let conversation = |u: usize, at: i64| BoardConversation {
            user_id: format!("visitor-{u:05}"),
            user_name: format!("访客{u}"),
            started_at: Some(1_764_000_000_000),
            connected: true,
            last_visitor_at: Some(at),
            last_agent_at: Some(1_764_000_000_000),
            inactive: false,
            department: Some("presales".into()),
        };
        let board = |tick: i64| Board {
            agents: (0..200)
                .map(|a| BoardAgent { conversations: (0..10).map(|c| conversation(a * 10 + c, if a < 3 { tick } else { 0 })).collect(), ..agent(&format!("agent-{a:03}"), 10) })
                .collect(),
            queue: (0..20).map(|q| waiting(&format!("q{q}"))).collect(),
        };
        let (before, after) = (board(1), board(2)); // three agents' customers wrote again
        let whole = serde_json::to_string(&after).unwrap().len();
        let changes = delta(&before, &after);
        assert_eq!(changes["agents"].as_array().unwrap().len(), 3);
        let sent = changes.to_string().len();
        assert!(sent * 50 < whole, "{sent} bytes of changes against {whole} whole");
    }
}
