//! NUL characters in what the HTTP API takes. PostgreSQL's text refuses NUL, so a `\u0000` in a
//! JSON body or a `%00` in a URL was a store error (500, counted as the store failing) on
//! PostgreSQL and an "unterminated string" in SQLite's full-text query. As the socket frames do
//! (`protocol::parse_json`), every NUL becomes U+FFFD before a handler sees it, on both stores.
//! Sockets are left alone: their frames are cleaned as they are parsed, and ids are checked.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The largest JSON or form body cleaned here (the JSON extractor's own default limit).
const MAX_TEXT_BODY: usize = 2 * 1024 * 1024;

/// `%00` percent-decodes to NUL, and nothing else does (a literal `%00` is sent as `%2500`).
const ENCODED_NUL: &str = "%00";
const ENCODED_FFFD: &str = "%EF%BF%BD";

/// The middleware: cleans the URI, and JSON and form bodies that hold a NUL.
pub async fn clean(req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/websocket/") {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let uri = parts.uri.to_string();
    if uri.contains(ENCODED_NUL) {
        match uri.replace(ENCODED_NUL, ENCODED_FFFD).parse::<Uri>() {
            Ok(uri) => parts.uri = uri,
            Err(_) => return (StatusCode::BAD_REQUEST, "bad URI").into_response(),
        }
    }
    let kind = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let json = kind.starts_with("application/json");
    let form = kind.starts_with("application/x-www-form-urlencoded");
    if !json && !form {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_TEXT_BODY).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    let cleaned = if json { clean_json(&bytes) } else { clean_form(&bytes) };
    let body = cleaned.map_or_else(|| Body::from(bytes), Body::from);
    parts.headers.remove(header::CONTENT_LENGTH);
    next.run(Request::from_parts(parts, body)).await
}

/// A JSON body with its NULs replaced, or `None` when it has none (or is not JSON: the handler
/// then says so as it would).
fn clean_json(bytes: &[u8]) -> Option<Vec<u8>> {
    // JSON carries a NUL only as the escape `\u0000`.
    if !bytes.windows(6).any(|w| w == b"\\u0000") {
        return None;
    }
    let mut v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    crate::protocol::replace_nul(&mut v);
    serde_json::to_vec(&v).ok()
}

/// A form body with its NULs replaced, or `None` when it has none.
fn clean_form(bytes: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(bytes).ok()?;
    text.contains(ENCODED_NUL).then(|| text.replace(ENCODED_NUL, ENCODED_FFFD).into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_real_nuls_are_replaced() {
        let cleaned = clean_json(br#"{"a":"x\u0000y","b":["\u0000"],"c":"\\u0000"}"#).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&cleaned).unwrap();
        assert_eq!(v["a"], "x\u{fffd}y");
        assert_eq!(v["b"][0], "\u{fffd}");
        assert_eq!(v["c"], "\\u0000", "an escaped backslash before u0000 is text, kept");
        assert_eq!(clean_json(br#"{"a":"plain"}"#), None);
        assert_eq!(clean_form(b"q=a%00b&r=%2500").unwrap(), b"q=a%EF%BF%BDb&r=%2500");
    }
}
