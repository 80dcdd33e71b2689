//! Reports for supervisors (issue 26), computed from the conversations of a date range: per agent
//! — conversations, first-response time (median and p90), handle time, transfers, CSAT — and for
//! the queue — conversations, customers who gave up waiting, volume per hour of the day — and the
//! close-out tags agents picked (why customers came); and per department.

pub use crate::store::ReportRow;
use serde::Serialize;
use std::collections::BTreeMap;

/// One agent's figures (times in seconds).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentReport {
    /// kfId.
    pub kf_id: String,
    /// Conversations that ended with this agent.
    pub conversations: u64,
    /// Median time from the start to the first answer, for conversations this agent took first.
    pub first_response_median_s: Option<f64>,
    /// Its 90th percentile.
    pub first_response_p90_s: Option<f64>,
    /// Median time from the start to the end of conversations that ended with this agent.
    pub handle_median_s: Option<f64>,
    /// Conversations this agent handed on (a transfer or a reassignment from them).
    pub transfers: u64,
    /// Ratings credited to this agent.
    pub ratings: u64,
    /// Their average (1–5).
    pub csat_average: Option<f64>,
}

/// The queue's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueReport {
    /// Conversations started (answered or not).
    pub conversations: u64,
    /// Customers who gave up waiting in the queue.
    pub abandoned: u64,
    /// Conversations started per hour of the day (0–23, in `utc_offset_minutes`).
    pub per_hour: Vec<u64>,
    /// Conversations per close-out tag, most used first (a conversation counts once per tag).
    pub tags: Vec<TagCount>,
}

/// How many conversations were closed with one tag.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TagCount {
    /// The tag.
    pub tag: String,
    /// Conversations closed with it.
    pub conversations: u64,
}

/// One department's figures (times in seconds).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DepartmentReport {
    /// Its id; `None` for the conversations of no department.
    pub department: Option<String>,
    /// Conversations started (answered or not).
    pub conversations: u64,
    /// Customers who gave up waiting in its line.
    pub abandoned: u64,
    /// Median time from the start to the first answer.
    pub first_response_median_s: Option<f64>,
}

/// Nearest-rank percentile `p` (0–100) of `v` (sorted here), in seconds.
fn percentile(v: &mut [i64], p: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let rank = ((p / 100.0) * v.len() as f64).ceil().max(1.0) as usize;
    Some(v[rank - 1] as f64 / 1000.0)
}

/// The per-agent and queue figures of `rows`; hours counted at `utc_offset_minutes`.
pub fn compute(rows: &[ReportRow], utc_offset_minutes: i64) -> (Vec<AgentReport>, QueueReport) {
    #[derive(Default)]
    struct Acc {
        conversations: u64,
        first: Vec<i64>,
        handle: Vec<i64>,
        transfers: u64,
        ratings: Vec<i64>,
    }
    let mut per: BTreeMap<String, Acc> = BTreeMap::new();
    let mut queue = QueueReport { conversations: 0, abandoned: 0, per_hour: vec![0; 24], tags: Vec::new() };
    let mut tags: BTreeMap<&str, u64> = BTreeMap::new();
    for r in rows {
        let c = &r.c;
        queue.conversations += 1;
        let mut seen = std::collections::BTreeSet::new();
        for t in c.tags.iter().filter(|t| seen.insert(t.as_str())) {
            *tags.entry(t).or_default() += 1;
        }
        let hour = ((c.started_at + utc_offset_minutes * 60_000).rem_euclid(86_400_000) / 3_600_000) as usize;
        queue.per_hour[hour] += 1;
        if c.outcome.as_deref() == Some("abandoned") || c.agents.is_empty() {
            queue.abandoned += u64::from(c.outcome.as_deref() == Some("abandoned"));
            continue;
        }
        if let (Some(first_agent), Some(at)) = (c.agents.first(), r.first_reply_at) {
            per.entry(first_agent.clone()).or_default().first.push((at - c.started_at).max(0));
        }
        for from in &c.agents[..c.agents.len() - 1] {
            per.entry(from.clone()).or_default().transfers += 1;
        }
        let last = per.entry(c.kf_id.clone()).or_default();
        if let Some(end) = c.ended_at {
            last.conversations += 1;
            last.handle.push((end - c.started_at).max(0));
        }
        if let Some(stars) = c.rating {
            last.ratings.push(stars);
        }
    }
    let agents = per
        .into_iter()
        .map(|(kf_id, mut a)| AgentReport {
            kf_id,
            conversations: a.conversations,
            first_response_median_s: percentile(&mut a.first, 50.0),
            first_response_p90_s: percentile(&mut a.first, 90.0),
            handle_median_s: percentile(&mut a.handle, 50.0),
            transfers: a.transfers,
            ratings: a.ratings.len() as u64,
            csat_average: (!a.ratings.is_empty()).then(|| a.ratings.iter().sum::<i64>() as f64 / a.ratings.len() as f64),
        })
        .collect();
    queue.tags = tags.into_iter().map(|(tag, conversations)| TagCount { tag: tag.to_owned(), conversations }).collect();
    queue.tags.sort_by_key(|t| std::cmp::Reverse(t.conversations)); // stable: equal counts stay by name
    (agents, queue)
}

