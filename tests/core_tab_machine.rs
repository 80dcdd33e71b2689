//! The tab-sharing decisions of the core, natively on a fake clock: a simulated browser carries
//! every [`TabMsg`] (written and read back through the codec, as `postMessage` would clone it) to
//! the other tabs, and the test decides who holds the lock. Leadership, the id ledger, the
//! snapshot, read receipts across tabs, a leader dying at the worst moment, a follower sending
//! while no tab leads, tabs of two deploys, and stale snapshots.
#![cfg(not(target_arch = "wasm32"))]

use kefu_agent::core::*;
use serde_json::{json, Value};

const HELLO: &str = r#"{"status":100,"data":{"features":["ack","seq","read"],"epoch":"e1"}}"#;

/// One tab: its session, its socket, and what it did.
struct Tab {
    s: JsonSession,
    alive: bool,
    conn: Option<ConnId>,
    /// Frames written on its socket.
    frames: Vec<String>,
    /// UI events its hooks heard.
    heard: Vec<JsonUiEvent>,
    /// Messages it stored in the durable outbox.
    persisted: Vec<String>,
}

/// The tabs of one agent in one browser.
struct Browser {
    tabs: Vec<Tab>,
    now: Millis,
}

impl Browser {
    fn new() -> Self {
        Browser { tabs: Vec::new(), now: 1_000 }
    }

    /// A new tab that joins the others (it follows until [`Browser::lead`]).
    fn open_tab(&mut self, token: &str) -> usize {
        let mut c = SessionConfig::new("xiaoming");
        c.client_token = token.into();
        c.durable_outbox = true;
        let tab = Tab { s: Session::new(c), alive: true, conn: None, frames: vec![], heard: vec![], persisted: vec![] };
        self.tabs.push(tab);
        let i = self.tabs.len() - 1;
        self.input(i, Input::Tabs(TabEvent::Join)).unwrap();
        self.input(i, Input::Connect).unwrap();
        i
    }

    /// Feeds tab `i` an input, then lets every message reach every tab.
    fn input(&mut self, i: usize, input: JsonInput) -> Result<Option<u64>, SessionError> {
        let r = self.tabs[i].s.handle_input(self.now, input);
        self.pump();
        r
    }

    /// Tab `i` gets the lock, and its socket opens with a hello.
    fn lead(&mut self, i: usize) {
        self.input(i, Input::Tabs(TabEvent::Lead)).unwrap();
        let conn = self.tabs[i].conn.expect("the leader opens a socket");
        self.input(i, Input::SocketOpened(conn)).unwrap();
        self.frame(i, HELLO);
    }

    /// A frame arrives on tab `i`'s socket.
    fn frame(&mut self, i: usize, text: &str) {
        let conn = self.tabs[i].conn.expect("a socket");
        self.tabs[i].s.handle_frame(self.now, conn, FrameIn::Text(text));
        self.pump();
    }

    /// Tab `i` dies: whatever it had not done yet is lost with it.
    fn kill(&mut self, i: usize) {
        self.tabs[i].alive = false;
        while self.tabs[i].s.poll_output().is_some() {}
    }

    fn pump(&mut self) {
        loop {
            let mut posts = Vec::new();
            for (i, t) in self.tabs.iter_mut().enumerate().filter(|(_, t)| t.alive) {
                while let Some(o) = t.s.poll_output() {
                    match o {
                        Output::Post(m) => posts.push((i, m)),
                        Output::Share { event, snapshot } => {
                            let payload = match &event {
                                UiEvent::Recalled { data, .. } => data.clone(), // as the shell passes the frame's data
                                _ => json!({ "shown": format!("{event:?}") }),
                            };
                            posts.push((i, TabMsg::Hook { hook: event.hook(), payload, snapshot: *snapshot }));
                            t.heard.push(event);
                        }
                        Output::Ui(e) => t.heard.push(e),
                        Output::OpenSocket { conn } => t.conn = Some(conn),
                        Output::Send { frame, .. } => t.frames.push(frame.encode()),
                        Output::Persist { message, .. } => t.persisted.push(message.msg_id),
                        _ => {}
                    }
                }
            }
            if posts.is_empty() {
                return;
            }
            for (from, m) in posts {
                let wire: Value = m.encode();
                for (_, t) in self.tabs.iter_mut().enumerate().filter(|(to, t)| t.alive && *to != from) {
                    let m = TabMsg::decode(wire.clone()).expect("every message reads back");
                    t.s.handle_input(self.now, Input::Tabs(TabEvent::Message(m))).unwrap();
                }
            }
        }
    }

