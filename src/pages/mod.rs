//! One routed page per file.

pub mod not_found_page;
pub mod projects_page;
pub mod secrets_page;
