//! [`PersistedMessage`]: a chat message as it is kept and handed on (durable storage, another tab).

use crate::prelude::*;
use super::scalar::Scalar;

/// A chat message as durable storage keeps it: enough to send it again from another page load,
/// under the same message id (so the server de-duplicates it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersistedMessage {
    /// Its message id (`msgId` under the `ack` extension), unique across page loads.
    pub msg_id: String,
    /// The customer.
    pub user_id: Scalar,
    /// The customer's name.
    pub user_name: String,
    /// The text.
    pub content: String,
}
