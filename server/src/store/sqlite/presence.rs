//! Agents' presence (`online`, `busy`, `away`) and conversation caps, kept in the `agents` table so
//! they survive reconnects and restarts. Only agents the store knows (registered, or connected once)
//! have them.

use super::SqliteStore;
use rusqlite::{params, OptionalExtension};

impl SqliteStore {
    /// The agent's saved presence and cap override (`None`: the server default); `None` for an
    /// agent the store does not know.
    pub fn presence(&self, kf_id: &str) -> rusqlite::Result<Option<(String, Option<i64>)>> {
        self.db()
            .query_row("SELECT presence, max_conversations FROM agents WHERE id = ?1", [kf_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
    }

    /// Saves the agent's presence; false for an agent the store does not know.
    pub fn set_presence(&self, kf_id: &str, presence: &str) -> rusqlite::Result<bool> {
        self.db().execute("UPDATE agents SET presence = ?2 WHERE id = ?1", params![kf_id, presence]).map(|n| n > 0)
    }

    /// Saves the agent's cap override (`None`: back to the server default); false for an agent
    /// the store does not know.
    pub fn set_max_conversations(&self, kf_id: &str, max: Option<i64>) -> rusqlite::Result<bool> {
        self.db().execute("UPDATE agents SET max_conversations = ?2 WHERE id = ?1", params![kf_id, max]).map(|n| n > 0)
    }
}
