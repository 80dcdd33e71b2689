//! Every store call in PostgreSQL's SQL (the same rows and answers as the SQLite backend).

use super::PgStore;
use crate::store::{Agent, Credentials, Delivery, History, NewMessage, OpenConversation, Phrase, Result, RoutedMessage, StoredMessage, Write};
use postgres::Row;

/// Reads `id, sender, user_id, user_name, kf_id, content, created_at, recalled_at, client_msg_id` starting at column `at`.
pub(super) fn stored_message(r: &Row, at: usize) -> StoredMessage {
    StoredMessage {
        id: r.get(at),
        sender: r.get(at + 1),
        user_id: r.get(at + 2),
        user_name: r.get(at + 3),
        kf_id: r.get(at + 4),
        content: r.get(at + 5),
        create_time: r.get(at + 6),
        recalled: r.get::<_, Option<i64>>(at + 7).is_some(),
        msg_id: r.get(at + 8),
    }
}

/// One statement, so one round trip and atomic: the message (unless its `client_msg_id` is
/// stored already) and its delivery under the recipient's next sequence number.
const ADD_AND_DELIVER: &str = "WITH m AS (
    INSERT INTO messages(user_id, user_name, kf_id, sender, content, created_at, client_msg_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id),
  d AS (
    INSERT INTO deliveries(recipient, seq, message_id)
    SELECT $8, COALESCE((SELECT MAX(seq) FROM deliveries WHERE recipient = $8), 0) + 1, id FROM m WHERE $8::TEXT IS NOT NULL
    RETURNING seq)
  SELECT (SELECT id FROM m), (SELECT seq FROM d)";

impl PgStore {
    /// See [`crate::store::Store::add_and_deliver`].
    #[allow(clippy::too_many_arguments)]
    pub fn add_and_deliver(&self, m: &NewMessage<'_>) -> Result<Option<(i64, Option<u64>)>> {
        let NewMessage { user_id, user_name, kf_id, sender, content, at_ms: now, client_msg_id, deliver_to } = *m;
        let (user_id, user_name, kf_id, content) = (user_id.to_owned(), user_name.to_owned(), kf_id.map(str::to_owned), content.to_owned());
        let (client_msg_id, deliver_to, sender) = (client_msg_id.map(str::to_owned), deliver_to.map(str::to_owned), sender.as_str());
        self.run(move |c| {
            let st = c.statement(ADD_AND_DELIVER)?;
            let row = c.client()?.query_one(&st, &[&user_id, &user_name, &kf_id, &sender, &content, &now, &client_msg_id, &deliver_to])?;
            let id: Option<i64> = row.get(0);
            let seq: Option<i64> = row.get(1);
            Ok(id.map(|id| (id, seq.map(|s| s as u64))))
        })
    }

    /// See [`crate::store::Store::start_conversation_and_deliver`].
    pub fn start_conversation_and_deliver(&self, user_id: &str, user_name: &str, kf_id: &str, now: i64, first_seq: Option<u64>, department: Option<&str>) -> Result<(i64, Vec<RoutedMessage>)> {
        let (user_id, user_name, kf_id, department) = (user_id.to_owned(), user_name.to_owned(), kf_id.to_owned(), department.map(str::to_owned));
        self.run(move |c| {
            let mut tx = c.client()?.transaction()?;
            let waiting = tx.query(
                "SELECT id, content, created_at FROM messages WHERE user_id = $1 AND sender = 'visitor' AND kf_id IS NULL ORDER BY id FOR UPDATE",
                &[&user_id],
            )?;
            let conversation: i64 = tx
                .query_one(
                    "INSERT INTO conversations(user_id, user_name, kf_id, started_at, department) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    &[&user_id, &user_name, &kf_id, &now, &department],
                )?
                .get(0);
            tx.execute("UPDATE messages SET kf_id = $2 WHERE user_id = $1 AND kf_id IS NULL", &[&user_id, &kf_id])?;
            let recipient = format!("kf:{kf_id}");
            let first: i64 = match first_seq {
                Some(f) => f as i64,
                None => tx.query_one("SELECT COALESCE(MAX(seq), 0) + 1 FROM deliveries WHERE recipient = $1", &[&recipient])?.get(0),
            };
            let mut routed = Vec::new();
            for (i, r) in waiting.iter().enumerate() {
                let (id, seq): (i64, i64) = (r.get(0), first + i as i64);
                tx.execute("INSERT INTO deliveries(recipient, seq, message_id) VALUES ($1, $2, $3)", &[&recipient, &seq, &id])?;
                routed.push(RoutedMessage { id, content: r.get(1), created_at: r.get(2), seq: seq as u64 });
            }
            tx.commit()?;
            Ok((conversation, routed))
        })
    }

