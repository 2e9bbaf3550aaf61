//! Reusable widgets: what more than one page shows, and what every page shares (the app
//! shell, the sign-in gate and page loader, the contexts).

pub mod allowlist_note;
pub mod applied_objects;
pub mod assign_form;
pub mod assigned_to;
pub mod assignment_reason;
pub mod bulk_bar;
pub mod clipboard;
pub mod contexts;
pub mod created;
pub mod delete_form;
pub mod error_summary;
pub mod field_message;
pub mod flash;
pub mod format;
pub mod history;
pub mod key_removal_warning;
pub mod layout;
pub mod live;
pub mod load;
pub mod loaded;
pub mod name_link;
pub mod new_secret_links;
pub mod not_found;
pub mod permitted;
pub mod project_admin;
pub mod project_tab_table;
pub mod secrets_table;
pub mod selector_form;
pub mod selector_preview;
pub mod session;
pub mod status_badge;
pub mod sync_all_button;
pub mod unmanaged_objects;
pub mod unreachable;
pub mod used_by;
