//! [`ErrorCode`]: every stable error code the JS API throws, and [`SessionError`], why the core
//! refused an agent action.

use crate::prelude::*;

/// The stable `code` of every error thrown to JavaScript (a `KefuError`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// The config object passed to the constructor is invalid.
    InvalidConfig,
    /// A method argument is missing or malformed.
    InvalidArgument,
    /// The socket is not open; try again once connected.
    NotConnected,
    /// No waiting customer has that id.
    UnknownCustomer,
    /// No pending transfer has that id.
    UnknownTransfer,
    /// The server does not offer the extension this needs.
    NotSupported,
}

impl ErrorCode {
    /// Every code, in the order the TypeScript declarations list them.
    pub const ALL: [ErrorCode; 6] = [
        ErrorCode::InvalidConfig,
        ErrorCode::InvalidArgument,
        ErrorCode::NotConnected,
        ErrorCode::UnknownCustomer,
        ErrorCode::UnknownTransfer,
        ErrorCode::NotSupported,
    ];

    /// The code as JS sees it (`err.code`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidConfig => "INVALID_CONFIG",
            ErrorCode::InvalidArgument => "INVALID_ARGUMENT",
            ErrorCode::NotConnected => "NOT_CONNECTED",
            ErrorCode::UnknownCustomer => "UNKNOWN_CUSTOMER",
            ErrorCode::UnknownTransfer => "UNKNOWN_TRANSFER",
            ErrorCode::NotSupported => "NOT_SUPPORTED",
        }
    }
}

/// Why an agent action was refused. Nothing is lost: the customer or transfer stays pending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionError {
    /// The socket is not open; try again once connected.
    NotConnected,
    /// No waiting customer has that id.
    UnknownCustomer(String),
    /// No pending transfer has that id.
    UnknownTransfer(String),
    /// An argument is empty or malformed.
    InvalidArgument(String),
    /// The server does not offer this extension.
    NotSupported(&'static str),
}

impl SessionError {
    /// The stable error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            SessionError::NotConnected => ErrorCode::NotConnected,
            SessionError::UnknownCustomer(_) => ErrorCode::UnknownCustomer,
            SessionError::UnknownTransfer(_) => ErrorCode::UnknownTransfer,
            SessionError::InvalidArgument(_) => ErrorCode::InvalidArgument,
            SessionError::NotSupported(_) => ErrorCode::NotSupported,
        }
    }

    /// The human-readable message (`err.message` in JS).
    pub fn message(&self) -> String {
        match self {
            SessionError::NotConnected => "not connected: the socket is not open".into(),
            SessionError::UnknownCustomer(id) => ["no waiting customer with id \"", id, "\""].concat(),
            SessionError::UnknownTransfer(id) => ["no pending transfer for customer \"", id, "\""].concat(),
            SessionError::InvalidArgument(m) => m.clone(),
            SessionError::NotSupported(ext) => ["the server does not offer the \"", ext, "\" extension"].concat(),
        }
    }
}

impl ::core::fmt::Display for SessionError {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        f.write_str(&self.message())
    }
}
