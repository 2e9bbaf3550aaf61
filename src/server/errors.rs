//! Turning server-side failures into [`AppError`] without leaking their text.

use crate::error::AppError;

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
