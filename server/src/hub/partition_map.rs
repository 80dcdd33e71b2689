//! How a partitioned cluster (`--partitioned`) splits routing: departments that share an agent
//! are routed together (an agent's socket, numbering and cap belong to one routing owner), so a
//! partition is a connected group of departments; agents in no department and customers
//! without one form `default`. Worked out from the department settings alone, so every node
//! computes the same map. Why this split: docs/deployment.md.

use super::DepartmentSettings;
use std::collections::{BTreeMap, BTreeSet};

/// The name of the partition of customers without a department and agents in none.
pub const DEFAULT: &str = "default";

/// The routing partitions of one set of departments.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PartitionMap {
    /// Partition name → its departments (sorted); `default` has none.
    partitions: BTreeMap<String, BTreeSet<String>>,
    /// Department → its partition's name.
    of_department: BTreeMap<String, String>,
    /// Agent → its partition's name (agents in no department are not listed: `default`).
    of_agent: BTreeMap<String, String>,
    /// The partition of walk-ins (customers without a department): the `walkIn` department's.
    walk_in: Option<String>,
}

impl PartitionMap {
    /// The partitions of `s`: `default`, and one per group of departments linked by shared
    /// agents, named by its departments' ids, sorted and joined with `+`.
    pub fn of(s: &DepartmentSettings) -> PartitionMap {
        // Union-find over departments, joined through each agent's departments.
        let ids: Vec<&str> = s.departments.iter().map(|d| d.id.as_str()).collect();
        let mut parent: Vec<usize> = (0..ids.len()).collect();
        fn root(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        let mut first_of_agent: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, d) in s.departments.iter().enumerate() {
            for a in &d.agents {
                let j = *first_of_agent.entry(a.as_str()).or_insert(i);
                let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
                parent[ri] = rj;
            }
        }
        let mut groups: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
        for (i, id) in ids.iter().enumerate() {
            let r = root(&mut parent, i);
            groups.entry(r).or_default().insert((*id).to_owned());
        }
        let mut map = PartitionMap::default();
        map.partitions.insert(DEFAULT.to_owned(), BTreeSet::new());
        for deps in groups.into_values() {
            let name = deps.iter().cloned().collect::<Vec<_>>().join("+");
            for d in &deps {
                map.of_department.insert(d.clone(), name.clone());
            }
            map.partitions.insert(name, deps);
        }
        for (a, i) in first_of_agent {
            map.of_agent.insert(a.to_owned(), map.of_department[ids[i]].clone());
        }
        map.walk_in = s.walk_in.as_ref().and_then(|d| map.of_department.get(d)).cloned();
        map
    }

    /// Every partition's name, sorted (`default` included).
    pub fn names(&self) -> Vec<String> {
        self.partitions.keys().cloned().collect()
    }

    /// The partition agent `kf_id` is routed in.
    pub fn of_agent(&self, kf_id: &str) -> &str {
        self.of_agent.get(kf_id).map_or(DEFAULT, String::as_str)
    }

    /// The partition a customer of `department` is routed in; without one, or for a department
    /// that does not exist, the walk-ins' (the `walkIn` department's, else `default`).
    pub fn of_department(&self, department: Option<&str>) -> &str {
        department.and_then(|d| self.of_department.get(d)).or(self.walk_in.as_ref()).map_or(DEFAULT, String::as_str)
    }

    /// The departments of partition `name` (none for `default`), or `None` if there is no such
    /// partition.
    pub fn departments(&self, name: &str) -> Option<&BTreeSet<String>> {
        self.partitions.get(name)
    }

    /// The partitions whose departments or agents differ between `old` and `new` (`default`
    /// when an agent joins or leaves every department).
    pub fn changed(old: &PartitionMap, new: &PartitionMap) -> BTreeSet<String> {
        let names: BTreeSet<&String> = old.partitions.keys().chain(new.partitions.keys()).collect();
        let mut changed: BTreeSet<String> = names.into_iter().filter(|p| old.departments(p) != new.departments(p)).cloned().collect();
        for a in old.of_agent.keys().chain(new.of_agent.keys()) {
            let (was, is) = (old.of_agent(a), new.of_agent(a));
            if was != is {
                changed.insert(was.to_owned());
                changed.insert(is.to_owned());
            }
        }
        if old.of_department(None) != new.of_department(None) {
            changed.insert(old.of_department(None).to_owned());
            changed.insert(new.of_department(None).to_owned());
        }
        changed
    }

    /// Each agent in a department, with their partition's name.
    pub fn agents(&self) -> impl Iterator<Item = (&str, &str)> {
        self.of_agent.iter().map(|(a, p)| (a.as_str(), p.as_str()))
    }

    /// Each department, with its partition's name.
    pub fn department_partitions(&self) -> impl Iterator<Item = (&str, &str)> {
        self.of_department.iter().map(|(d, p)| (d.as_str(), p.as_str()))
    }

