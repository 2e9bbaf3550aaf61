//! The one error type the browser sees.
//!
//! Server-side layers have their own error enums; they convert into [`AppError`] in
//! `server/`, and anything unexpected becomes [`AppError::Internal`] with a reference id that
//! is logged on the server. No driver, cluster or secret text ever reaches this type.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// An error as shown to the user, serializable across the server-function boundary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppError {
    /// No valid session: the user must sign in.
    #[error("Sign in to continue.")]
    Unauthorized,
    /// Signed in, allowed to see the resource, but not to do this to it.
    #[error("You do not have permission to do that.")]
    Forbidden,
    /// Absent, or not visible to this user (we never reveal which).
    #[error("Not found.")]
    NotFound,
    /// Bad input: names the field and says what is allowed.
    #[error("{field}: {message}")]
    Validation {
        /// The form field (or JSON path) that was rejected.
        field: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// The request lost a race: for example a stale version.
    #[error("{message}")]
    Conflict {
        /// What conflicted and what to do about it.
        message: String,
    },
    /// A cluster could not be reached; the change is kept and applied later.
    #[error(
        "Cluster {cluster} cannot be reached right now; the change is saved and will be applied when it is back."
    )]
    ClusterUnavailable {
        /// The cluster's name.
        cluster: String,
    },
    /// Something unexpected; the server logged the detail under this id.
    #[error(
        "Something went wrong on the server (reference {id}). Try again, or give the reference to an admin."
    )]
    Internal {
        /// Correlates with a server log line.
        id: String,
    },
    /// The request itself failed: network trouble or a malformed request.
    #[error("The request could not be completed: {message}")]
    Request {
        /// A generic description that never echoes the request's content.
        message: String,
    },
}

impl AppError {
    /// The HTTP status a server function answers with when it fails with this error.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthorized => 401,
            AppError::Forbidden => 403,
            AppError::NotFound => 404,
            AppError::Validation { .. } => 422,
            AppError::Conflict { .. } => 409,
            AppError::ClusterUnavailable { .. } => 503,
            AppError::Internal { .. } => 500,
            AppError::Request { .. } => 400,
        }
    }

    /// Shorthand for a validation error on `field`.
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        // Decoding errors can quote the request body, which may hold a secret value: never
        // pass their text on.
        let message = match value {
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => {
                "the server could not be reached; check your connection and try again"
            }
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::Deserialization(_)
            | ServerFnErrorErr::Serialization(_)
            | ServerFnErrorErr::MissingArg(_) => "the request was malformed",
            ServerFnErrorErr::UnsupportedRequestMethod(_) => "that method is not supported here",
            ServerFnErrorErr::Registration(_) => "no such action",
            ServerFnErrorErr::ServerError(_) | ServerFnErrorErr::MiddlewareError(_) => {
                "the server failed to answer"
            }
        };
        AppError::Request {
            message: message.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_errors_never_echo_the_request() {
        let err = AppError::from_server_fn_error(ServerFnErrorErr::Deserialization(
            "invalid value: canary-value-123".into(),
        ));
        assert!(!err.to_string().contains("canary"));
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn validation_error_names_its_field() {
        let err = AppError::validation("name", "must be a lowercase RFC 1123 label");
        assert_eq!(err.to_string(), "name: must be a lowercase RFC 1123 label");
        assert_eq!(err.status(), 422);
    }

    #[test]
    fn errors_round_trip_as_json() {
        let err = AppError::Conflict {
            message: "stale".into(),
        };
        let json = serde_json::to_string(&err).unwrap();
        assert_eq!(json, r#"{"kind":"conflict","message":"stale"}"#);
        assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), err);
    }
}
