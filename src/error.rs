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
    /// The server is at a limit it keeps to protect everyone (503, with Retry-After).
    #[error("{message}")]
    Busy {
        /// What happened and what to do.
        message: String,
        /// Seconds to wait before trying again.
        retry_after: u32,
    },
    #[error("The request could not be completed: {message}")]
    Request {
        /// What the request got wrong: the field the decoder named (a missing or unknown
        /// one), or `request` when it could not say (a body that is not JSON at all).
        #[serde(default)]
        field: String,
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
            AppError::ClusterUnavailable { .. } | AppError::Busy { .. } => 503,
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
        // pass their text on, only a field name the decoder gave.
        let (message, field) = match &value {
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => (
                "the server could not be reached; check your connection and try again",
                None,
            ),
            ServerFnErrorErr::MissingArg(name) => (
                "the request was malformed",
                named_field(&format!("missing field `{name}`")),
            ),
            ServerFnErrorErr::Args(text)
            | ServerFnErrorErr::Deserialization(text)
            | ServerFnErrorErr::Serialization(text) => {
                ("the request was malformed", named_field(text))
            }
            ServerFnErrorErr::UnsupportedRequestMethod(_) => {
                ("that method is not supported here", None)
            }
            ServerFnErrorErr::Registration(_) => ("no such action", None),
            // The server's own failure stays a server error (500), never the client's fault.
            ServerFnErrorErr::ServerError(_) | ServerFnErrorErr::MiddlewareError(_) => {
                return AppError::Internal {
                    id: "unrecorded".to_owned(),
                };
            }
        };
        AppError::Request {
            field: field.unwrap_or_else(|| "request".to_owned()),
            message: message.to_owned(),
        }
    }
}

/// The field a decoder's message names (`missing field `name``), when it is a plain field
/// name: never a value, which the message may also quote.
fn named_field(text: &str) -> Option<String> {
    ["missing field `", "unknown field `", "duplicate field `"]
        .iter()
        .filter_map(|marker| text.split_once(marker))
        .filter_map(|(_, rest)| rest.split_once('`'))
        .map(|(name, _)| name)
        .find(|name| {
            !name.is_empty()
                && name.len() <= 64
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '[' | ']'))
        })
        .map(str::to_owned)
}

/// One rejected field: which one, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The form field or JSON path, e.g. `name` or `data[2].secret_key`.
    pub field: String,
    /// What is wrong and what is allowed, in plain words.
    pub message: String,
}

impl FieldError {
    /// A rejection of `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}

impl From<FieldError> for AppError {
    fn from(error: FieldError) -> Self {
        AppError::Validation {
            field: error.field,
            message: error.message,
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
    fn a_decoding_error_names_the_field_it_can_but_never_a_value() {
        let field = |text: &str| match AppError::from_server_fn_error(
            ServerFnErrorErr::Deserialization(text.into()),
        ) {
            AppError::Request { field, .. } => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field("missing field `csrf` at line 1 column 2"), "csrf");
        assert_eq!(field("invalid value: `canary-x`, expected u8"), "request");
        assert_eq!(field("unknown field `a b`"), "request");
        assert_eq!(field("expected value at line 1 column 1"), "request");
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
