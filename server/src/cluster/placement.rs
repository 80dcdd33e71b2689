//! Which partition's routing node a gateway sends a socket or an API request to, in a
//! partitioned cluster: an agent's socket and requests to the agent's partition, a customer's
//! socket to their department's, anything else to `default`. Read from the request alone
//! (path, query, the token's subject); the routing node then checks the request as always,
//! so a forged token only reaches a partition that refuses it.

use crate::hub::partition_map::PartitionMap;
use axum::http::{HeaderMap, Uri};

/// The value of query parameter `key` in `uri`.
fn query(uri: &Uri, key: &str) -> Option<String> {
    form_urlencoded::parse(uri.query()?.as_bytes()).find(|(k, _)| k == key).map(|(_, v)| v.into_owned())
}

/// The subject (`sub`) of an agent token, unchecked.
fn token_subject(token: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Sub {
        sub: String,
    }
    jsonwebtoken::dangerous::insecure_decode::<Sub>(token).ok().map(|t| t.claims.sub)
}

/// The partition of a socket opened at `uri`: an agent's (`/websocket/{kfId}`) or a customer's
/// (`/websocket/visitor/{userId}?department=…`).
pub fn of_socket(map: &PartitionMap, uri: &Uri) -> String {
    let path = uri.path();
    if path.starts_with("/websocket/visitor/") {
        return map.of_department(query(uri, "department").as_deref()).to_owned();
    }
    map.of_agent(&agent_of(uri)).to_owned()
}

/// The agent an agent's socket (`/websocket/{kfId}`) opened at `uri` is for.
pub fn agent_of(uri: &Uri) -> String {
    let kf = uri.path().strip_prefix("/websocket/").unwrap_or_default();
    percent_encoding::percent_decode_str(kf).decode_utf8_lossy().into_owned()
}

/// The customer a socket opened at `uri` is for, if it is a customer's.
pub fn visitor_of(uri: &Uri) -> Option<String> {
    let id = uri.path().strip_prefix("/websocket/visitor/")?;
    Some(percent_encoding::percent_decode_str(id).decode_utf8_lossy().into_owned())
}

/// The agent of customer `user_id`'s open conversation, if they have one: a customer in a
/// conversation is routed with their agent, whatever department their page names now.
pub async fn agent_in_conversation(client: &tokio_postgres::Client, user_id: &str) -> Result<Option<String>, tokio_postgres::Error> {
    let row = client.query_opt("SELECT kf_id FROM conversations WHERE user_id = $1 AND ended_at IS NULL ORDER BY id DESC LIMIT 1", &[&user_id]).await?;
    Ok(row.map(|r| r.get(0)))
}

/// The partition of an API request: its agent's (the token's subject, else a `kfId` query
/// parameter, as legacy calls carry it), else `default`.
pub fn of_request(map: &PartitionMap, headers: &HeaderMap, uri: &Uri) -> String {
    let agent = crate::guard::token_in(headers, uri).and_then(|t| token_subject(&t)).or_else(|| query(uri, "kfId"));
    agent.map_or(crate::hub::partition_map::DEFAULT, |kf| map.of_agent(&kf)).to_owned()
}

/// Whom an API request acts on, when that decides its partition rather than the caller's.
#[derive(Debug, PartialEq)]
pub enum Target {
    /// A customer: the partition of their conversation.
    Customer(String),
    /// An agent: their partition.
    Agent(String),
}

/// Whom a supervisor's action from the board names in its body, so it reaches the partition of
/// that row (the caller is checked there as anywhere): `/supervisor/{whisper,reassign,end}`
/// (`userId`), `/agents/{presence,capacity}` (`kfId`). Watching and joining go through the
/// supervisor's socket, which one partition serves.
pub fn target_of(uri: &Uri, body: &[u8]) -> Option<Target> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Named {
        user_id: Option<String>,
        kf_id: Option<String>,
    }
    let customer = match uri.path() {
        "/supervisor/whisper" | "/supervisor/reassign" | "/supervisor/end" => true,
        "/agents/presence" | "/agents/capacity" => false,
        _ => return None, // any other body is left for the routing node alone to read
    };
    let named: Named = serde_json::from_slice(body).ok()?;
    if customer { named.user_id.map(Target::Customer) } else { named.kf_id.map(Target::Agent) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::{Department, DepartmentSettings};

    fn map() -> PartitionMap {
        let d = |id: &str, a: &[&str]| Department { id: id.into(), name: id.into(), agents: a.iter().map(|s| (*s).to_owned()).collect() };
        PartitionMap::of(&DepartmentSettings { departments: vec![d("presales", &["xiao ming"]), d("billing", &["b"])], ..Default::default() })
    }

    #[test]
    fn sockets_go_to_their_agents_or_their_departments_partition() {
        let m = map();
        let u = |s: &str| s.parse::<Uri>().unwrap();
        assert_eq!(of_socket(&m, &u("/websocket/xiao%20ming?lastSeq=3")), "presales");
        assert_eq!(of_socket(&m, &u("/websocket/zhuguan")), "default");
        assert_eq!(of_socket(&m, &u("/websocket/visitor/v1?userName=a&department=billing")), "billing");
        assert_eq!(of_socket(&m, &u("/websocket/visitor/v1?department=nope")), "default");
        assert_eq!(of_socket(&m, &u("/websocket/visitor/v1")), "default");
    }

    #[test]
    fn board_actions_name_their_row_and_other_requests_nothing() {
        let u = |s: &str| s.parse::<Uri>().unwrap();
        let body = br#"{"userId":"v1","toKfId":"b","kfId":"x"}"#;
        assert_eq!(target_of(&u("/supervisor/reassign"), body), Some(Target::Customer("v1".into())));
        assert_eq!(target_of(&u("/supervisor/whisper"), body), Some(Target::Customer("v1".into())));
        assert_eq!(target_of(&u("/agents/capacity"), body), Some(Target::Agent("x".into())));
        assert_eq!(target_of(&u("/supervisor/join"), body), None, "joining is the socket's partition's");
        assert_eq!(target_of(&u("/settings/departments"), body), None);
        assert_eq!(target_of(&u("/supervisor/end"), br#"{"userId":7}"#), None, "a malformed body: the caller's partition, which refuses it");
        assert_eq!(target_of(&u("/supervisor/end"), b"not json"), None);
    }

    #[test]
    fn requests_go_to_the_token_subjects_partition() {
        let m = map();
        let key = jsonwebtoken::EncodingKey::from_secret(b"k");
        let token = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &serde_json::json!({"sub": "b", "exp": 1}), &key).unwrap();
        let mut h = HeaderMap::new();
        h.insert("authorization", format!("Bearer {token}").parse().unwrap());
        let u = |s: &str| s.parse::<Uri>().unwrap();
        assert_eq!(of_request(&m, &h, &u("/supervisor/board")), "billing");
        assert_eq!(of_request(&m, &HeaderMap::new(), &u("/overSession/overUser?kfId=xiao%20ming&userId=1")), "presales");
        assert_eq!(of_request(&m, &HeaderMap::new(), &u("/auth/login")), "default");
        let mut bad = HeaderMap::new();
        bad.insert("authorization", "Bearer not-a-token".parse().unwrap());
        assert_eq!(of_request(&m, &bad, &u("/queue")), "default");
    }
}
