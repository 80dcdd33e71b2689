//! A NUL character (`\u0000` in JSON, `%00` in a URL) in any text the HTTP API takes: PostgreSQL's
//! text refuses it, so unchecked it became a store error (500, counted as the store failing). Every
//! endpoint answers as it would for other text — stored with U+FFFD in its place, or a clear 4xx —
//! and the server stays up. Runs on PostgreSQL where the suites do (`KEFU_TEST_PG`).

mod support;
use serde_json::json;
use support::*;

const NUL: &str = "a\u{0}b";

#[tokio::test]
async fn a_nul_in_any_text_of_the_http_api_is_never_a_server_error() {
    let s = Server::start().await;
    let _a = s.agent("nul-agent").await;
    let posts = [
        ("/sessionComm/add", json!({"content": NUL, "source": NUL, "shortcut": NUL})),
        ("/sessionComm/sessionCommList", json!({"kfId": "nul-agent", "source": NUL})),
        ("/settings/closeout", json!({"tags": [NUL, "ok"], "required": false})),
        ("/settings/departments", json!({"departments": [{"id": "d1", "name": NUL, "agents": []}], "urlRules": [{"contains": NUL, "department": "d1"}]})),
        ("/supervisor/whisper", json!({"userId": NUL, "content": NUL})),
        ("/supervisor/reassign", json!({"userId": NUL, "toKfId": NUL})),
        ("/supervisor/join", json!({"userId": NUL})),
        ("/supervisor/end", json!({"userId": NUL})),
        ("/transfer/transferUser", json!({"kfId": "nul-agent", "userId": NUL, "toKfId": NUL})),
        ("/offlineMessages/handle", json!({"id": 1, "answer": NUL})),
        ("/agents/presence", json!({"kfId": NUL, "presence": "busy"})),
        ("/agents/capacity", json!({"kfId": NUL, "maxConversations": 3})),
        ("/auth/login", json!({"kfId": NUL, "password": NUL})),
    ];
    for (path, body) in posts {
        let (code, answer) = s.post(path, body).await;
        assert!(code < 500, "POST {path}: {code} {answer}");
    }
    let gets = [
        "/search?q=a%00b",
        "/chatLog/list?userId=a%00b&kfId=nul-agent&pageCount=10",
        "/chatLog/conversations?userId=a%00b",
        "/visitors/context?userId=a%00b",
        "/transcripts/customer?userId=a%00b",
        "/reports/agents?from=a%00b",
        "/offlineMessages/list?status=a%00b",
        "/webhooks/deliveries?event=a%00b",
        "/audit?actor=a%00b",
    ];
    for path in gets {
        let (code, answer) = s.get(path).await;
        assert!(code < 500, "GET {path}: {code} {answer}");
    }
    // Stored with its stand-in, like a chat message's NUL, and read back.
    let (_, list) = s.post("/sessionComm/sessionCommList", json!({"pageCount": 100})).await;
    assert!(list.to_string().contains("a\u{fffd}b"), "the phrase was kept: {list}");
    let (code, health) = s.get("/healthz").await;
    assert_eq!(code, 200, "no store error counted: {health}");
}
