//! Reusable widgets.

pub mod format;
pub mod layout;
pub mod session;
pub mod status_badge;
