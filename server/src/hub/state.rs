//! The hub's state: one slot per agent and per visitor, the waiting queue, and how a frame
//! reaches a socket (now, or held for the next one).

use super::Out;
use crate::protocol as p;

/// Places at the front of a queue told of a change at once, however often (see
/// [`State::tell_positions`]).
pub(super) const TOLD_AT_ONCE: usize = 10;

/// Handling times kept for the estimates.
const HANDLED_KEPT: usize = 20;
use crate::store::ticket::Ticket;
use std::collections::{HashMap, HashSet};

/// A frame as it goes out: at once, or after its message's commit.
fn out(text: String, commit: Option<&Ticket>) -> Out {
    match commit {
        Some(t) => Out::Durable(text, t.clone()),
        None => Out::Text(text),
    }
}
use tokio::sync::mpsc::UnboundedSender;

pub(super) struct Conn {
    pub(super) id: u64,
    pub(super) tx: UnboundedSender<Out>,
}

/// Most frames kept per agent while it is away (status 2–5; messages are replayed from the store).
pub(super) const PENDING_CAP: usize = 10_000;

pub(super) struct AgentSlot {
    pub(super) name: String,
    pub(super) conn: Option<Conn>,
    /// Bumped on every disconnect; a grace timer only expires the epoch it was started for.
    pub(super) epoch: u64,
    /// Frames produced while the socket was away or not ready: `(seq, text)`; status-1 frames
    /// carry their durable delivery seq.
    pub(super) pending: Vec<(Option<u64>, Out)>,
    /// The current socket has been sent its backlog (after the hello answer or the legacy wait).
    pub(super) ready: bool,
    pub(super) features: HashSet<String>,
    pub(super) conversations: HashSet<String>,
    /// Whether it takes new customers (saved in the store).
    pub(super) presence: super::Presence,
    /// Its own conversation cap, if it has one (saved in the store).
    pub(super) max_conversations: Option<usize>,
    /// Signed in with the supervisor role (may use the `board` extension).
    pub(super) supervisor: bool,
    /// Ratings credited to it since routing started: (count, sum of stars).
    pub(super) ratings: (u32, u32),
}

