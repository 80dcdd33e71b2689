//! Results whose error is a message for a person (start-up and admin commands).

/// A result whose error is a human message.
pub type Result<T> = std::result::Result<T, String>;
