//! `GET /cluster/affinity`: which node routes each agent's and each department's partition, for
//! the load balancer, so that it sends a socket to the node that routes it and the socket's
//! frames skip NATS (`server/haproxy/kefu-affinity.lua` reads it). Only a hint: a socket that
//! lands elsewhere is tunneled as always. Answered only to a trusted proxy asking for itself (a
//! `--trusted-proxies` address, no `X-Forwarded-For`): the list names every agent in a
//! department, so it is not for the open internet.

use super::Node;
use crate::hub::partition_map::PartitionMap;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::net::SocketAddr;

/// The `--node-id` of node instance `instance` (`<node-id>-<8 hex digits>`).
fn node_id(instance: &str) -> &str {
    instance.rsplit_once('-').map_or(instance, |(id, _)| id)
}

/// Whether a field can go in a line of the list (tab-separated, one entry a line).
fn plain(s: &str) -> bool {
    !s.chars().any(|c| c == '\t' || c == '\n' || c == '\r')
}

/// The list: a line `agent\t<kfId>\t<node>` per agent in a department, `department\t<id>\t<node>`
/// per department, `walkin\t\t<node>` (customers without a known department) and
/// `default\t\t<node>` (agents in none), for the partitions with an owner heard lately
/// (`owners`: partition → instance).
pub fn list(map: &PartitionMap, owners: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let owner = |p: &str| owners.get(p).map(|i| node_id(i));
    let mut line = |kind: &str, key: &str, partition: &str| {
        if let Some(node) = owner(partition).filter(|n| plain(key) && plain(n)) {
            out.push_str(&format!("{kind}\t{key}\t{node}\n"));
        }
    };
    for (agent, p) in map.agents() {
        line("agent", agent, p);
    }
    for (department, p) in map.department_partitions() {
        line("department", department, p);
    }
    line("walkin", "", map.of_department(None));
    line("default", "", crate::hub::partition_map::DEFAULT);
    out
}

/// `GET /cluster/affinity` (see the module's comment): 404 to anyone but a trusted proxy asking
/// for itself, and on a cluster that is not partitioned.
pub async fn affinity(State(node): State<Node>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap) -> Response {
    let forwarded = headers.contains_key("x-forwarded-for") || headers.contains_key(header::FORWARDED);
    let map = node.gateway.map();
    match map {
        Some(map) if node.trusted_proxies.contains(&peer.ip()) && !forwarded => {
            ([(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], list(&map, &node.gateway.owners())).into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::{Department, DepartmentSettings};

    #[test]
    fn each_agent_and_department_names_its_partitions_node_and_odd_names_are_left_out() {
        let d = |id: &str, a: &[&str]| Department { id: id.into(), name: id.into(), agents: a.iter().map(|s| (*s).to_owned()).collect() };
        let map = PartitionMap::of(&DepartmentSettings { departments: vec![d("presales", &["xiao ming", "tab\there"]), d("billing", &["b"]), d("gone", &["g"])], ..Default::default() });
        let owners: BTreeMap<String, String> = [("presales", "n-2-0badf00d"), ("billing", "n1-12345678"), ("default", "n3-aaaaaaaa")].iter().map(|(p, n)| ((*p).to_owned(), (*n).to_owned())).collect();
        let text = list(&map, &owners);
        assert_eq!(text, "agent\tb\tn1\nagent\txiao ming\tn-2\ndepartment\tbilling\tn1\ndepartment\tpresales\tn-2\nwalkin\t\tn3\ndefault\t\tn3\n");
    }
}
