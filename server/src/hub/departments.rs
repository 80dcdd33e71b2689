//! Departments (技能组): which agents serve which kind of customer. Supervisors keep the list
//! (`/settings/departments`, in the store's `meta` like the other settings); a customer arrives
//! with one (the socket's `?department=`, the widget's `data-department`), gets one from a rule on
//! their page's URL, or picks one on the page. Offers, queue places, estimates and transfers then
//! stay within the department (`routing.rs`); the agent a returning customer spoke to last is
//! offered first. A customer without a department (a walk-in) is served by the members of the
//! `walkIn` department when one is named, else by anyone, as before.

use super::state::{State, VState};
use super::{err, Hub, HubError};
use super::partition_map::PartitionMap;
use crate::store::Store;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};

/// How long a customer transferred to another partition's department is queued there at once
/// when they arrive (their page reconnects within a second; a page opened again later too).
const TRANSFERRED_WITHIN_MS: i64 = 10 * 60_000;

/// Where the departments are saved (the store's `meta`).
pub const DEPARTMENTS_KEY: &str = "settings.departments";
const MAX_DEPARTMENTS: usize = 50;
const MAX_MEMBERS: usize = 500;
const MAX_RULES: usize = 100;

/// One department.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Department {
    /// Its id (`a-z`, `0-9`, `-`, `_`; 1–32): what pages and rules name.
    pub id: String,
    /// What customers and agents read (1–32 characters).
    pub name: String,
    /// Its agents (kfIds); an agent may be in several.
    pub agents: Vec<String>,
}

/// A page-URL rule: a customer whose page URL contains `contains` goes to `department`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UrlRule {
    /// A piece of the URL (1–200 characters), matched as is.
    pub contains: String,
    /// The department's id.
    pub department: String,
}

/// The departments and how customers are sorted into them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DepartmentSettings {
    /// The departments, in the order pages show them.
    pub departments: Vec<Department>,
    /// Rules on the page URL, first match wins (a department the page names comes first).
    #[serde(default)]
    pub url_rules: Vec<UrlRule>,
    /// A customer who arrives without one is asked to pick (when there are two or more).
    #[serde(default)]
    pub ask: bool,
    /// The department that serves walk-ins (customers without one, until they get one); none:
    /// anyone serves them (on one node) or the agents in no department (a partitioned cluster).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub walk_in: Option<String>,
}

/// 1–32 of `a-z`, `0-9`, `-`, `_`, starting with a letter or digit (`-` alone means "no department"
/// where reports and the board filter take one), and not `default` (the routing partition of the
/// customers with no department, as `/healthz` lists it).
fn valid_id(id: &str) -> bool {
    if id == "default" || !id.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit()) {
        return false;
    }
    (1..=32).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

impl DepartmentSettings {
    /// Checks limits and names; `agent_exists` says whether a kfId is a known agent.
    fn check(&self, agent_exists: impl Fn(&str) -> bool) -> Result<(), String> {
        if self.departments.len() > MAX_DEPARTMENTS {
            return Err(format!("at most {MAX_DEPARTMENTS} departments"));
        }
        let mut ids = HashSet::new();
        for d in &self.departments {
            if !valid_id(&d.id) {
                return Err(format!("department id {:?}: 1 to 32 of a-z, 0-9, - and _, starting with a letter or digit, not \"default\"", d.id));
            }
            if !ids.insert(d.id.as_str()) {
                return Err(format!("department {:?} twice", d.id));
            }
            let n = d.name.trim().chars().count();
            if n == 0 || n > 32 || d.name.chars().any(char::is_control) {
                return Err(format!("department {:?}: a name of 1 to 32 characters", d.id));
            }
            if d.agents.len() > MAX_MEMBERS {
                return Err(format!("department {:?}: at most {MAX_MEMBERS} agents", d.id));
            }
            if let Some(a) = d.agents.iter().find(|a| !agent_exists(a)) {
                return Err(format!("department {:?}: unknown agent {a:?}", d.id));
            }
        }
        if self.url_rules.len() > MAX_RULES {
            return Err(format!("at most {MAX_RULES} URL rules"));
        }
        for r in &self.url_rules {
            if r.contains.is_empty() || r.contains.chars().count() > 200 {
                return Err("a URL rule's `contains`: 1 to 200 characters".into());
            }
            if !ids.contains(r.department.as_str()) {
                return Err(format!("a URL rule names unknown department {:?}", r.department));
            }
        }
        if let Some(w) = self.walk_in.as_deref().filter(|w| !ids.contains(w)) {
            return Err(format!("`walkIn` names unknown department {w:?}"));
        }
        Ok(())
    }
}

