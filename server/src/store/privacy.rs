//! What the store forgets, and what it never forgets (issue 26): erasing one customer (messages,
//! conversations, messages left, recall originals, resume secret; the uploads their messages name),
//! removing everything older than the retention period, and the append-only audit log.

use super::{Result, Store};
use serde::Serialize;

/// What an erasure or a purge removed (counts only: the audit log keeps no content).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Removed {
    /// Messages.
    pub messages: u64,
    /// Conversations.
    pub conversations: u64,
    /// Messages left (留言).
    pub offline_messages: u64,
    /// Upload names the removed messages referred to (the caller removes the files).
    pub uploads: Vec<String>,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// Row id.
    pub id: i64,
    /// When, ms since the epoch.
    pub at: i64,
    /// Who: a kfId, `visitor:<userId>`, or `system`.
    pub actor: String,
    /// What: `sign_in`, `sign_in_failed`, `password_changed`, `monitor`, `whisper`, `join`, `leave`,
    /// `reassign`, `end`, `recall`, `erase`, `retention`, `export`, `settings`.
    pub action: String,
    /// Of whom or what (a userId, a kfId, a setting).
    pub target: String,
    /// Counts and names, never message text.
    pub detail: String,
}

/// The upload names (`<32 hex>.<ext>`) that message texts refer to as `/uploads/<name>`.
pub fn upload_names<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out = Vec::new();
    for t in texts {
        for (i, _) in t.match_indices("/uploads/") {
            let rest = &t[i + "/uploads/".len()..];
            let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '.').collect();
            let valid = name.len() > 33 && name.as_bytes()[32] == b'.' && name[..32].bytes().all(|b| b.is_ascii_hexdigit());
            if valid && !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
}

impl Store {
    /// Removes everything the store holds of customer `user_id`.
    pub fn erase_visitor(&self, user_id: &str) -> Result<Removed> {
        on_backend!(self.erase_visitor(user_id))
    }

    /// Removes messages, ended conversations and messages left older than `cutoff` (ms), and, on
    /// PostgreSQL, stored uploads older than it.
    pub fn purge_before(&self, cutoff: i64) -> Result<Removed> {
        on_backend!(self.purge_before(cutoff))
    }

    /// Appends a line to the audit log.
    pub fn audit(&self, actor: &str, action: &str, target: &str, detail: &str, at: i64) -> Result<()> {
        on_backend!(self.audit(actor, action, target, detail, at))
    }

    /// The audit log between `from` and `to` (ms), newest first, at most `limit` lines (after
    /// the lines still being written: [`Write::Audit`](super::Write::Audit)).
    pub fn audit_log(&self, from: i64, to: i64, limit: u32) -> Result<Vec<AuditEntry>> {
        self.caught_up();
        on_backend!(self.audit_log(from, to, limit))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn upload_names_are_found_in_every_syntax_and_nothing_else() {
        let a = "0123456789abcdef0123456789abcdef";
        let texts = [format!("img[/uploads/{a}.png]"), format!("file(http://desk/uploads/{a}.jpg)[x] /uploads/../etc/passwd /uploads/xyz.png")];
        let names = super::upload_names(texts.iter().map(String::as_str));
        assert_eq!(names, vec![format!("{a}.png"), format!("{a}.jpg")]);
    }
}