    fn send(&mut self, i: usize, content: &str) -> u64 {
        let a = Action::Send { user_id: "u1".into(), user_name: "七".into(), content: content.into() };
        self.input(i, Input::Act(a)).unwrap().expect("a local id")
    }

    /// Takes what tab `i` heard so far.
    fn heard(&mut self, i: usize) -> Vec<JsonUiEvent> {
        std::mem::take(&mut self.tabs[i].heard)
    }
}

fn statuses(events: &[JsonUiEvent]) -> Vec<(u64, DeliveryStatus)> {
    events
        .iter()
        .filter_map(|e| match e {
            UiEvent::MessageStatus { local_id, status, .. } => Some((*local_id, *status)),
            _ => None,
        })
        .collect()
}

fn reads(events: &[JsonUiEvent]) -> Vec<Vec<u64>> {
    events.iter().filter_map(|e| if let UiEvent::Read { local_ids, .. } = e { Some(local_ids.clone()) } else { None }).collect()
}

fn msg_id_of(frame: &str) -> String {
    frame.split(r#""msgId":""#).nth(1).and_then(|r| r.split('"').next()).unwrap_or_default().to_owned()
}

fn ack(id: &str) -> String {
    format!(r#"{{"status":101,"data":{{"msgId":"{id}"}}}}"#)
}

#[test]
fn a_follower_hears_the_fate_and_the_receipts_of_its_own_messages_only_under_its_own_ids() {
    let mut b = Browser::new();
    let (a, f) = (b.open_tab("A"), b.open_tab("B"));
    b.lead(a);
    assert!(b.tabs[f].s.following() && b.tabs[f].s.shown().state == LinkState::Open, "the follower shows the leader's state");
    let theirs = b.send(f, "from the follower");
    let mine = b.send(a, "from the leader");
    assert_eq!(b.tabs[f].persisted, vec!["B-1"], "the follower stored its message before handing it over");
    let ids: Vec<String> = b.tabs[a].frames.iter().map(|f| msg_id_of(f)).filter(|m| !m.is_empty()).collect();
    assert_eq!(ids, vec!["B-1", "A-2"], "one socket, each message under the id of the tab that took it");
    b.frame(a, &ack("B-1"));
    b.frame(a, &ack("A-2"));
    let (ha, hf) = (b.heard(a), b.heard(f));
    assert_eq!(statuses(&hf), vec![(theirs, DeliveryStatus::Sent), (theirs, DeliveryStatus::Acked)], "the follower hears of its own message only");
    assert!(statuses(&ha).contains(&(mine, DeliveryStatus::Acked)));
    assert!(statuses(&ha).iter().all(|(l, _)| *l == mine), "the leader's hooks hear no follower's message: {ha:?}");
    assert_eq!(b.tabs[f].s.shown().held, 0, "reported: no longer counted as held");

    b.frame(a, r#"{"status":104,"data":{"userId":"u1","msgIds":["B-1","A-2"]}}"#);
    assert_eq!(reads(&b.heard(f)), vec![vec![theirs]], "the follower's receipt names its own local id");
    assert_eq!(reads(&b.heard(a)), vec![vec![mine]], "the leader's receipt names only its own");
}

#[test]
fn a_message_sent_while_no_tab_leads_reaches_the_next_leader_once_and_its_fate_the_sender() {
    let mut b = Browser::new();
    let (a, f, c) = (b.open_tab("A"), b.open_tab("B"), b.open_tab("C"));
    b.lead(a);
    b.kill(a); // the leader's tab crashed; the browser has not granted the lock yet
    let local = b.send(f, "typed while nobody owned the socket");
    assert_eq!(b.tabs[f].s.shown().held, 1, "held, and shown as held");
    b.lead(c);
    let sent: Vec<&String> = b.tabs[c].frames.iter().filter(|x| x.contains("typed while")).collect();
    assert_eq!(sent.len(), 1, "handed again to the new leader and sent once: {:?}", b.tabs[c].frames);
    assert_eq!(msg_id_of(sent[0]), "B-1", "under the follower's id, so a server that saw it already drops it");
    b.frame(c, &ack("B-1"));
    assert_eq!(statuses(&b.heard(f)).last(), Some(&(local, DeliveryStatus::Acked)));
    // The next leader after that one is not handed it again.
    b.kill(c);
    b.lead(f);
    assert!(!b.tabs[f].frames.iter().any(|x| x.contains("typed while")), "reported: never sent twice");
}

#[test]
fn a_tab_that_leads_after_handing_messages_over_sends_them_itself_and_reports_them_as_its_own() {
    let mut b = Browser::new();
    let (a, f) = (b.open_tab("A"), b.open_tab("B"));
    b.lead(a);
    b.kill(a);
    let local = b.send(f, "mine");
    b.lead(f);
    assert_eq!(b.tabs[f].frames.iter().filter(|x| x.contains("\"mine\"")).count(), 1);
    b.frame(f, &ack("B-1"));
    assert!(statuses(&b.heard(f)).contains(&(local, DeliveryStatus::Acked)), "under the local id send() returned");
}

#[test]
fn a_leader_that_dies_between_a_frame_and_its_post_leaves_the_frame_to_be_asked_for_again() {
    let mut b = Browser::new();
    let (a, f) = (b.open_tab("A"), b.open_tab("B"));
    b.lead(a);
    let m = |seq: u64| format!(r#"{{"status":1,"data":{{"userId":"u1","content":"m{seq}"}},"seq":{seq}}}"#);
    b.frame(a, &m(1));
    assert!(b.heard(f).iter().any(|e| matches!(e, UiEvent::Replayed { hook: "onMessage", .. })), "the follower shows what the leader shows");
    // Frame 2 reaches the leader, which dies before posting it.
    let conn = b.tabs[a].conn.unwrap();
    b.tabs[a].s.handle_frame(b.now, conn, FrameIn::Text(&m(2)));
    b.kill(a);
    b.lead(f);
    let hello = b.tabs[f].frames.iter().find(|x| x.contains("\"respStatus\":100")).expect("a hello answer");
    assert!(hello.ends_with(r#""lastSeq":1}"#), "asks for everything after the last frame this tab saw: {hello}");
}

#[test]
fn a_follower_checks_answers_against_the_leaders_snapshot_and_the_leader_refuses_what_it_cannot_do() {
    let mut b = Browser::new();
    let (a, f) = (b.open_tab("A"), b.open_tab("B"));
    b.lead(a);
    let unknown = b.input(f, Input::Act(Action::AcceptCustomer("nobody".into())));
    assert_eq!(unknown, Err(SessionError::UnknownCustomer("nobody".into())));
    b.frame(a, r#"{"status":2,"data":{"id":"c1","userName":"七"}}"#);
    assert_eq!(b.tabs[f].s.shown().waiting.len(), 1);
    b.input(f, Input::Act(Action::AcceptCustomer("c1".into()))).unwrap();
    assert!(b.tabs[a].frames.iter().any(|x| x.contains(r#""respStatus":2"#) && x.contains("c1")), "the leader answered");
    let told = b.heard(a);
    assert!(
        told.iter().any(|e| matches!(e, UiEvent::OtherTabAction { action: Action::AcceptCustomer(_), user_name: Some(n) } if n == "七")),
        "the leader's agent hears another tab accepted: {told:?}"
    );
    assert!(b.heard(f).iter().all(|e| !matches!(e, UiEvent::OtherTabAction { .. })), "the tab that did it is not told it did");
    // Accepted meanwhile by the leader's own agent: the follower's snapshot is stale.
    b.frame(a, r#"{"status":2,"data":{"id":"c2","userName":"八"}}"#);
    b.tabs[a].s.handle_input(b.now, Input::Act(Action::AcceptCustomer("c2".into()))).unwrap();
    b.tabs[a].s.handle_input(b.now, Input::Tabs(TabEvent::Message(TabMsg::Act { from: "B".into(), action: Action::AcceptCustomer("c2".into()) }))).unwrap();
    let refused = std::iter::from_fn(|| b.tabs[a].s.poll_output())
        .any(|o| matches!(o, Output::Post(TabMsg::Refused { ref to, .. }) if to == "B"));
    assert!(refused, "the leader answers the follower's stale action with a refusal");
}

#[test]
fn tabs_of_two_deploys_never_hear_each_other() {
    let wire: Value = TabMsg::<Value>::Check.encode();
    assert_eq!(wire["v"].as_f64(), Some(TAB_PROTOCOL_VERSION as f64));
    let mut older = wire.clone();
    older["v"] = json!(TAB_PROTOCOL_VERSION - 1);
    assert!(TabMsg::decode(older).is_none(), "a message of another version is ignored");
    assert!(TabMsg::decode(json!({ "t": "check" })).is_none(), "so is the unversioned protocol of the first release");
    assert_ne!(tab_channel_name("k"), "kefu-agent:k", "and the channel (and lock) name carries the version");
    assert!(tab_channel_name("k").contains(&TAB_PROTOCOL_VERSION.to_string()));
}

#[test]
fn a_leader_ignores_another_leaders_snapshot_and_a_follower_a_dead_leaders_late_one() {
    let mut b = Browser::new();
    let (a, f) = (b.open_tab("A"), b.open_tab("B"));
    b.lead(a);
    let mut rogue = b.tabs[a].s.snapshot();
    rogue.leader = "Z".into();
    rogue.state = LinkState::Closed;
    rogue.waiting = vec![Customer { id: "ghost".into(), user_name: "ghost".into() }];
    b.heard(a);
    b.input(a, Input::Tabs(TabEvent::Message(TabMsg::Snapshot(rogue.clone())))).unwrap();
    assert_eq!(b.tabs[a].s.shown().state, LinkState::Open, "the leader shows its own state");
    assert!(b.heard(a).is_empty(), "and tells its hooks nothing");

    // A dies, C takes over; then a hook call A posted before dying arrives late.
    let c = b.open_tab("C");
    b.kill(a);
    b.lead(c);
    b.heard(f);
    let mut late = rogue;
    late.leader = "A".into();
    let hook = TabMsg::Hook { hook: "onHeartbeat", payload: json!({}), snapshot: late };
    b.input(f, Input::Tabs(TabEvent::Message(hook))).unwrap();
    assert_eq!(b.tabs[f].s.shown().state, LinkState::Open, "the stale snapshot is not taken");
    assert!(b.tabs[f].s.shown().waiting.is_empty());
    assert_eq!(b.heard(f).len(), 1, "the event itself is still shown (nothing lost)");
}

#[test]
fn every_tab_message_and_action_reads_back_as_it_was_written() {
    let snap = Snapshot {
        leader: "A".into(),
        state: LinkState::Reconnecting,
        waiting: vec![Customer { id: Scalar::from(42i64), user_name: "n".into() }],
        transfers: vec![Customer { id: "t".into(), user_name: "t".into() }],
        held: 3,
        epoch: Some("e".into()),
        last_seq: 9,
        presence: Some(Presence::Busy),
    };
    let actions = [
        Action::AcceptCustomer(Scalar::from(7i64)),
        Action::DeclineCustomer("d".into()),
        Action::AcceptTransfer("a".into()),
        Action::RejectTransfer("r".into()),
        Action::Typing("u".into(), true),
        Action::Typing("u".into(), false),
        Action::Seen("u".into()),
        Action::SetPresence(Presence::Away),
        Action::Send { user_id: "u".into(), user_name: "n".into(), content: "<b>x</b>".into() },
    ];
    let m = PersistedMessage { msg_id: "B-1".into(), user_id: Scalar::from(5i64), user_name: "n".into(), content: "c".into() };
    let mut msgs: Vec<TabMsg<Value>> = vec![
        TabMsg::Sync,
        TabMsg::Check,
        TabMsg::Snapshot(snap.clone()),
        TabMsg::Hook { hook: "onMessage", payload: json!({"content": "x"}), snapshot: snap },
        TabMsg::Send { from: "B".into(), message: m },
        TabMsg::Status { msg_id: "B-1".into(), status: DeliveryStatus::Failed, reason: Some("why".into()) },
        TabMsg::Read { user_id: "u".into(), msg_ids: vec!["B-1".into()] },
        TabMsg::Refused { to: "B".into(), message: "no".into() },
    ];
    for a in actions {
        msgs.push(TabMsg::Act { from: "B".into(), action: a.clone() });
        msgs.push(TabMsg::Did { from: "A".into(), action: a, user_name: Some("n".into()) });
    }
    for m in msgs {
        let back = TabMsg::decode(m.clone().encode());
        if let TabMsg::Did { action: Action::Send { .. }, .. } = &m {
            continue; // a sent message names its customer itself
        }
        assert_eq!(back.as_ref(), Some(&m), "{m:?}");
    }
    let hook = json!({"v": TAB_PROTOCOL_VERSION, "t": "hook", "name": "alert", "payload": {}, "snap": {}});
    assert!(TabMsg::decode(hook).is_none(), "only the contract's hooks can be called from another tab");
}

#[test]
fn a_supervisors_follower_tab_sees_the_board_and_watches_through_the_leader() {
    let hello = r#"{"status":100,"data":{"features":["ack","seq","board","monitor"],"epoch":"e1"}}"#;
    let mut b = Browser::new();
    let (a, f) = (b.open_tab("A"), b.open_tab("B"));
    b.input(a, Input::Tabs(TabEvent::Lead)).unwrap();
    let conn = b.tabs[a].conn.unwrap();
    b.input(a, Input::SocketOpened(conn)).unwrap();
    b.frame(a, hello);
    b.heard(f);
    b.frame(a, r#"{"status":106,"data":{"agents":[{"kfId":"x","name":"小明","conversations":[]}],"queue":[]}}"#);
    assert!(b.heard(f).iter().any(|e| matches!(e, UiEvent::Replayed { hook: "onBoard", .. })), "the follower's board follows");
    b.input(f, Input::Act(Action::Watch { user_id: "u1".into(), on: true })).unwrap();
    assert!(b.tabs[a].frames.iter().any(|x| x == r#"{"respStatus":107,"userId":"u1","watch":true}"#), "{:?}", b.tabs[a].frames);
    b.frame(a, r#"{"status":107,"data":{"userId":"u1","start":true,"messages":[]}}"#);
    assert!(b.heard(f).iter().any(|e| matches!(e, UiEvent::Replayed { hook: "onMonitor", .. })));
}

#[test]
fn a_late_post_after_leaving_does_not_make_the_session_share_again() {
    let mut c = SessionConfig::new("xiaoming");
    c.client_token = "A".into();
    let mut s: JsonSession = Session::new(c);
    s.handle_input(1, Input::Tabs(TabEvent::Join)).unwrap();
    s.handle_input(1, Input::Tabs(TabEvent::Leave)).unwrap();
    let late = TabMsg::Read { user_id: "u1".into(), msg_ids: vec!["B-1".into()] };
    s.handle_input(2, Input::Tabs(TabEvent::Message(late))).unwrap();
    assert!(!s.following(), "it left");
    s.handle_input(3, Input::Connect).unwrap();
    assert!(std::iter::from_fn(|| s.poll_output()).any(|o| matches!(o, Output::OpenSocket { .. })), "it opens its own socket");
}

fn recalled(events: &[JsonUiEvent]) -> Vec<Option<u64>> {
    events.iter().filter_map(|e| if let UiEvent::Recalled { local_id, .. } = e { Some(*local_id) } else { None }).collect()
}

#[test]
fn a_recall_from_a_follower_names_its_own_message_and_each_tab_hears_it_under_its_own_id() {
    let mut b = Browser::new();
    let (a, f) = (b.open_tab("A"), b.open_tab("B"));
    b.lead(a);
    b.frame(a, r#"{"status":100,"data":{"features":["ack","seq","read","recall"],"epoch":"e1"}}"#);
    let theirs = b.send(f, "from the follower");
    let mine = b.send(a, "from the leader");
    b.frame(a, &ack("B-1"));
    b.frame(a, &ack("A-2"));
    b.heard(a);
    b.heard(f);
    let msg_id = b.tabs[f].s.recall_id(theirs).expect("the follower knows its own message");
    assert_eq!((msg_id.as_str(), b.tabs[a].s.recall_id(mine).as_deref()), ("B-1", Some("A-2")));
    b.tabs[a].frames.clear();
    b.input(f, Input::Act(Action::Recall { user_id: "u1".into(), msg_id })).unwrap();
    assert_eq!(b.tabs[a].frames, vec![r#"{"respStatus":110,"userId":"u1","msgId":"B-1"}"#], "the leader recalls the follower's message, not its own");
    b.frame(a, r#"{"status":110,"data":{"userId":"u1","msgId":"B-1","by":"agent","error":null}}"#);
    assert_eq!(recalled(&b.heard(f)), vec![Some(theirs)], "the follower hears it under its own local id");
    assert_eq!(recalled(&b.heard(a)), vec![None], "the leader has no such message of its own");
    b.frame(a, r#"{"status":110,"data":{"userId":"u1","msgId":"A-2","by":"agent","error":null}}"#);
    assert_eq!(recalled(&b.heard(a)), vec![Some(mine)]);
    assert_eq!(recalled(&b.heard(f)), vec![None], "never another tab's number");
}
