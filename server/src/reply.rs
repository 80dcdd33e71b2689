//! The replies of the HTTP API, in LayIM's `{"code":0,"msg":…,"data":…}` shape: successes,
//! refusals with their HTTP status, the check for a required field and for a JSON body, and the
//! middleware that gives axum's own refusals the same shape. Every handler module uses these; this
//! module uses none of them.

use crate::hub::HubError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::extract::rejection::JsonRejection;
use axum::Json;
use serde_json::{json, Value};

/// A LayIM-style JSON reply.
pub struct Reply(StatusCode, Value);

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut r = (self.0, Json(self.1)).into_response();
        r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    }
}

/// A success in LayIM's response shape.
pub(crate) fn ok(msg: &str, data: Value) -> Reply {
    Reply(StatusCode::OK, json!({"code": 0, "msg": msg, "data": data}))
}

/// A refusal in LayIM's response shape, with its HTTP status.
pub(crate) fn fail(status: u16, msg: &str) -> Reply {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    Reply(status, json!({"code": status.as_u16(), "msg": msg, "data": null}))
}

impl From<HubError> for Reply {
    fn from(e: HubError) -> Reply {
        fail(e.status, &e.msg)
    }
}

/// The trimmed, non-empty value of a required field, or a 400 naming it.
pub(crate) fn required<'a>(v: &'a Option<String>, name: &str) -> Result<&'a str, Reply> {
    match v.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(fail(400, &format!("`{name}` is required"))),
    }
}


/// A JSON body, or a 400 in the API's shape saying what is wrong with it. Handlers that check the
/// caller's role take the body as a `Result` and call this after the check, so a wrong role is a
/// 403 whatever it sent.
pub(crate) fn body<T>(b: Result<Json<T>, JsonRejection>) -> Result<T, Reply> {
    b.map(|Json(t)| t).map_err(|e| fail(400, &format!("bad request body: {}", e.body_text())))
}

/// The largest refusal text rewritten by [`refusals_in_shape`] (axum's own are a line or two).
const MAX_REFUSAL_TEXT: usize = 16 * 1024;

/// Middleware: a refusal that is not JSON yet (axum's extractors answer a bad query string, a
/// broken multipart body or a wrong method in plain text) gets the API's `{code, msg, data}`
/// shape, with the text as `msg`, so a client reads every refusal the same way.
pub async fn refusals_in_shape(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let r = next.run(req).await;
    let status = r.status();
    let json = r.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || json {
        return r;
    }
    let (mut parts, body) = r.into_parts();
    let text = match axum::body::to_bytes(body, MAX_REFUSAL_TEXT).await {
        Ok(b) if !b.is_empty() => String::from_utf8_lossy(&b).trim().to_owned(),
        _ => status.canonical_reason().unwrap_or("refused").to_lowercase(),
    };
    // Its other headers (a 405's `Allow`) stay.
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let json = json!({"code": status.as_u16(), "msg": text, "data": null});
    Response::from_parts(parts, axum::body::Body::from(json.to_string()))
}
