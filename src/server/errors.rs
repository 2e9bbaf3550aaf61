//! The server's own failures, and turning them into [`AppError`] without leaking their text.

use crate::domain::validation::FieldError;
use crate::error::AppError;

use super::crypto::CryptoError;

/// Logs `error` with a fresh reference id and returns [`AppError::Internal`] carrying that id.
pub fn internal(error: &dyn std::fmt::Display) -> AppError {
    let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    tracing::error!(reference = %id, %error, "internal error");
    AppError::Internal { id }
}

/// The application state was not provided to a server function: a wiring bug.
pub fn missing_state() -> AppError {
    internal(&"application state missing from the request context")
}

/// Failures of the secret services.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Bad input, naming the field.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// No such secret or project.
    #[error("not found")]
    NotFound,
    /// A lost race or a state that forbids the change, in words the user can act on.
    #[error("{0}")]
    Conflict(String),
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// Values could not be encrypted or decrypted.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

impl From<ServiceError> for AppError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Invalid(field) => field.into(),
            ServiceError::NotFound => AppError::NotFound,
            ServiceError::Conflict(message) => AppError::Conflict { message },
            ServiceError::Db(ref db) if is_unique_violation(db) => AppError::Conflict {
                message: "Another change to the same secret happened at the same time; reload and try again.".to_owned(),
            },
            other => internal(&other),
        }
    }
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

/// A validation failure of `field`.
pub(crate) fn invalid(field: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(FieldError {
        field: field.to_owned(),
        message: message.into(),
    })
}
