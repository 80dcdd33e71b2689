//! [`TabMsg`]: the typed protocol between the tabs of one agent that share a socket (option
//! `shareAcrossTabs`), and [`Snapshot`], what the tab that owns the socket (the leader) tells the
//! others about its state. Written and read here, once, for the browser's structured-clone objects
//! and for serde_json; the version is part of the channel's (and the Web Lock's) name and of every
//! message, so tabs of two deploys never mix: each deploy's tabs elect their own leader.

use crate::prelude::*;
use super::action::Action;
use super::frames_in::Customer;
use super::json::{scalar_of, JsonBuild, JsonValue};
use super::message::PersistedMessage;
use super::status::{DeliveryStatus, LinkState};
use super::presence::Presence;
use super::scalar::Scalar;

/// The version of the tab protocol; a change to [`TabMsg`] that old tabs cannot read raises it.
pub const TAB_PROTOCOL_VERSION: u32 = 2;

/// The BroadcastChannel and Web Lock name for the tabs of one server and agent (`key`).
pub fn tab_channel_name(key: &str) -> String {
    ["kefu-agent:v", itoa::Buffer::new().format(TAB_PROTOCOL_VERSION), ":", key].concat()
}

/// The leader's state as the other tabs' getters and hooks need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The leader's tab id (its session's message-id prefix).
    pub leader: String,
    /// Its connection state.
    pub state: LinkState,
    /// Customers waiting to be accepted, oldest first.
    pub waiting: Vec<Customer>,
    /// Incoming transfers not yet answered.
    pub transfers: Vec<Customer>,
    /// Messages it holds until its socket opens.
    pub held: usize,
    /// The server's epoch (extension `seq`), where numbering stands.
    pub epoch: Option<String>,
    /// The last sequence number it saw.
    pub last_seq: u64,
    /// The agent's presence as the server last said it.
    pub presence: Option<Presence>,
}

/// A message between the tabs of one agent.
#[derive(Clone, Debug, PartialEq)]
pub enum TabMsg<V> {
    /// A tab joined: the leader answers with a [`TabMsg::Snapshot`].
    Sync,
    /// The leader's state, on its own (after `Sync`, or from a new leader).
    Snapshot(Snapshot),
    /// The leader called a hook: the others call theirs with the same payload.
    Hook {
        /// The hook's name (one of the contract's hooks).
        hook: &'static str,
        /// Its payload, as the leader built it.
        payload: V,
        /// The leader's state after the event.
        snapshot: Snapshot,
    },
    /// A follower asks the leader to do an action.
    Act {
        /// The asking tab.
        from: String,
        /// The action.
        action: Action,
    },
    /// A follower hands a chat message (stored by it already) to the leader.
    Send {
        /// The asking tab.
        from: String,
        /// The message, under the follower's message id.
        message: PersistedMessage,
    },
    /// A follower asks the leader to check its connection now.
    Check,
    /// The fate of a message a follower handed over.
    Status {
        /// Its message id.
        msg_id: String,
        /// Its new state.
        status: DeliveryStatus,
        /// Why it failed.
        reason: Option<String>,
    },
    /// The customer has seen these messages, handed over by followers.
    Read {
        /// The customer.
        user_id: Scalar,
        /// The messages' ids.
        msg_ids: Vec<String>,
    },
    /// The leader did an announced action (for itself or for a follower).
    Did {
        /// The tab whose agent did it.
        from: String,
        /// The action.
        action: Action,
        /// The customer's name, when known.
        user_name: Option<String>,
    },
    /// The leader refused a follower's action.
    Refused {
        /// The asking tab.
        to: String,
        /// Why.
        message: String,
    },
}