/// `default` (customers without a department) and every department.
pub(super) fn partitions_of(s: &DepartmentSettings) -> Vec<String> {
    std::iter::once("default".to_owned()).chain(s.departments.iter().map(|d| d.id.clone())).collect()
}

/// Demo mode: two departments for the seeded agents (售前 and 售后, kf001 in both; customers asked
/// which), unless the store has departments already.
pub fn seed_demo(store: &Store) -> crate::store::Result<()> {
    let demo = DepartmentSettings {
        departments: vec![
            Department { id: "presales".into(), name: "售前咨询".into(), agents: vec!["xiaoming".into(), "kf001".into()] },
            Department { id: "aftersales".into(), name: "售后服务".into(), agents: vec!["xiaohong".into(), "kf001".into()] },
        ],
        url_rules: vec![UrlRule { contains: "/pricing".into(), department: "presales".into() }],
        ask: true,
        walk_in: None,
    };
    store.meta_or_insert(DEPARTMENTS_KEY, || serde_json::to_string(&demo).unwrap_or_default()).map(|_| ())
}

/// The routing partitions of the departments saved in `store` (a partitioned cluster).
pub fn partition_map_of(store: &Store) -> PartitionMap {
    PartitionMap::of(&Departments::load(store).settings)
}

/// The departments as saved (the value under [`DEPARTMENTS_KEY`]): none when missing or unreadable.
pub fn saved_departments(json: Option<&str>) -> DepartmentSettings {
    json.and_then(|v| serde_json::from_str(v).ok()).unwrap_or_default()
}

/// The departments as routing reads them.
#[derive(Default)]
pub(super) struct Departments {
    pub(super) settings: DepartmentSettings,
    members: HashMap<String, HashSet<String>>,
}

impl Departments {
    fn of(settings: DepartmentSettings) -> Departments {
        let members = settings.departments.iter().map(|d| (d.id.clone(), d.agents.iter().cloned().collect())).collect();
        Departments { settings, members }
    }

    /// The departments saved in `store` (none when missing or unreadable).
    pub(super) fn load(store: &Store) -> Departments {
        Departments::of(saved_departments(store.meta(DEPARTMENTS_KEY).ok().flatten().as_deref()))
    }

    /// Whether `id` is a department.
    pub(super) fn known(&self, id: &str) -> bool {
        self.members.contains_key(id)
    }

    /// The department whose agents serve customers of `department`: it, else the walk-ins'.
    pub(super) fn serving<'a>(&'a self, department: Option<&'a str>) -> Option<&'a str> {
        department.or(self.settings.walk_in.as_deref())
    }

    /// Whether agent `kf_id` serves customers of `department` (a walk-in: the `walkIn`
    /// department's agents, or anyone without one).
    pub(super) fn serves(&self, department: Option<&str>, kf_id: &str) -> bool {
        self.serving(department).is_none_or(|d| self.members.get(d).is_none_or(|m| m.contains(kf_id)))
    }

    /// The departments agent `kf_id` is in, in the list's order.
    pub(super) fn of_agent(&self, kf_id: &str) -> Vec<String> {
        self.settings.departments.iter().filter(|d| self.members[&d.id].contains(kf_id)).map(|d| d.id.clone()).collect()
    }

    /// The department the first URL rule matching `url` names.
    pub(super) fn by_url(&self, url: &str) -> Option<String> {
        self.settings.url_rules.iter().find(|r| url.contains(&r.contains)).map(|r| r.department.clone())
    }

    /// A department's name.
    pub(super) fn name(&self, id: &str) -> String {
        self.settings.departments.iter().find(|d| d.id == id).map_or_else(|| id.to_owned(), |d| d.name.clone())
    }

