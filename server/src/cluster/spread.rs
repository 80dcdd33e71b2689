//! How a partitioned cluster spreads its partitions over the nodes: by weight, not by count.
//! A partition weighs the agents staffed in its departments (at least 1; `default`, whose
//! agents the departments do not list, weighs 1), since a department's traffic grows with the
//! agents who serve it. Six equal departments and `default` over three nodes are then two
//! departments a node, where counting partitions put three of them on one. Decisions only
//! (nothing here waits or talks): `partitions.rs` acts on them. Why: docs/deployment.md.

use crate::hub::partition_map::PartitionMap;
use std::collections::{BTreeMap, BTreeSet};

/// What each alive node routes, weighed: `me` by `owned`, the others by `owners` (partition →
/// node, as heard). Partitions the map no longer has weigh nothing.
pub(super) fn loads(map: &PartitionMap, owners: &BTreeMap<String, String>, alive: &[String], me: &str, owned: &BTreeSet<String>) -> BTreeMap<String, u64> {
    let mut loads: BTreeMap<String, u64> = alive.iter().map(|n| (n.clone(), 0)).collect();
    for (p, node) in owners {
        if node != me {
            if let Some(l) = loads.get_mut(node) {
                *l += map.weight(p);
            }
        }
    }
    loads.insert(me.to_owned(), owned.iter().map(|p| map.weight(p)).sum());
    loads
}

/// Whether this node takes a free partition now: when no alive node routes less than it does
/// (nodes that are even all try; the lock decides). Of `free` (in this node's order for
/// partitions of equal weight) it takes the heaviest first, as a greedy spread does best.
pub(super) fn to_take<'a>(map: &PartitionMap, loads: &BTreeMap<String, u64>, me: &str, free: &[&'a String]) -> Option<&'a String> {
    let mine = loads.get(me).copied().unwrap_or(0);
    if loads.values().any(|&l| l < mine) {
        return None;
    }
    let heaviest = free.iter().map(|p| map.weight(p)).max()?;
    free.iter().find(|p| map.weight(p) == heaviest).copied()
}

/// The partition this node hands over, and the node it means it for (the one routing least):
/// of those lighter than the gap between them, the one whose move narrows it most, then the one
/// with the fewest `sockets` (the fewest clients reconnect). `None` when no move narrows the
/// gap, which is what "settled" means for this node. With partitions of one weight this is
/// "two more than another".
pub(super) fn to_hand_over(map: &PartitionMap, loads: &BTreeMap<String, u64>, me: &str, sockets: &BTreeMap<String, usize>) -> Option<(String, String)> {
    let mine = *loads.get(me)?;
    let (least, fewest) = loads.iter().filter(|(n, _)| n.as_str() != me).min_by_key(|(n, l)| (**l, n.as_str()))?;
    let gap = mine.checked_sub(*fewest)?;
    let pick = sockets
        .iter()
        .map(|(p, s)| (p, map.weight(p), *s))
        .filter(|(_, w, _)| *w < gap)
        .min_by_key(|(p, w, s)| (gap.abs_diff(2 * w), *s, (*p).clone()))?;
    Some((pick.0.clone(), least.clone()))
}

