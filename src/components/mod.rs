//! Reusable widgets: what more than one page shows, and what every page shares (the app
//! shell, the sign-in gate and page loader, the contexts).

pub mod assign_form;
pub mod contexts;
pub mod created;
pub mod delete_form;
pub mod field_message;
pub mod format;
pub mod layout;
pub mod live;
pub mod load;
pub mod loaded;
pub mod not_found;
pub mod permitted;
pub mod secrets_table;
pub mod session;
pub mod status_badge;
