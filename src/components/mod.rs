//! Reusable widgets.

pub mod format;
pub mod layout;
pub mod live;
pub mod session;
pub mod status_badge;