    /// See [`crate::store::Store::replay`].
    pub fn replay(&self, recipient: &str, after_seq: u64, limit: u32) -> Result<Vec<Delivery>> {
        let recipient = recipient.to_owned();
        self.run(move |c| {
            let st = c.statement(
                "SELECT d.seq, m.id, m.sender, m.user_id, m.user_name, m.kf_id, m.content, m.created_at, m.recalled_at, m.client_msg_id
                 FROM deliveries d JOIN messages m ON m.id = d.message_id
                 WHERE d.recipient = $1 AND d.seq > $2 ORDER BY d.seq LIMIT $3",
            )?;
            let rows = c.client()?.query(&st, &[&recipient, &(after_seq as i64), &(limit as i64)])?;
            Ok(rows.iter().map(|r| Delivery { seq: r.get::<_, i64>(0) as u64, message: stored_message(r, 1) }).collect())
        })
    }

    /// See [`crate::store::Store::agent`].
    pub fn agent(&self, id: &str) -> Result<Option<Agent>> {
        let id = id.to_owned();
        self.run(move |c| {
            let st = c.statement("SELECT id, name, image FROM agents WHERE id = $1")?;
            Ok(c.client()?.query_opt(&st, &[&id])?.map(|r| Agent { id: r.get(0), name: r.get(1), image: r.get(2) }))
        })
    }

    /// See [`crate::store::Store::upsert_agent`].
    pub fn upsert_agent(&self, id: &str, name: &str) -> Result<()> {
        self.exec("INSERT INTO agents(id, name) VALUES ($1, $2) ON CONFLICT(id) DO UPDATE SET name = excluded.name", (id.to_owned(), name.to_owned())).map(|_| ())
    }

    /// See [`crate::store::Store::reassign_conversation`].
    pub fn reassign_conversation(&self, conversation: i64, kf_id: &str, department: Option<&str>) -> Result<()> {
        let w = Write::Reassign { conversation, kf_id: kf_id.to_owned(), department: department.map(str::to_owned) };
        self.run(move |c| super::writes::apply(c.client()?, &w)).map(|_| ())
    }

    /// See [`crate::store::Store::history`].
    pub fn history(&self, user_id: &str, page: u32, per_page: u32, before: Option<i64>) -> Result<History> {
        let user_id = user_id.to_owned();
        self.run(move |c| {
            let client = c.client()?;
            let total: i64 = client.query_one("SELECT COUNT(*) FROM messages WHERE user_id = $1", &[&user_id])?.get(0);
            let offset = if before.is_some() { 0 } else { (page.max(1) - 1) as i64 * per_page as i64 };
            let rows = client.query(
                "SELECT id, sender, user_id, user_name, kf_id, content, created_at, recalled_at, client_msg_id FROM messages
                 WHERE user_id = $1 AND id < COALESCE($4, 9223372036854775807) ORDER BY id DESC LIMIT $2 OFFSET $3",
                &[&user_id, &(per_page as i64 + 1), &offset, &before],
            )?;
            Ok(History::from_newest(rows.iter().map(|r| stored_message(r, 0)).collect(), per_page, total))
        })
    }

    /// See [`crate::store::Store::open_conversations`].
    pub fn open_conversations(&self) -> Result<Vec<OpenConversation>> {
        self.run(|c| {
            let rows = c.client()?.query("SELECT id, user_id, user_name, kf_id FROM conversations WHERE ended_at IS NULL ORDER BY id", &[])?;
            Ok(rows.iter().map(|r| OpenConversation { id: r.get(0), user_id: r.get(1), user_name: r.get(2), kf_id: r.get(3) }).collect())
        })
    }

    /// See [`crate::store::Store::ping`].
    pub fn ping(&self) -> Result<()> {
        self.run(|c| c.client()?.simple_query("SELECT 1").map(|_| ()))
    }

    /// See [`crate::store::Store::credentials`].
    pub fn credentials(&self, kf_id: &str) -> Result<Option<Credentials>> {
        let kf_id = kf_id.to_owned();
        self.run(move |c| {
            let st = c.statement("SELECT password_hash, role, tokens_after FROM agents WHERE id = $1")?;
            Ok(c.client()?.query_opt(&st, &[&kf_id])?.map(|r| Credentials { password_hash: r.get(0), role: r.get(1), tokens_after: r.get(2) }))
        })
    }

