//! The replies of the HTTP API, in LayIM's `{"code":0,"msg":…,"data":…}` shape: successes,
//! refusals with their HTTP status, and the check for a required field. Every handler module uses
//! these; this module uses none of them.

use crate::hub::HubError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
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

