//! [`FrameError`]: why a server frame was rejected, with its message and its stable class name.

use crate::prelude::*;
use ::core::fmt;

/// Why a frame was rejected. The session logs it, counts it and carries on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// The text is not JSON.
    NotJson(String),
    /// Valid JSON, but not an object.
    NotObject,
    /// No `status` field, or one that is not an integer.
    BadStatus(String),
    /// A status this client does not know.
    UnknownStatus(i64),
    /// `data` is missing or has missing or wrong-typed fields.
    BadData {
        /// The frame's status.
        status: i64,
        /// What was wrong.
        detail: String,
    },
    /// A binary frame; the protocol is JSON text only.
    Binary {
        /// Its size in bytes.
        len: usize,
    },
    /// A text frame larger than the configured limit, dropped unparsed.
    TooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl FrameError {
    /// The human-readable message.
    pub fn message(&self) -> String {
        let mut b = itoa::Buffer::new();
        let mut c = itoa::Buffer::new();
        match self {
            FrameError::NotJson(e) => ["not JSON: ", e].concat(),
            FrameError::NotObject => "not a JSON object".into(),
            FrameError::BadStatus(e) => ["bad status: ", e].concat(),
            FrameError::UnknownStatus(s) => ["unknown status ", b.format(*s)].concat(),
            FrameError::BadData { status, detail } => ["status ", b.format(*status), ": bad data: ", detail].concat(),
            FrameError::Binary { len } => ["binary frame of ", b.format(*len), " bytes (only JSON text is spoken)"].concat(),
            FrameError::TooLarge { len, max } => {
                ["frame of ", b.format(*len), " chars exceeds the limit of ", c.format(*max)].concat()
            }
        }
    }

    /// A short stable name of the error class, for counters and the JS `reason` code.
    pub fn class(&self) -> &'static str {
        match self {
            FrameError::NotJson(_) => "not-json",
            FrameError::NotObject => "not-object",
            FrameError::BadStatus(_) => "bad-status",
            FrameError::UnknownStatus(_) => "unknown-status",
            FrameError::BadData { .. } => "bad-data",
            FrameError::Binary { .. } => "binary",
            FrameError::TooLarge { .. } => "too-large",
        }
    }
}
