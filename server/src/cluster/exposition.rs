//! A partitioned node's `/metrics`: each partition it routes keeps its own hub metrics, and the
//! scrape shows them as one OpenMetrics exposition — every family once, each sample labelled with
//! its `partition`, so sums over partitions (and over nodes) are one query.

use std::collections::HashMap;

/// The expositions of several hubs (`(partition, text)`), merged: families in the order first
/// seen, their `# HELP`/`# TYPE`/`# UNIT` lines once, then every partition's samples; one `# EOF`.
pub(super) fn merge(parts: &[(String, String)]) -> String {
    let mut order: Vec<String> = Vec::new();
    let mut heads: HashMap<String, Vec<String>> = HashMap::new();
    let mut samples: HashMap<String, Vec<String>> = HashMap::new();
    for (partition, text) in parts {
        let mut family = String::new();
        for line in text.lines().filter(|l| !l.is_empty() && *l != "# EOF") {
            if let Some(meta) = line.strip_prefix("# ") {
                let name = meta.split_whitespace().nth(1).unwrap_or_default().to_owned();
                if !heads.contains_key(&name) {
                    order.push(name.clone());
                }
                let head = heads.entry(name.clone()).or_default();
                if !head.iter().any(|h| h == line) {
                    head.push(line.to_owned());
                }
                family = name;
            } else {
                samples.entry(family.clone()).or_default().push(labelled(line, partition));
            }
        }
    }
    let mut out = String::new();
    for name in &order {
        for line in heads.get(name).into_iter().flatten().chain(samples.get(name).into_iter().flatten()) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str("# EOF\n");
    out
}

/// Sample `line` with the label `partition="…"` first among its labels.
fn labelled(line: &str, partition: &str) -> String {
    let (name, rest) = line.split_once(' ').unwrap_or((line, ""));
    match name.split_once('{') {
        Some((metric, "}")) => format!("{metric}{{partition=\"{partition}\"}} {rest}"),
        Some((metric, labels)) => format!("{metric}{{partition=\"{partition}\",{labels} {rest}"),
        None => format!("{name}{{partition=\"{partition}\"}} {rest}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_family_once_with_every_partitions_samples_labelled() {
        let a = "# HELP kefu_waiting Customers waiting.\n# TYPE kefu_waiting gauge\nkefu_waiting 3\n# TYPE kefu_relay_seconds histogram\nkefu_relay_seconds_bucket{le=\"0.005\"} 7\nkefu_relay_seconds_count 7\n# EOF\n";
        let b = "# HELP kefu_waiting Customers waiting.\n# TYPE kefu_waiting gauge\nkefu_waiting 1\n# TYPE kefu_relay_seconds histogram\nkefu_relay_seconds_bucket{le=\"0.005\"} 2\nkefu_relay_seconds_count 2\n# EOF\n";
        let merged = merge(&[("billing".into(), a.into()), ("default".into(), b.into())]);
        assert_eq!(
            merged,
            "# HELP kefu_waiting Customers waiting.\n# TYPE kefu_waiting gauge\nkefu_waiting{partition=\"billing\"} 3\nkefu_waiting{partition=\"default\"} 1\n\
             # TYPE kefu_relay_seconds histogram\nkefu_relay_seconds_bucket{partition=\"billing\",le=\"0.005\"} 7\nkefu_relay_seconds_count{partition=\"billing\"} 7\n\
             kefu_relay_seconds_bucket{partition=\"default\",le=\"0.005\"} 2\nkefu_relay_seconds_count{partition=\"default\"} 2\n# EOF\n"
        );
        assert_eq!(merged.matches("# EOF").count(), 1);
    }

    #[test]
    fn an_empty_label_set_gets_only_the_partition() {
        assert_eq!(labelled("kefu_x{} 1", "p"), "kefu_x{partition=\"p\"} 1");
    }
}