    /// What a customer without a department is offered to pick from, when they are asked.
    pub(super) fn choices(&self) -> Option<Value> {
        let list = &self.settings.departments;
        (self.settings.ask && list.len() >= 2).then(|| json!(list.iter().map(|d| json!({"id": d.id, "name": d.name})).collect::<Vec<_>>()))
    }
}

impl State {
    /// Puts customer `user_id` in `department` (`None`: anyone's): the open offer goes if its
    /// agent is not in it, their queue place is told again and they are offered within it.
    /// A customer in a conversation keeps it (their next one uses the new department).
    pub(super) fn set_department(&mut self, user_id: &str, department: Option<String>) {
        let Some(v) = self.visitors.get_mut(user_id) else { return };
        if v.department == department {
            return;
        }
        v.department = department.clone();
        let state = v.state.clone();
        if !matches!(state, VState::Assigned { .. }) && self.routed_elsewhere(department.as_deref()) {
            self.hand_over(user_id);
            return;
        }
        if state != VState::Waiting {
            return;
        }
        self.withdraw_unserved_offer(user_id);
        if let Some(v) = self.visitors.get_mut(user_id) {
            v.told_position = None;
        }
        self.tell_positions();
        self.offer(user_id);
    }

    /// Withdraws customer `user_id`'s open offer if its agent does not serve their department.
    fn withdraw_unserved_offer(&mut self, user_id: &str) {
        let v = self.visitors.get(user_id);
        let Some(kf) = v.and_then(|v| v.offered_to.clone().filter(|kf| !self.departments.serves(v.department.as_deref(), kf))) else { return };
        if let Some(v) = self.visitors.get_mut(user_id) {
            v.offered_to = None;
            v.told_waiting = false;
        }
        self.withdraw(&kf, user_id, "moved to another department");
    }

    /// Asks customer `user_id`, when they have no department yet, which one they want.
    pub(super) fn ask_department(&mut self, user_id: &str) {
        let without = self.visitors.get(user_id).is_some_and(|v| v.department.is_none());
        if let (true, Some(list)) = (without, self.departments.choices()) {
            self.to_visitor(user_id, crate::protocol::visitor_departments(list));
        }
    }

    /// Applies the first URL rule matching the page of customer `user_id`, who has no department.
    pub(super) fn department_by_url(&mut self, user_id: &str, url: &str) {
        let without = self.visitors.get(user_id).is_some_and(|v| v.department.is_none());
        if let (true, Some(d)) = (without, self.departments.by_url(url)) {
            let name = self.departments.name(&d);
            self.to_visitor(user_id, crate::protocol::visitor_department(&d, &name));
            self.set_department(user_id, Some(d));
        }
    }

    /// Whether customers of `department` are routed by another partition of the cluster
    /// (`--partitioned`; never on one node).
    pub(super) fn routed_elsewhere(&self, department: Option<&str>) -> bool {
        self.partition.as_ref().is_some_and(|(name, map)| !map.routes(name, department))
    }

    /// Customer `user_id`, not in a conversation, now belongs to another partition: their page
    /// is told to reconnect (1012; it names its department then, so the gateway sends it there)
    /// and routing here forgets them without a trace in the reports; their waiting messages stay
    /// in the store for the other partition's routing, which counts them when they connect.
    pub(super) fn hand_over(&mut self, user_id: &str) {
        let Some(v) = self.visitors.remove(user_id) else { return };
        if let Some(c) = &v.conn {
            let _ = c.tx.send(super::Out::Close(1012, "department routed elsewhere; reconnect".into()));
        }
        self.queue.retain(|u| u != user_id);
        if let Some(kf) = &v.offered_to {
            self.withdraw(kf, user_id, "moved to another department");
        }
        self.started.remove(user_id);
        Hub::forget_numbers(self, user_id);
        self.tell_positions();
        tracing::info!(user_id, department = ?v.department, "customer handed to another partition");
    }

