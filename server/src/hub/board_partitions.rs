//! Supervising every partition from one board (a partitioned cluster): each partition's routing
//! has its own board; a supervisor's shows the other partitions' rows too. Their owners send
//! their boards over NATS (`cluster/boards.rs`) while a board is watched or was asked for
//! somewhere; here they are kept and merged in, each row tagged with the partition that routes
//! it (its conversations are watched and joined there; whispers, reassigning, ending and an
//! agent's presence or cap reach it through the gateway).

use super::board::{board_of, Board};
use super::Hub;
use crate::sync::LockExt;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// How long another partition's board counts after it came (its owner sends it at least every
/// 3 s while wanted): a partition whose owner died drops off the board.
const FRESH_FOR: Duration = Duration::from_secs(5);
/// How long a board asked for here (a push to a watcher, `GET /supervisor/board`) keeps the
/// other partitions sending theirs.
const WANTED_FOR: Duration = Duration::from_secs(10);

/// The other partitions' boards, as their owners sent them.
#[derive(Debug, Default)]
pub struct OtherBoards {
    boards: BTreeMap<String, (Board, Instant)>,
    asked_at: Option<Instant>,
}

impl OtherBoards {
    /// A board was asked for here.
    pub(super) fn asked(&mut self) {
        self.asked_at = Some(Instant::now());
    }

    /// `own` with the other partitions' fresh rows: agents not on it already (one online wins
    /// over one offline), and waiting customers, oldest first.
    pub(super) fn merged(&mut self, mut own: Board) -> Board {
        self.boards.retain(|_, (_, at)| at.elapsed() < FRESH_FOR);
        if self.boards.is_empty() {
            return own;
        }
        let mut at: HashMap<String, usize> = own.agents.iter().enumerate().map(|(i, a)| (a.kf_id.clone(), i)).collect();
        for (partition, (board, _)) in &self.boards {
            for a in &board.agents {
                let mut row = a.clone();
                row.partition = Some(partition.clone());
                match at.get(&a.kf_id) {
                    Some(&i) if !own.agents[i].online && a.online => own.agents[i] = row,
                    Some(_) => {}
                    None => {
                        at.insert(a.kf_id.clone(), own.agents.len());
                        own.agents.push(row);
                    }
                }
            }
            own.queue.extend(board.queue.iter().cloned().map(|mut w| {
                w.partition = Some(partition.clone());
                w
            }));
        }
        own.agents.sort_by(|a, b| a.kf_id.cmp(&b.kf_id));
        own.queue.sort_by(|a, b| a.waiting_since.cmp(&b.waiting_since).then_with(|| a.user_id.cmp(&b.user_id)));
        own
    }
}

impl Hub {
    /// Partition `partition`'s own board, as its owner sent it (this hub's own is left out).
    pub fn set_other_board(&self, partition: &str, board: Board) {
        if self.partitions().iter().any(|p| p == partition) {
            return;
        }
        self.board_pushes.locked().others.boards.insert(partition.to_owned(), (board, Instant::now()));
    }

    /// This hub's own board, for the other partitions' supervisors.
    pub fn own_board(&self) -> Board {
        board_of(&self.st())
    }

    /// Whether a board was watched or asked for here lately: the other partitions then send theirs.
    pub fn wants_other_boards(&self) -> bool {
        self.board_pushes.locked().others.asked_at.is_some_and(|t| t.elapsed() < WANTED_FOR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::board::{BoardAgent, BoardWaiting};
    use crate::hub::Presence;

    fn agent(id: &str, online: bool) -> BoardAgent {
        BoardAgent { kf_id: id.into(), name: id.into(), online, presence: Presence::Online, max_conversations: 5, conversations: vec![], departments: vec![], ratings: 0, rating_average: None, partition: None }
    }

    fn waiting(id: &str, since: i64) -> BoardWaiting {
        BoardWaiting { user_id: id.into(), user_name: id.into(), waiting_since: since, offered_to: None, connected: true, department: None, partition: None }
    }

    #[test]
    fn other_partitions_rows_join_tagged_an_online_row_wins_and_stale_boards_drop_off() {
        let mut others = OtherBoards::default();
        let own = || Board { agents: vec![agent("boss", true), agent("moved", false)], queue: vec![waiting("v2", 20)] };
        assert_eq!(others.merged(own()), own(), "no other partition: the own board");
        let billing = Board { agents: vec![agent("b", true), agent("moved", true), agent("boss", false)], queue: vec![waiting("v1", 10), waiting("v3", 30)] };
        others.boards.insert("billing".into(), (billing, Instant::now()));
        let m = others.merged(own());
        let rows: Vec<(&str, bool, Option<&str>)> = m.agents.iter().map(|a| (a.kf_id.as_str(), a.online, a.partition.as_deref())).collect();
        assert_eq!(rows, [("b", true, Some("billing")), ("boss", true, None), ("moved", true, Some("billing"))]);
        let queue: Vec<(&str, Option<&str>)> = m.queue.iter().map(|w| (w.user_id.as_str(), w.partition.as_deref())).collect();
        assert_eq!(queue, [("v1", Some("billing")), ("v2", None), ("v3", Some("billing"))]);
        others.boards.get_mut("billing").unwrap().1 = Instant::now() - FRESH_FOR;
        assert_eq!(others.merged(own()), own(), "a board its owner stopped sending drops off");
    }
}