/// The figures of each department in `rows`, by id, those of no department last.
pub fn by_department(rows: &[ReportRow]) -> Vec<DepartmentReport> {
    #[derive(Default)]
    struct Acc {
        conversations: u64,
        abandoned: u64,
        first: Vec<i64>,
    }
    // Keyed so that the departments come by id and the conversations of none last.
    let mut per: BTreeMap<(bool, Option<&str>), Acc> = BTreeMap::new();
    for r in rows {
        let d = per.entry((r.department.is_none(), r.department.as_deref())).or_default();
        d.conversations += 1;
        d.abandoned += u64::from(r.c.outcome.as_deref() == Some("abandoned"));
        if let Some(at) = r.first_reply_at.filter(|_| !r.c.agents.is_empty()) {
            d.first.push((at - r.c.started_at).max(0));
        }
    }
    per.into_iter()
        .map(|((_, department), mut d)| DepartmentReport {
            department: department.map(str::to_owned),
            conversations: d.conversations,
            abandoned: d.abandoned,
            first_response_median_s: percentile(&mut d.first, 50.0),
        })
        .collect()
}

/// The agents' figures as CSV (the `csv` crate's quoting), with a header row.
pub fn agents_csv(agents: &[AgentReport]) -> String {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let _ = w.write_record(["agent", "conversations", "first_response_median_s", "first_response_p90_s", "handle_median_s", "transfers", "ratings", "csat_average"]);
    let n = |v: Option<f64>, d: usize| v.map(|x| format!("{x:.d$}")).unwrap_or_default();
    for a in agents {
        let _ = w.write_record([
            a.kf_id.clone(),
            a.conversations.to_string(),
            n(a.first_response_median_s, 1),
            n(a.first_response_p90_s, 1),
            n(a.handle_median_s, 1),
            a.transfers.to_string(),
            a.ratings.to_string(),
            n(a.csat_average, 2),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut v = vec![50_000, 10_000, 30_000, 20_000, 40_000];
        assert_eq!(percentile(&mut v, 50.0), Some(30.0));
        assert_eq!(percentile(&mut v, 90.0), Some(50.0));
        assert_eq!(percentile(&mut [], 50.0), None);
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let a = AgentReport { kf_id: "a,\"b\"".into(), conversations: 1, first_response_median_s: Some(1.25), first_response_p90_s: None, handle_median_s: None, transfers: 0, ratings: 0, csat_average: None };
        assert!(agents_csv(&[a]).ends_with("\"a,\"\"b\"\"\",1,1.2,,,0,0,\r\n"), "{}", agents_csv(&[]));
    }
}
