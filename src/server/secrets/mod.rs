//! Secret services: create, update, assign, unassign, delete, sync, list and detail.
//!
//! Server-only and independent of HTTP: server functions authorize, then call these. Every
//! change runs in one transaction that also updates the rollup, queues the cluster work and
//! appends the audit entry, so nothing half-written survives an error.

mod read;
mod write;

pub mod protected;

pub use read::{SecretAccess, Visibility, access, assign_options, detail, list, name_of};
pub(crate) use write::lock_secret;
pub(crate) use write::sealed_from_row;
pub use write::{
    AssignmentDiff, NewSecret, SecretChanges, adopt, change_projects, create, decrypt_values,
    delete, observe, request_sync, set_assignments, unassign, update,
};

use crate::domain::validation::FieldError;
use crate::error::AppError;

use super::crypto::CryptoError;

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
            other => super::errors::internal(&other),
        }
    }
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

fn invalid(field: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(FieldError {
        field: field.to_owned(),
        message: message.into(),
    })
}
