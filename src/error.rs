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
    /// Bad input in several fields: every problem found, in field order, so a form can show
    /// each beside its field at once. Never empty.
    #[error("{}", list(errors))]
    Invalid {
        /// Each refused field and what to do about it.
        errors: Vec<FieldError>,
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
    /// The server is at a limit it keeps to protect everyone (503, with Retry-After).
    #[error("{message}")]
    Busy {
        /// What happened and what to do.
        message: String,
        /// Seconds to wait before trying again.
        retry_after: u32,
    },
    /// The request never got an answer: the server is away (stopped, restarting) or the
    /// network is down. Made in the browser only; nothing was changed that the person saw.
    #[error("Could not reach the server.")]
    Unreachable,
    /// The request itself was malformed.
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
            AppError::Validation { .. } | AppError::Invalid { .. } => 422,
            AppError::Conflict { .. } => 409,
            AppError::ClusterUnavailable { .. } | AppError::Busy { .. } | AppError::Unreachable => {
                503
            }
            AppError::Internal { .. } => 500,
            AppError::Request { .. } => 400,
        }
    }

    /// Every problem of `errors` at once: the one error for a single problem, [`Ok`] for none.
    pub fn invalid(mut errors: Vec<FieldError>) -> Result<(), Self> {
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0).into()),
            _ => Err(AppError::Invalid { errors }),
        }
    }

    /// Every field problem this error names: one for [`AppError::Validation`], all of them
    /// for [`AppError::Invalid`], none otherwise.
    pub fn field_errors(&self) -> Vec<FieldError> {
        match self {
            AppError::Validation { field, message } => vec![FieldError::new(field, message)],
            AppError::Invalid { errors } => errors.clone(),
            _ => Vec::new(),
        }
    }

    /// Whether the server never answered (see [`AppError::Unreachable`]): the page keeps
    /// what it shows and offers to send the request again.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, AppError::Unreachable)
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
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => {
                return AppError::Unreachable;
            }
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

/// Problems, one after the other, each with its field's name in words.
fn list(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", field_label(&e.field), e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A field's name as a person knows it, from the name the rules give it: `data[0].remote_key`
/// is "Key 1 — remote key", `keys[1]` "Key 2", `values.password` "Value of password",
/// `project_ids` "Projects". Every form names a field's problem with this (the one place field
/// paths get their words).
pub fn field_label(field: &str) -> String {
    const NAMED: [(&str, &str); 22] = [
        ("name", "Name"),
        ("use_case", "Use case"),
        ("description", "Description"),
        ("kind", "Type"),
        ("scope", "Scope"),
        ("store", "Store"),
        ("refresh_interval", "Refresh interval"),
        ("secret_type", "Secret type"),
        ("data", "Keys"),
        ("keys", "Keys"),
        ("values", "Values"),
        ("project_ids", "Projects"),
        ("project_id", "Project"),
        ("ids", "Secrets"),
        ("confirm", "Confirmation"),
        ("email", "Email"),
        ("action", "Action"),
        ("stores", "Stores"),
        ("key_prefixes", "Key prefixes"),
        ("project_labels", "Labels"),
        ("selectors", "Selectors"),
        ("assign_to", "Assign to projects"),
    ];
    if let Some((_, label)) = NAMED.iter().find(|(name, _)| *name == field) {
        return (*label).to_owned();
    }
    if let Some(key) = field.strip_prefix("values.") {
        return format!("Value of {key}");
    }
    let entry = |rest: &str| -> Option<(usize, String)> {
        let (index, column) = rest.split_once(']')?;
        Some((
            index.parse::<usize>().ok()? + 1,
            column.trim_start_matches('.').replace('_', " "),
        ))
    };
    if let Some((n, column)) = field.strip_prefix("data[").and_then(entry) {
        let column = if column == "secret key" {
            "target key".to_owned()
        } else {
            column
        };
        return if column.is_empty() {
            format!("Key {n}")
        } else {
            format!("Key {n} — {column}")
        };
    }
    if let Some((n, _)) = field.strip_prefix("keys[").and_then(entry) {
        return format!("Key {n}");
    }
    let words = field.replace(['_', '.'], " ");
    let mut chars = words.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
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
    fn a_request_that_never_got_an_answer_is_unreachable() {
        let err = AppError::from_server_fn_error(ServerFnErrorErr::Request(
            "TypeError: Failed to fetch".into(),
        ));
        assert!(err.is_unreachable());
        assert_eq!(err.to_string(), "Could not reach the server.");
    }

    #[test]
    fn validation_error_names_its_field() {
        let err = AppError::validation("name", "must be a lowercase RFC 1123 label");
        assert_eq!(err.to_string(), "name: must be a lowercase RFC 1123 label");
        assert_eq!(err.status(), 422);
    }

    #[test]
    fn field_paths_are_named_in_words() {
        assert_eq!(field_label("data[0].remote_key"), "Key 1 — remote key");
        assert_eq!(field_label("data[2].secret_key"), "Key 3 — target key");
        assert_eq!(field_label("keys[1]"), "Key 2");
        assert_eq!(field_label("values.password"), "Value of password");
        assert_eq!(field_label("project_ids"), "Projects");
        assert_eq!(field_label("refresh_interval"), "Refresh interval");
        assert_eq!(field_label("namespace"), "Namespace");
    }

    #[test]
    fn several_problems_are_one_error_that_lists_them_all() {
        assert_eq!(AppError::invalid(Vec::new()), Ok(()));
        let one = AppError::invalid(vec![FieldError::new("name", "too long")]);
        assert_eq!(one, Err(AppError::validation("name", "too long")));
        let Err(two) = AppError::invalid(vec![
            FieldError::new("name", "too long"),
            FieldError::new("data[0].remote_key", "must not be empty"),
        ]) else {
            panic!("two problems")
        };
        assert_eq!(two.status(), 422);
        assert_eq!(
            two.to_string(),
            "Name: too long; Key 1 — remote key: must not be empty"
        );
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