impl<V: JsonValue + JsonBuild> TabMsg<V> {
    /// The message as an object `{ v, t, … }` for `postMessage`.
    pub fn encode(self) -> V {
        let s = |t: &str| V::string(t);
        let (t, mut fields): (&str, Vec<(&'static str, V)>) = match self {
            TabMsg::Sync => ("sync", vec![]),
            TabMsg::Check => ("check", vec![]),
            TabMsg::Snapshot(snap) => ("snap", vec![("snap", snap.encode())]),
            TabMsg::Hook { hook, payload, snapshot } => ("hook", vec![("name", s(hook)), ("payload", payload), ("snap", snapshot.encode())]),
            TabMsg::Act { from, action } => ("act", vec![("from", s(&from)), ("action", action.encode(None))]),
            TabMsg::Send { from, message: m } => {
                let msg = V::object(vec![
                    ("msgId", s(&m.msg_id)),
                    ("userId", V::scalar(&m.user_id)),
                    ("userName", s(&m.user_name)),
                    ("content", s(&m.content)),
                ]);
                ("send", vec![("from", s(&from)), ("msg", msg)])
            }
            TabMsg::Status { msg_id, status, reason } => {
                ("status", vec![("msgId", s(&msg_id)), ("status", s(status.as_str())), ("reason", opt(reason.as_deref()))])
            }
            TabMsg::Read { user_id, msg_ids } => {
                ("read", vec![("userId", V::scalar(&user_id)), ("msgIds", V::array(msg_ids.iter().map(|m| s(m)).collect()))])
            }
            TabMsg::Did { from, action, user_name } => ("did", vec![("from", s(&from)), ("action", action.encode(user_name.as_deref()))]),
            TabMsg::Refused { to, message } => ("err", vec![("to", s(&to)), ("message", s(&message))]),
        };
        fields.splice(0..0, [("v", V::number(TAB_PROTOCOL_VERSION as f64)), ("t", s(t))]);
        V::object(fields)
    }
}

impl<V: JsonValue> TabMsg<V> {
    /// The message [`TabMsg::encode`] wrote; `None` for anything else, a message of another
    /// version included (it is ignored).
    pub fn decode(v: V) -> Option<TabMsg<V>> {
        if v.field("v")?.as_f64()? != TAB_PROTOCOL_VERSION as f64 {
            return None;
        }
        let text = |k: &'static str| v.field(k).and_then(|f| f.as_string());
        Some(match text("t")?.as_str() {
            "sync" => TabMsg::Sync,
            "check" => TabMsg::Check,
            "snap" => TabMsg::Snapshot(Snapshot::decode(&v.field("snap")?)?),
            "hook" => {
                let name = text("name")?;
                let hook = crate::contract::HOOKS.iter().copied().find(|h| *h == name)?;
                TabMsg::Hook { hook, payload: v.field("payload")?, snapshot: Snapshot::decode(&v.field("snap")?)? }
            }
            "act" => TabMsg::Act { from: text("from")?, action: Action::decode(&v.field("action")?)?.0 },
            "send" => {
                let m = v.field("msg")?;
                let text = |k: &'static str| m.field(k).and_then(|f| f.as_string());
                let message = PersistedMessage {
                    msg_id: text("msgId")?,
                    user_id: scalar_of(&m.field("userId")?)?,
                    user_name: text("userName")?,
                    content: text("content")?,
                };
                TabMsg::Send { from: v.field("from")?.as_string()?, message }
            }
            "status" => TabMsg::Status {
                msg_id: text("msgId")?,
                status: DeliveryStatus::parse(&text("status")?)?,
                reason: text("reason"),
            },
            "read" => TabMsg::Read {
                user_id: scalar_of(&v.field("userId")?)?,
                msg_ids: v.field("msgIds")?.items()?.iter().filter_map(|m| m.as_string()).collect(),
            },
            "did" => {
                let (action, user_name) = Action::decode(&v.field("action")?)?;
                TabMsg::Did { from: text("from")?, action, user_name }
            }
            "err" => TabMsg::Refused { to: text("to")?, message: text("message")? },
            _ => return None,
        })
    }
}

fn opt<V: JsonBuild>(s: Option<&str>) -> V {
    s.map(V::string).unwrap_or_else(V::null)
}

fn customers<V: JsonBuild>(cs: &[Customer]) -> V {
    V::array(cs.iter().map(|c| V::object(vec![("id", V::scalar(&c.id)), ("userName", V::string(&c.user_name))])).collect())
}

fn customers_of<V: JsonValue>(v: Option<V>) -> Option<Vec<Customer>> {
    v?.items()?
        .iter()
        .map(|c| Some(Customer { id: scalar_of(&c.field("id")?)?, user_name: c.field("userName")?.as_string()? }))
        .collect()
}

impl Snapshot {
    /// The snapshot as an object (its field names are those the leader's getters have).
    pub fn encode<V: JsonBuild>(&self) -> V {
        V::object(vec![
            ("leader", V::string(&self.leader)),
            ("state", V::string(self.state.as_str())),
            ("waiting", customers(&self.waiting)),
            ("transfers", customers(&self.transfers)),
            ("held", V::number(self.held as f64)),
            ("epoch", opt(self.epoch.as_deref())),
            ("lastSeq", V::number(self.last_seq as f64)),
            ("presence", opt(self.presence.map(Presence::as_str))),
        ])
    }

    /// The snapshot [`Snapshot::encode`] wrote; `None` for anything else.
    pub fn decode<V: JsonValue>(v: &V) -> Option<Snapshot> {
        let text = |k: &'static str| v.field(k).and_then(|f| f.as_string());
        let count = |k: &'static str| v.field(k).and_then(|f| f.as_f64()).filter(|n| *n >= 0.0);
        Some(Snapshot {
            leader: text("leader")?,
            state: LinkState::parse(&text("state")?)?,
            waiting: customers_of(v.field("waiting"))?,
            transfers: customers_of(v.field("transfers"))?,
            held: count("held")? as usize,
            epoch: text("epoch"),
            last_seq: count("lastSeq")? as u64,
            presence: text("presence").and_then(|p| Presence::parse(&p)),
        })
    }
}