/// Where the partitions a change of the departments touched (`moving`) go: heaviest first (ties
/// by name), each to the alive node routing least once it is counted (ties by name), counting
/// what the others `keep` (partition → node). Every node that hears the same owners plans the
/// same, so a touched partition moves once, not once to whoever waited first and again to
/// balance.
pub(super) fn plan(map: &PartitionMap, keep: &BTreeMap<String, String>, alive: &[String], moving: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut loads: BTreeMap<&str, u64> = alive.iter().map(|n| (n.as_str(), 0)).collect();
    for (p, node) in keep {
        if let Some(l) = loads.get_mut(node.as_str()) {
            *l += map.weight(p);
        }
    }
    let mut order: Vec<&String> = moving.iter().collect();
    order.sort_by_key(|p| std::cmp::Reverse(map.weight(p))); // stable: names in order among equals
    let mut to = BTreeMap::new();
    for p in order {
        let Some((&node, _)) = loads.iter().min_by_key(|(n, l)| (**l, **n)) else { break };
        *loads.get_mut(node).expect("a node of loads") += map.weight(p);
        to.insert(p.clone(), node.to_owned());
    }
    to
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::{Department, DepartmentSettings};

    /// Departments `d0`… with `staff[i]` agents each.
    fn map(staff: &[usize]) -> PartitionMap {
        let departments = staff
            .iter()
            .enumerate()
            .map(|(i, n)| Department { id: format!("d{i}"), name: format!("d{i}"), agents: (0..*n).map(|a| format!("d{i}-a{a}")).collect() })
            .collect();
        PartitionMap::of(&DepartmentSettings { departments, ..Default::default() })
    }

    /// Partition → node, from pairs.
    fn owned_by(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(p, n)| ((*p).to_owned(), (*n).to_owned())).collect()
    }

    fn s(v: &[&str]) -> BTreeSet<String> {
        v.iter().map(|p| (*p).to_owned()).collect()
    }

    /// Three nodes starting together, each taking in turn what [`to_take`] gives it, until
    /// nothing is free: what each ends up routing.
    fn greedy(m: &PartitionMap, nodes: &[&str]) -> BTreeMap<String, BTreeSet<String>> {
        let alive: Vec<String> = nodes.iter().map(|n| (*n).to_owned()).collect();
        let mut owned: BTreeMap<String, BTreeSet<String>> = alive.iter().map(|n| (n.clone(), BTreeSet::new())).collect();
        loop {
            let mut took = false;
            for n in &alive {
                let owners: BTreeMap<String, String> = owned.iter().flat_map(|(o, ps)| ps.iter().map(move |p| (p.clone(), o.clone()))).collect();
                // `default` second: taking in this order, counting would leave three
                // departments on one node.
                let mut names = m.names();
                let default = names.iter().position(|p| p == "default").unwrap();
                let d = names.remove(default);
                names.insert(1.min(names.len()), d);
                let free: Vec<&String> = names.iter().filter(|p| !owners.contains_key(*p)).collect();
                let l = loads(m, &owners, &alive, n, &owned[n]);
                if let Some(p) = to_take(m, &l, n, &free) {
                    owned.get_mut(n).unwrap().insert(p.clone());
                    took = true;
                }
            }
            if !took {
                return owned;
            }
        }
    }

    #[test]
    fn six_equal_departments_and_default_are_two_departments_a_node() {
        let m = map(&[25; 6]);
        assert_eq!(m.weight("d0"), 25);
        assert_eq!(m.weight("default"), 1);
        let spread = greedy(&m, &["n1", "n2", "n3"]);
        let departments: Vec<usize> = spread.values().map(|ps| ps.iter().filter(|p| *p != "default").count()).collect();
        assert_eq!(departments, [2, 2, 2], "{spread:?}");
        assert_eq!(spread.values().map(BTreeSet::len).sum::<usize>(), 7, "every partition taken: {spread:?}");
    }

    #[test]
    fn a_heavy_department_gets_a_node_to_itself() {
        let m = map(&[30, 10, 10, 10]);
        let spread = greedy(&m, &["n1", "n2"]);
        let heavy = spread.values().find(|ps| ps.contains("d0")).unwrap();
        assert_eq!(heavy.iter().filter(|p| *p != "default").collect::<Vec<_>>(), ["d0"], "{spread:?}");
    }

    #[test]
    fn a_node_that_routes_more_than_its_share_hands_over_what_narrows_the_gap_most() {
        let m = map(&[25; 6]);
        let alive = ["n1".to_owned(), "n2".to_owned(), "n3".to_owned()];
        // What counting partitions could leave: three departments on n1, one and default on n3.
        let owners =
            owned_by(&[("d0", "n1"), ("d1", "n1"), ("d2", "n1"), ("d3", "n2"), ("d4", "n2"), ("d5", "n3"), ("default", "n3")]);
        let n1 = s(&["d0", "d1", "d2"]);
        let l = loads(&m, &owners, &alive, "n1", &n1);
        assert_eq!(l.values().copied().collect::<Vec<_>>(), [75, 50, 26]);
        let sockets: BTreeMap<String, usize> = [("d0".to_owned(), 9), ("d1".to_owned(), 3), ("d2".to_owned(), 5)].into();
        assert_eq!(to_hand_over(&m, &l, "n1", &sockets), Some(("d1".to_owned(), "n3".to_owned())), "the fewest sockets of equal moves");
        // n2 (50 against 26): moving 25 leaves 25 against 51, no narrower: it keeps them.
        let l2 = loads(&m, &owners, &alive, "n2", &s(&["d3", "d4"]));
        assert_eq!(to_hand_over(&m, &l2, "n2", &[("d3".to_owned(), 1), ("d4".to_owned(), 1)].into()), None);
    }

    #[test]
    fn even_or_nearly_even_nodes_keep_what_they_route() {
        let m = map(&[25; 6]);
        let alive = ["n1".to_owned(), "n2".to_owned(), "n3".to_owned()];
        let owners =
            owned_by(&[("d0", "n1"), ("d1", "n1"), ("default", "n1"), ("d2", "n2"), ("d3", "n2"), ("d4", "n3"), ("d5", "n3")]);
        let l = loads(&m, &owners, &alive, "n1", &s(&["d0", "d1", "default"]));
        let sockets: BTreeMap<String, usize> = [("d0".to_owned(), 1), ("d1".to_owned(), 1), ("default".to_owned(), 0)].into();
        assert_eq!(to_hand_over(&m, &l, "n1", &sockets), None, "51 against 50: moving default only swaps who has one more");
        // With one weight each, a node hands one over at two more than another, not at one.
        let flat = map(&[1; 4]);
        let few = owned_by(&[("d0", "n1"), ("d1", "n1"), ("d2", "n2"), ("d3", "n3"), ("default", "n1")]);
        let l = loads(&flat, &few, &alive, "n1", &s(&["d0", "d1", "default"]));
        assert!(to_hand_over(&flat, &l, "n1", &[("d0".to_owned(), 1), ("d1".to_owned(), 1), ("default".to_owned(), 1)].into()).is_some());
        let l = loads(&flat, &few, &alive, "n1", &s(&["d0", "d1"]));
        assert_eq!(to_hand_over(&flat, &l, "n1", &[("d0".to_owned(), 1), ("d1".to_owned(), 1)].into()), None);
    }

    #[test]
    fn a_node_that_routes_more_than_another_waits_while_partitions_are_free() {
        let m = map(&[25; 2]);
        let alive = ["n1".to_owned(), "n2".to_owned()];
        let owners = owned_by(&[("d0", "n1")]);
        let names = m.names();
        let free: Vec<&String> = names.iter().filter(|p| !owners.contains_key(*p)).collect();
        let l1 = loads(&m, &owners, &alive, "n1", &s(&["d0"]));
        assert_eq!(to_take(&m, &l1, "n1", &free), None);
        let l2 = loads(&m, &owners, &alive, "n2", &s(&[]));
        assert_eq!(to_take(&m, &l2, "n2", &free).map(String::as_str), Some("d1"), "the heavier free one first");
    }

    #[test]
    fn a_change_plans_each_touched_partition_to_one_node_counting_what_stays() {
        let m = map(&[6, 1, 1, 1, 1, 1]);
        let alive = ["n1".to_owned(), "n2".to_owned(), "n3".to_owned()];
        let moving = s(&["d0", "d1", "d2", "d3", "d4", "d5"]);
        let keep = owned_by(&[("default", "n1")]);
        let to = plan(&m, &keep, &alive, &moving);
        assert_eq!(to["d0"], "n2", "the heaviest to a node routing nothing (n1 keeps default)");
        let light: Vec<&str> = ["d1", "d2", "d3", "d4", "d5"].iter().map(|p| to[*p].as_str()).collect();
        assert_eq!(light, ["n3", "n1", "n3", "n1", "n3"], "the light ones even out around it");
        assert_eq!(plan(&m, &keep, &alive, &moving), to, "the same view, the same plan");
        assert!(plan(&m, &keep, &[], &moving).is_empty(), "no node alive: no plan");
    }
}
