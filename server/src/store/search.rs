//! Search across conversations (issue 26): every term of the query is a case-insensitive substring
//! of the message — what users of Chinese text expect (退款 inside 申请退款了吗), where a word index
//! finds nothing — with filters by agent, date range, close-out tag and rating, and an agent's
//! view limited to the customers they served. One query shape for both backends: SQLite answers
//! terms of three characters or more from its FTS5 trigram index (shorter ones by `LIKE`),
//! PostgreSQL from a `pg_trgm` GIN index (`ILIKE`).

use super::{Result, Store, StoredMessage};

/// What to look for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchQuery {
    /// Substrings that must all be in the message (1–64 characters each, at most 8).
    pub terms: Vec<String>,
    /// Only messages in conversations with this agent.
    pub kf_id: Option<String>,
    /// Only messages at or after this instant (ms).
    pub from: Option<i64>,
    /// Only messages before this instant (ms).
    pub to: Option<i64>,
    /// Only messages of conversations closed out with this tag.
    pub tag: Option<String>,
    /// Only messages of conversations rated this many stars.
    pub rating: Option<i64>,
    /// An agent's search: only customers this agent served (`None`: a supervisor's, everything).
    pub served_by: Option<String>,
    /// Most results (newest first).
    pub limit: u32,
}

/// `s` for a `LIKE` pattern with `\` as the escape: `%`, `_` and `\` match themselves.
pub(crate) fn like_escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('%');
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A parameter of the search's SQL.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    /// Text.
    Text(String),
    /// A number.
    Int(i64),
}

/// The search as SQL with `?` placeholders and its arguments, for either backend: `term(t)` is the
/// condition for one term and its argument.
pub(crate) fn sql(q: &SearchQuery, term: impl Fn(&str) -> (String, Arg)) -> (String, Vec<Arg>) {
    let mut sql = String::from(
        "SELECT m.id, m.sender, m.user_id, m.user_name, m.kf_id, m.content, m.created_at, m.recalled_at, m.client_msg_id FROM messages m \
         WHERE m.recalled_at IS NULL AND m.sender IN ('visitor', 'agent')",
    );
    let mut args = Vec::new();
    for t in &q.terms {
        let (cond, arg) = term(t);
        sql.push_str(" AND ");
        sql.push_str(&cond);
        args.push(arg);
    }
    if let Some(k) = &q.kf_id {
        sql.push_str(" AND m.kf_id = ?");
        args.push(Arg::Text(k.clone()));
    }
    if let Some(f) = q.from {
        sql.push_str(" AND m.created_at >= ?");
        args.push(Arg::Int(f));
    }
    if let Some(t) = q.to {
        sql.push_str(" AND m.created_at < ?");
        args.push(Arg::Int(t));
    }
    if let Some(me) = &q.served_by {
        sql.push_str(" AND m.user_id IN (SELECT user_id FROM conversations WHERE kf_id = ? OR (',' || COALESCE(agents, '') || ',') LIKE ? ESCAPE '\\')");
        args.push(Arg::Text(me.clone()));
        args.push(Arg::Text(like_escaped(&format!(",{me},"))));
    }
    if q.tag.is_some() || q.rating.is_some() {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM conversations c WHERE c.user_id = m.user_id AND m.created_at >= c.started_at \
             AND m.created_at <= COALESCE(c.ended_at, 9000000000000000)",
        );
        if let Some(tag) = &q.tag {
            sql.push_str(" AND c.tags LIKE ? ESCAPE '\\'");
            args.push(Arg::Text(like_escaped(&serde_json::to_string(tag).unwrap_or_default())));
        }
        if let Some(r) = q.rating {
            sql.push_str(" AND c.rating = ?");
            args.push(Arg::Int(r));
        }
        sql.push(')');
    }
    sql.push_str(" ORDER BY m.id DESC LIMIT ?");
    args.push(Arg::Int(i64::from(q.limit.clamp(1, 200))));
    (sql, args)
}

/// Up to `around` characters either side of the first term in `content`, with `…` where cut.
pub fn snippet(content: &str, terms: &[String], around: usize) -> String {
    let lower = content.to_lowercase();
    let at = terms.iter().filter_map(|t| lower.find(&t.to_lowercase())).min();
    let chars: Vec<char> = content.chars().collect();
    let Some(byte) = at else { return chars.iter().take(around * 2).collect() };
    let start_char = content.get(..byte).map_or(0, |s| s.chars().count()).min(chars.len());
    let from = start_char.saturating_sub(around);
    let to = (start_char + around + terms.iter().map(|t| t.chars().count()).max().unwrap_or(0)).min(chars.len());
    let mut out: String = chars[from..to].iter().collect();
    if from > 0 {
        out.insert(0, '…');
    }
    if to < chars.len() {
        out.push('…');
    }
    out
}

impl Store {
    /// Messages matching `q`, newest first.
    pub fn search(&self, q: &SearchQuery) -> Result<Vec<StoredMessage>> {
        on_backend!(self.search(q))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_wildcards_as_themselves() {
        assert_eq!(like_escaped("50%_off\\"), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn a_snippet_is_cut_around_the_first_term_by_characters() {
        let s = snippet("您好，我想申请退款了吗？订单号是12345，谢谢", &["退款".into()], 3);
        assert_eq!(s, "…想申请退款了吗？…");
        assert_eq!(snippet("short", &["nothing".into()], 10), "short");
        assert_eq!(snippet("Refund please", &["REFUND".into()], 2), "Refund p…");
    }
}