impl AgentSlot {
    pub(super) fn new(name: String) -> AgentSlot {
        AgentSlot {
            name,
            conn: None,
            epoch: 0,
            pending: Vec::new(),
            ready: false,
            features: HashSet::new(),
            conversations: HashSet::new(),
            presence: super::Presence::Online,
            max_conversations: None,
            supervisor: false,
            ratings: (0, 0),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum VState {
    Waiting,
    Assigned { kf_id: String, conversation: i64 },
    Ended,
}

pub(super) struct Transfer {
    pub(super) from: String,
    pub(super) to: String,
    /// A transfer to a department: the customer's department once accepted.
    pub(super) department: Option<String>,
}

pub(super) struct VisitorSlot {
    pub(super) user_name: String,
    pub(super) conn: Option<Conn>,
    pub(super) epoch: u64,
    pub(super) state: VState,
    pub(super) offered_to: Option<String>,
    pub(super) declined: HashSet<String>,
    /// Frames for the visitor while disconnected: `(seq, text)`; message frames carry their
    /// durable delivery seq and are replayed from the store instead when the page says `lastSeq`.
    pub(super) held: Vec<(Option<u64>, Out)>,
    pub(super) transfer: Option<Transfer>,
    pub(super) told_waiting: bool,
    /// The queue position this visitor was last told.
    pub(super) told_position: Option<usize>,
    /// When (`State::now`) a change of position was last sent on its own.
    pub(super) told_at: i64,
    /// When they joined the queue (ms), for the wait shown to agents.
    pub(super) waiting_since: i64,
    /// Agent messages sent to them and not yet shown by their page: `(their seq, msgId)`.
    pub(super) unread_by_visitor: std::collections::VecDeque<(u64, String)>,
    /// Their messages (by msgId) their agent has not seen yet.
    pub(super) unseen_by_agent: std::collections::VecDeque<String>,
    /// What their page reported about itself.
    pub(super) page: Option<crate::protocol::PageContext>,
    /// Their browser's `User-Agent`.
    pub(super) user_agent: Option<String>,
    /// They have sent a message (or had a conversation): only then are they queued and offered,
    /// unless silent visitors are offered too.
    pub(super) spoke: bool,
    /// When the customer last wrote, and when an agent last answered in this conversation
    /// (ms; the board's first-response and last-reply timers).
    pub(super) last_visitor_at: Option<i64>,
    /// See `last_visitor_at`.
    pub(super) last_agent_at: Option<i64>,
    /// Supervisors who joined the conversation (barge-in, `join.rs`).
    pub(super) joined: Vec<String>,
    /// Lines of the conversation a watcher gets live (messages, notes, whispers), counted
    /// (`monitor.rs`).
    pub(super) lines: u64,
    /// When the open offer was made (ms), for `--offer-timeout-secs` (`lifecycle.rs`).
    pub(super) offered_at: i64,
    /// Agents whose offer timed out: tried, so the next offer goes to someone else.
    pub(super) timed_out: HashSet<String>,
    /// When the customer was warned that the conversation will close for silence.
    pub(super) idle_warned_at: Option<i64>,
    /// Silent for `--inactive-secs`: not counted against the agent's cap until a message.
    pub(super) inactive: bool,
    /// Their department (`departments.rs`); `None`: anyone's.
    pub(super) department: Option<String>,
    /// The agent of their latest conversation, offered first when free.
    pub(super) last_agent: Option<String>,
    /// How many of their messages no agent has (an accept hands them over), when routing knows
    /// exactly: a new customer's count from their first page; unknown for one restored or back.
    pub(super) unrouted: Option<u64>,
}

impl VisitorSlot {
    /// A customer not connected yet, in `state`, at disconnect epoch `epoch`.
    pub(super) fn new(user_name: String, epoch: u64, state: VState) -> VisitorSlot {
        VisitorSlot {
            user_name,
            conn: None,
            epoch,
            state,
            offered_to: None,
            declined: HashSet::new(),
            held: Vec::new(),
            transfer: None,
            told_waiting: false,
            told_position: None,
            told_at: 0,
            waiting_since: super::now_ms(),
            unread_by_visitor: Default::default(),
            unseen_by_agent: Default::default(),
            page: None,
            user_agent: None,
            spoke: false,
            last_visitor_at: None,
            last_agent_at: None,
            joined: Vec::new(),
            lines: 0,
            offered_at: 0,
            timed_out: HashSet::new(),
            idle_warned_at: None,
            inactive: false,
            department: None,
            last_agent: None,
            unrouted: None,
        }
    }
}

#[derive(Default)]
pub(super) struct State {
    pub(super) agents: HashMap<String, AgentSlot>,
    pub(super) visitors: HashMap<String, VisitorSlot>,
    /// Waiting visitor ids, oldest first.
    pub(super) queue: Vec<String>,
    /// Supervisors watching each conversation (`monitor.rs`), by customer.
    pub(super) watchers: HashMap<String, Vec<String>>,
    pub(super) next_conn: u64,
    /// Most conversations (open offers included) an agent is offered.
    pub(super) max_conversations: usize,
    /// When each open conversation started (ms), for handling times.
    pub(super) started: HashMap<String, i64>,
    /// The latest handling times (ms), newest last, for the visitors' estimated wait.
    pub(super) handled: std::collections::VecDeque<i64>,
    /// Offers made (exported by `/metrics`).
    pub(super) offers: prometheus_client::metrics::counter::Counter,
    /// Customers are queued as soon as their page connects (`--offer-silent-visitors`).
    pub(super) offer_silent: bool,
    /// The inactivity rules.
    pub(super) rules: super::lifecycle::Rules,
    /// Added to the clock routing reads (`/test/clock` moves it forward; 0 otherwise).
    pub(super) clock_offset: i64,
    /// The departments and who is in them.
    pub(super) departments: super::departments::Departments,
    /// The next delivery number of each recipient whose messages go through the group writer
    /// (`relay.rs`); read from the store on first use.
    pub(super) next_seq: HashMap<String, u64>,
    /// The last message handed to the group writer for each customer (`u:{id}`) and recipient
    /// (`v:{id}`, `kf:{id}`), and the last routing write about each customer (`w:{id}`): what a
    /// store call about them waits for, when still being written.
    pub(super) writing: HashMap<String, crate::store::ticket::Ticket>,
    /// The partition this hub routes and the map it belongs to (`--partitioned`; `None`: all).
    pub(super) partition: Option<(String, super::partition_map::PartitionMap)>,
}

impl State {
    /// The clock routing reads: now (ms since the epoch), plus what `/test/clock` added.
    pub(super) fn now(&self) -> i64 {
        super::now_ms() + self.clock_offset
    }

    /// Sends a frame to an agent when its socket is ready, else keeps it for the next one. `seq`
    /// (the durable delivery number of a status-1 frame) is stamped as a top-level field, which
    /// legacy clients ignore.
    pub(super) fn to_agent(&mut self, kf_id: &str, frame: serde_json::Value, seq: Option<u64>) {
        self.to_agent_after(kf_id, frame, seq, None)
    }

    /// [`State::to_agent`] for a message still being committed: the frame goes out after the commit.
    pub(super) fn to_agent_after(&mut self, kf_id: &str, mut frame: serde_json::Value, seq: Option<u64>, commit: Option<&Ticket>) {
        let Some(a) = self.agents.get_mut(kf_id) else { return };
        if let Some(seq) = seq {
            frame["seq"] = seq.into();
        }
        let out = out(frame.to_string(), commit);
        match (&a.conn, a.ready) {
            (Some(c), true) => {
                let _ = c.tx.send(out);
            }
            _ if a.pending.len() < PENDING_CAP => a.pending.push((seq, out)),
            _ => tracing::warn!(kf_id, "pending frames full; dropping a frame the store can replay"),
        }
    }

    pub(super) fn to_visitor(&mut self, user_id: &str, frame: String) {
        self.to_visitor_seq(user_id, frame, None, None)
    }

    /// A frame for the visitor (`seq`: a numbered message's), after `commit` when it has one.
    pub(super) fn to_visitor_seq(&mut self, user_id: &str, frame: String, seq: Option<u64>, commit: Option<&Ticket>) {
        if let Some(v) = self.visitors.get_mut(user_id) {
            let out = out(frame, commit);
            match &v.conn {
                Some(c) => {
                    let _ = c.tx.send(out);
                }
                None => v.held.push((seq, out)),
            }
        }
    }

    /// A conversation with `user_id` started now.
    pub(super) fn conversation_started(&mut self, user_id: &str, now: i64) {
        self.started.insert(user_id.to_owned(), now);
        if let Some(v) = self.visitors.get_mut(user_id) {
            v.last_agent_at = None; // the first-response timer runs from here
        }
    }

    /// The conversation with `user_id` is over: its handling time counts for the estimates.
    pub(super) fn conversation_over(&mut self, user_id: &str, now: i64) {
        if let Some(v) = self.visitors.get_mut(user_id) {
            v.joined.clear(); // supervisors who joined leave with it
            // Every message of theirs so far went to an agent (an accept hands all the waiting
            // ones over): counted from none, so their next accept is made off the lock even
            // when routing never counted them (a customer restored from the store).
            v.unrouted.get_or_insert(0);
        }
        if let Some(t) = self.started.remove(user_id) {
            self.handled.push_back((now - t).max(0));
            if self.handled.len() > HANDLED_KEPT {
                self.handled.pop_front();
            }
        }
    }

    /// Estimated wait at `position` in `department`'s queue: the mean recent handling time per
    /// online agent who serves it; `None` with no history yet.
    pub(super) fn eta_seconds(&self, position: usize, department: Option<&str>) -> Option<u64> {
        eta_at(self.eta_rate(department), position)
    }

    /// What an estimate divides: the mean handling time (ms) and the connected agents serving
    /// `department`; none before a conversation was handled.
    fn eta_rate(&self, department: Option<&str>) -> Option<(f64, f64)> {
        if self.handled.is_empty() {
            return None;
        }
        let mean_ms = self.handled.iter().sum::<i64>() as f64 / self.handled.len() as f64;
        let serving = |id: &String| self.departments.serves(department, id);
        let agents = self.agents.iter().filter(|(id, a)| a.conn.is_some() && serving(id)).count().max(1) as f64;
        Some((mean_ms, agents))
    }

    /// Tells connected waiting visitors whose place in their department's queue changed their
    /// new place: at once near the front ([`TOLD_AT_ONCE`] places) or when they were last told a
    /// second ago or more, the others on the next second's [`State::tell_all_positions`] — a
    /// burst of accepts in front of 3 000 waiting customers was 3 000 frames per accept.
    pub(super) fn tell_positions(&mut self) {
        self.tell_positions_now(false);
    }

    /// Once a second: every change of place not told yet.
    pub(super) fn tell_all_positions(&mut self) {
        self.tell_positions_now(true);
    }

    fn tell_positions_now(&mut self, all: bool) {
        let now = self.now();
        let mut places: HashMap<Option<&str>, usize> = HashMap::new();
        let mut tell: Vec<(usize, usize)> = Vec::new(); // (index in the queue, place)
        for (i, u) in self.queue.iter().enumerate() {
            let Some(v) = self.visitors.get(u) else { continue };
            let place = places.entry(self.departments.serving(v.department.as_deref())).or_default();
            *place += 1;
            let due = all || *place <= TOLD_AT_ONCE || now - v.told_at >= 1000;
            if v.conn.is_some() && v.told_position != Some(*place) && due {
                tell.push((i, *place));
            }
        }
        let mut etas: HashMap<Option<String>, Option<(f64, f64)>> = HashMap::new(); // per department
        for (i, position) in tell {
            let u = self.queue[i].clone();
            let dep = self.visitors.get(&u).and_then(|v| v.department.clone());
            let rate = *etas.entry(dep.clone()).or_insert_with(|| self.eta_rate(dep.as_deref()));
            let eta = eta_at(rate, position);
            if let Some(v) = self.visitors.get_mut(&u) {
                v.told_position = Some(position);
                v.told_at = now;
            }
            self.to_visitor(&u, p::visitor_waiting(position, eta, None));
        }
    }

    pub(super) fn agent_name(&self, kf_id: &str) -> String {
        self.agents.get(kf_id).map(|a| a.name.clone()).unwrap_or_else(|| kf_id.to_owned())
    }


}


/// The estimate (seconds) for `position` at `rate` ([`State::eta_rate`]).
fn eta_at(rate: Option<(f64, f64)>, position: usize) -> Option<u64> {
    rate.map(|(mean_ms, agents)| (position as f64 * mean_ms / agents / 1000.0).ceil() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_queue_hears_of_a_move_at_once_near_the_front_and_on_the_next_second_behind() {
        let mut st = State::default();
        let mut pages = Vec::new();
        for i in 0..30u64 {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            let mut v = VisitorSlot::new(format!("V{i}"), 0, VState::Waiting);
            v.conn = Some(Conn { id: i, tx });
            st.visitors.insert(format!("v{i}"), v);
            st.queue.push(format!("v{i}"));
            pages.push(rx);
        }
        st.tell_positions();
        assert!(pages.iter_mut().all(|p| p.try_recv().is_ok()), "everyone hears their first place at once");
        st.queue.remove(0); // the first is served: everyone behind moves up
        st.tell_positions();
        let told: Vec<bool> = pages.iter_mut().map(|p| p.try_recv().is_ok()).collect();
        assert_eq!(told[1..=TOLD_AT_ONCE], [true; TOLD_AT_ONCE], "the front hears at once");
        assert!(told[TOLD_AT_ONCE + 1..].iter().all(|t| !t), "the rest not on every move: {told:?}");
        st.tell_all_positions();
        for (i, p) in pages.iter_mut().enumerate().skip(TOLD_AT_ONCE + 1) {
            let Ok(Out::Text(f)) = p.try_recv() else { panic!("place {} told on the second's pass", i) };
            assert!(f.contains(&format!("\"position\":{i}")), "{f}");
        }
        assert!(pages.iter_mut().all(|p| p.try_recv().is_err()), "each told once");
    }
}