    /// What partition `name` weighs when the partitions are spread over the nodes: the agents
    /// in its departments, at least 1 (`default` weighs 1); 0 for a partition this map has not.
    pub fn weight(&self, name: &str) -> u64 {
        if !self.partitions.contains_key(name) {
            return 0;
        }
        (self.of_agent.values().filter(|p| *p == name).count() as u64).max(1)
    }

    /// Whether a hub routing partition `name` routes customers of `department`.
    pub fn routes(&self, name: &str, department: Option<&str>) -> bool {
        self.of_department(department) == name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::Department;

    fn dep(id: &str, agents: &[&str]) -> Department {
        Department { id: id.into(), name: id.into(), agents: agents.iter().map(|a| (*a).to_owned()).collect() }
    }

    #[test]
    fn departments_sharing_an_agent_are_one_partition_and_the_rest_their_own() {
        let s = DepartmentSettings {
            departments: vec![dep("presales", &["a", "k"]), dep("billing", &["b"]), dep("aftersales", &["c", "k"]), dep("empty", &[])],
            ..Default::default()
        };
        let m = PartitionMap::of(&s);
        assert_eq!(m.names(), ["aftersales+presales", "billing", "default", "empty"]);
        assert_eq!(m.of_agent("a"), "aftersales+presales");
        assert_eq!(m.of_agent("k"), "aftersales+presales");
        assert_eq!(m.of_agent("c"), "aftersales+presales");
        assert_eq!(m.of_agent("b"), "billing");
        assert_eq!(m.of_agent("nobody"), "default");
        assert_eq!(m.of_department(Some("presales")), "aftersales+presales");
        assert_eq!(m.of_department(Some("gone")), "default");
        assert_eq!(m.of_department(None), "default");
        assert!(m.routes("billing", Some("billing")));
        assert!(!m.routes("billing", None));
        assert!(m.routes("default", None));
        assert_eq!(m.departments("default").map(BTreeSet::len), Some(0));
        assert!(m.departments("presales").is_none());
    }

    #[test]
    fn a_change_names_the_partitions_it_touches() {
        let before = PartitionMap::of(&DepartmentSettings { departments: vec![dep("a", &["x"]), dep("b", &["y"]), dep("c", &["z"])], ..Default::default() });
        let same = PartitionMap::of(&DepartmentSettings { departments: vec![dep("c", &["z"]), dep("b", &["y"]), dep("a", &["x"])], ..Default::default() });
        assert!(PartitionMap::changed(&before, &same).is_empty());
        // x leaves every department (to `default`), w joins b, and c is gone.
        let after = PartitionMap::of(&DepartmentSettings { departments: vec![dep("a", &[]), dep("b", &["y", "w"])], ..Default::default() });
        let changed: Vec<String> = PartitionMap::changed(&before, &after).into_iter().collect();
        assert_eq!(changed, ["a", "b", "c", "default"]);
        // Two departments joined by a shared agent: both old partitions and the new one.
        let joined = PartitionMap::of(&DepartmentSettings { departments: vec![dep("a", &["x", "y"]), dep("b", &["y"]), dep("c", &["z"])], ..Default::default() });
        let changed: Vec<String> = PartitionMap::changed(&before, &joined).into_iter().collect();
        assert_eq!(changed, ["a", "a+b", "b"]);
    }

    #[test]
    fn walk_ins_go_to_the_walk_in_departments_partition_and_moving_them_touches_both() {
        let s = |w: Option<&str>| DepartmentSettings { departments: vec![dep("a", &["x"]), dep("b", &["y", "k"]), dep("c", &["k"])], walk_in: w.map(str::to_owned), ..Default::default() };
        let none = PartitionMap::of(&s(None));
        let to_c = PartitionMap::of(&s(Some("c")));
        assert_eq!(to_c.of_department(None), "b+c");
        assert_eq!(to_c.of_department(Some("gone")), "b+c");
        assert_eq!(to_c.of_department(Some("a")), "a");
        assert!(to_c.routes("b+c", None) && !to_c.routes("default", None));
        assert_eq!(to_c.of_agent("nobody"), "default", "agents in no department stay in default");
        let changed: Vec<String> = PartitionMap::changed(&none, &to_c).into_iter().collect();
        assert_eq!(changed, ["b+c", "default"]);
        assert!(PartitionMap::changed(&to_c, &PartitionMap::of(&s(Some("b")))).is_empty(), "the same partition: nothing moves");
    }

    #[test]
    fn a_chain_of_shared_agents_joins_every_link() {
        let s = DepartmentSettings { departments: vec![dep("a", &["x"]), dep("b", &["y"]), dep("c", &["x", "y"])], ..Default::default() };
        assert_eq!(PartitionMap::of(&s).names(), ["a+b+c", "default"]);
        let none = PartitionMap::of(&DepartmentSettings::default());
        assert_eq!(none.names(), ["default"]);
    }
}