    /// See [`crate::store::Store::set_password`].
    pub fn set_password(&self, kf_id: &str, name: &str, hash: &str, role: Option<&str>) -> Result<()> {
        let (kf_id, name, hash, role) = (kf_id.to_owned(), name.to_owned(), hash.to_owned(), role.map(str::to_owned));
        self.run(move |c| {
            c.client()?.execute(
                "INSERT INTO agents(id, name, password_hash, role) VALUES ($1, $2, $3, COALESCE($4, 'agent'))
                 ON CONFLICT(id) DO UPDATE SET password_hash = excluded.password_hash, role = COALESCE($4, agents.role)",
                &[&kf_id, &name, &hash, &role],
            )?;
            Ok(())
        })
    }

    /// See [`crate::store::Store::agents_without_password`].
    pub fn agents_without_password(&self) -> Result<Vec<String>> {
        self.run(|c| Ok(c.client()?.query("SELECT id FROM agents WHERE password_hash IS NULL ORDER BY id", &[])?.iter().map(|r| r.get(0)).collect()))
    }

    /// See [`crate::store::Store::void_tokens`].
    pub fn void_tokens(&self, kf_id: &str, now_ms: i64) -> Result<()> {
        self.exec("UPDATE agents SET tokens_after = $2 WHERE id = $1", (kf_id.to_owned(), now_ms)).map(|_| ())
    }

    /// See [`crate::store::Store::served`].
    pub fn served(&self, kf_id: &str, user_id: &str) -> Result<bool> {
        let (kf_id, user_id) = (kf_id.to_owned(), user_id.to_owned());
        self.run(move |c| Ok(c.client()?.query_opt("SELECT 1 FROM conversations WHERE kf_id = $1 AND user_id = $2 LIMIT 1", &[&kf_id, &user_id])?.is_some()))
    }

    /// See [`crate::store::Store::visitor_secret`].
    pub fn visitor_secret(&self, user_id: &str) -> Result<Option<String>> {
        let user_id = user_id.to_owned();
        self.run(move |c| Ok(c.client()?.query_opt("SELECT secret_sha256 FROM visitor_secrets WHERE user_id = $1", &[&user_id])?.map(|r| r.get(0))))
    }

    /// See [`crate::store::Store::forget_silent_visitor`].
    pub fn forget_silent_visitor(&self, user_id: &str) -> Result<bool> {
        let w = Write::ForgetSilent { user_id: user_id.to_owned() };
        self.run(move |c| super::writes::apply(c.client()?, &w)).map(|n| n > 0)
    }

    /// See [`crate::store::Store::forget_silent_visitors`].
    pub fn forget_silent_visitors(&self, before_ms: i64) -> Result<u64> {
        self.run(move |c| c.client()?.execute(&format!("DELETE FROM visitor_secrets WHERE created_at < $1 AND {SILENT}"), &[&before_ms]))
    }

    /// See [`crate::store::Store::claim_visitor`].
    pub fn claim_visitor(&self, user_id: &str, secret_sha256: &str, now_ms: i64) -> Result<bool> {
        let (user_id, secret) = (user_id.to_owned(), secret_sha256.to_owned());
        self.run(move |c| {
            let client = c.client()?;
            let known = client
                .query_opt(
                    "SELECT 1 WHERE EXISTS (SELECT 1 FROM messages WHERE user_id = $1) OR EXISTS (SELECT 1 FROM conversations WHERE user_id = $1)",
                    &[&user_id],
                )?
                .is_some();
            if known {
                return Ok(false);
            }
            let n = client.execute(
                "INSERT INTO visitor_secrets(user_id, secret_sha256, created_at) VALUES ($1, $2, $3) ON CONFLICT(user_id) DO NOTHING",
                &[&user_id, &secret, &now_ms],
            )?;
            Ok(n == 1)
        })
    }