    /// The place of waiting customer `user_id` among those of their department (1-based).
    pub(super) fn place(&self, user_id: &str) -> usize {
        let of = |u: &str| self.departments.serving(self.visitors.get(u).and_then(|v| v.department.as_deref())).map(str::to_owned);
        let dep = of(user_id);
        let mine = self.queue.iter().filter(|u| of(u) == dep);
        mine.clone().position(|u| u == user_id).map_or_else(|| mine.count() + 1, |i| i + 1)
    }
}

impl Hub {
    /// Makes this hub route only partition `name` of `map` (a partitioned cluster): `/healthz`
    /// lists it, and a customer whose department another partition routes is handed over.
    pub fn route_partition(&self, name: &str, map: PartitionMap) {
        *self.partitions.write().unwrap_or_else(std::sync::PoisonError::into_inner) = vec![name.to_owned()];
        self.st().partition = Some((name.to_owned(), map));
    }

    /// The partitions this hub was restored under, in a partitioned cluster.
    pub fn partition_map(&self) -> Option<PartitionMap> {
        self.st().partition.as_ref().map(|(_, m)| m.clone())
    }

    /// The routing partitions this hub serves: `default` (customers without a department) and
    /// every department (`GET /healthz` lists them).
    pub fn partitions(&self) -> Vec<String> {
        self.partitions.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// The departments.
    pub fn department_settings(&self) -> DepartmentSettings {
        self.st().departments.settings.clone()
    }

    /// Sets the departments (supervisors): checked, saved, and applied to the customers waiting
    /// (one whose department went is anyone's again).
    pub fn set_department_settings(&self, s: DepartmentSettings) -> Result<(), HubError> {
        s.check(|kf| self.store.agent(kf).ok().flatten().is_some()).map_err(|e| err(400, e))?;
        let json = serde_json::to_string(&s).map_err(|e| err(400, e.to_string()))?;
        self.store.set_meta(DEPARTMENTS_KEY, &json).map_err(|e| self.store_failed(e))?;
        let mut st = self.st();
        if st.partition.is_none() {
            // A partitioned cluster's node sees the new map itself and hands partitions over.
            *self.partitions.write().unwrap_or_else(std::sync::PoisonError::into_inner) = partitions_of(&s);
        }
        st.departments = Departments::of(s);
        let gone: Vec<String> = st.visitors.iter().filter(|(_, v)| v.department.as_deref().is_some_and(|d| !st.departments.known(d))).map(|(u, _)| u.clone()).collect();
        for u in gone {
            st.set_department(&u, None);
        }
        // An offer to an agent who no longer serves the customer (left the department, or
        // walk-ins went to a department they are not in) is withdrawn; they are offered again.
        for u in st.queue.clone() {
            st.withdraw_unserved_offer(&u);
        }
        st.tell_positions();
        st.offer_waiting();
        Ok(())
    }

    /// From customer `user_id`'s latest conversations: the agent of the latest they had one in,
    /// and whether the latest ended in the last [`TRANSFERRED_WITHIN_MS`] by a transfer to a
    /// department another partition routes (they are queued at once on arrival).
    pub(super) fn earlier_of(&self, user_id: &str) -> (Option<String>, bool) {
        let Ok(recent) = self.store.conversations_of(user_id, 5) else { return (None, false) };
        let now = self.rules_now();
        let transferred = recent.first().is_some_and(|c| c.outcome.as_deref() == Some(super::lifecycle::TRANSFERRED) && c.ended_at.is_some_and(|t| now - t < TRANSFERRED_WITHIN_MS));
        (recent.into_iter().map(|c| c.kf_id).find(|k| !k.is_empty()), transferred)
    }

    /// Customer `user_id` picks `department` on their page: told so, then their place in it.
    pub fn visitor_pick_department(&self, user_id: &str, department: &str) -> Result<(), HubError> {
        let mut st = self.st();
        if !st.departments.known(department) {
            return Err(err(400, format!("unknown department {department:?}")));
        }
        let v = st.visitors.get(user_id).ok_or_else(|| err(404, "not connected"))?;
        if matches!(v.state, VState::Assigned { .. }) {
            return Err(err(409, "您已在会话中"));
        }
        let name = st.departments.name(department);
        st.to_visitor(user_id, crate::protocol::visitor_department(department, &name));
        st.set_department(user_id, Some(department.to_owned()));
        Ok(())
    }
}
