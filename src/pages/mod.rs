//! One routed page per file.

pub mod audit_page;
pub mod choose_password_page;
pub mod login_page;
pub mod not_found_page;
pub mod project_secrets_tab;
pub mod projects_page;
pub mod secret_by_name_page;
pub mod secret_detail_page;
pub mod secret_form_page;
pub mod secrets_page;
pub mod stores_page;
pub mod tokens_page;
pub mod users_page;