    /// See [`crate::store::Store::visitor_history`].
    pub fn visitor_history(&self, user_id: &str) -> Result<(Option<i64>, i64)> {
        let user_id = user_id.to_owned();
        self.run(move |c| {
            let r = c.client()?.query_one(
                "SELECT MIN(t), (SELECT COUNT(*) FROM conversations WHERE user_id = $1) FROM (
                   SELECT MIN(created_at) AS t FROM messages WHERE user_id = $1
                   UNION ALL SELECT MIN(started_at) FROM conversations WHERE user_id = $1) firsts",
                &[&user_id],
            )?;
            Ok((r.get(0), r.get(1)))
        })
    }

    /// See [`crate::store::Store::phrases`].
    pub fn phrases(&self, search: &str, source: &str, page: u32, per_page: u32) -> Result<(Vec<Phrase>, i64)> {
        let pattern = format!("%{}%", search.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        let source = source.to_owned();
        self.run(move |c| {
            let client = c.client()?;
            let where_ = "WHERE (content LIKE $1 ESCAPE '\\' OR shortcut LIKE $1 ESCAPE '\\') AND ($2 = '' OR source = $2)";
            let total: i64 = client.query_one(&format!("SELECT COUNT(*) FROM phrases {where_}"), &[&pattern, &source])?.get(0);
            let offset = (page.max(1) - 1) as i64 * per_page as i64;
            let rows = client.query(
                &format!("SELECT id, content, source, shortcut FROM phrases {where_} ORDER BY id LIMIT $3 OFFSET $4"),
                &[&pattern, &source, &(per_page as i64), &offset],
            )?;
            Ok((rows.iter().map(|r| Phrase { id: r.get(0), content: r.get(1), source: r.get(2), shortcut: r.get(3) }).collect(), total))
        })
    }

    /// See [`crate::store::Store::add_phrase`].
    pub fn add_phrase(&self, content: &str, source: &str, shortcut: &str) -> Result<i64> {
        let (content, source, shortcut) = (content.to_owned(), source.to_owned(), shortcut.to_owned());
        self.run(move |c| {
            Ok(c.client()?.query_one("INSERT INTO phrases(content, source, shortcut) VALUES ($1, $2, $3) RETURNING id", &[&content, &source, &shortcut])?.get(0))
        })
    }

    /// See [`crate::store::Store::presence`].
    pub fn presence(&self, kf_id: &str) -> Result<Option<(String, Option<i64>)>> {
        let kf_id = kf_id.to_owned();
        self.run(move |c| Ok(c.client()?.query_opt("SELECT presence, max_conversations FROM agents WHERE id = $1", &[&kf_id])?.map(|r| (r.get(0), r.get(1)))))
    }

    /// See [`crate::store::Store::set_presence`].
    pub fn set_presence(&self, kf_id: &str, presence: &str) -> Result<bool> {
        self.exec("UPDATE agents SET presence = $2 WHERE id = $1", (kf_id.to_owned(), presence.to_owned())).map(|n| n > 0)
    }

    /// See [`crate::store::Store::set_max_conversations`].
    pub fn set_max_conversations(&self, kf_id: &str, max: Option<i64>) -> Result<bool> {
        self.exec("UPDATE agents SET max_conversations = $2 WHERE id = $1", (kf_id.to_owned(), max)).map(|n| n > 0)
    }

    /// See [`crate::store::Store::meta_or_insert`].
    pub fn meta_or_insert(&self, key: &str, value: &str) -> Result<String> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.run(move |c| {
            let client = c.client()?;
            client.execute("INSERT INTO meta(key, value) VALUES ($1, $2) ON CONFLICT(key) DO NOTHING", &[&key, &value])?;
            Ok(client.query_one("SELECT value FROM meta WHERE key = $1", &[&key])?.get(0))
        })
    }

    /// Stores an uploaded file under `name`.
    pub fn put_upload(&self, name: &str, content_type: &str, bytes: Vec<u8>, now: i64) -> Result<()> {
        let (name, content_type) = (name.to_owned(), content_type.to_owned());
        self.run(move |c| {
            c.client()?.execute("INSERT INTO uploads(name, content_type, bytes, created_at) VALUES ($1, $2, $3, $4)", &[&name, &content_type, &bytes, &now])?;
            Ok(())
        })
    }

    /// The uploaded file `name`: its content type and bytes.
    pub fn upload(&self, name: &str) -> Result<Option<(String, Vec<u8>)>> {
        let name = name.to_owned();
        self.run(move |c| Ok(c.client()?.query_opt("SELECT content_type, bytes FROM uploads WHERE name = $1", &[&name])?.map(|r| (r.get(0), r.get(1)))))
    }

    /// One statement with two parameters; the rows it changed.
    fn exec<A, B>(&self, sql: &'static str, (a, b): (A, B)) -> Result<u64>
    where
        A: postgres::types::ToSql + Sync + Send + 'static,
        B: postgres::types::ToSql + Sync + Send + 'static,
    {
        self.run(move |c| {
            let st = c.statement(sql)?;
            c.client()?.execute(&st, &[&a, &b])
        })
    }
}

/// A claim whose customer never spoke.
pub(super) const SILENT: &str = "NOT EXISTS (SELECT 1 FROM messages m WHERE m.user_id = visitor_secrets.user_id) \
    AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.user_id = visitor_secrets.user_id)";
