//! Secret services: create, update, assign, unassign, delete, sync, list and detail.
//!
//! Server-only and independent of HTTP: server functions authorize, then call these. Every
//! change runs in one transaction that also updates the rollup, queues the cluster work and
//! appends the audit entry, so nothing half-written survives an error.

mod applied;
mod assignment_rows;
mod assignments;
mod commands;
mod names;
mod project_tab;
mod read;
mod record;
mod selector_rows;
mod selectors;
mod status;
mod store_conditions;
mod sync_all;
mod unmanaged;
mod used_by;
mod values;

pub mod protected;

pub use crate::domain::permissions::Visibility;
pub use applied::applied_manifests;
pub use assignment_rows::{end_adoption, end_take_over};
pub use assignments::{AssignmentDiff, change_projects, set_assignments, unassign};
pub use commands::{
    NewSecret, SecretChanges, adopt, create, create_assigning, delete, request_sync, update,
};
pub use names::{ids_by_name, name_path};
pub use project_tab::{assignable_to, project_rows};
pub use read::{SecretAccess, access, assign_options, detail, list, name_of};
pub(crate) use record::lock_secret;
pub use selectors::{follow_project_labels, preview, selector_matches, set_selectors};
pub use status::{Report, kept_warning, observe, observe_all, observe_all_in, record_warning};
pub use store_conditions::add_store_conditions;
pub use sync_all::{SyncScope, sync_all};
pub use unmanaged::{list_unmanaged, manage};
pub use used_by::used_by;
pub use values::decrypt_values;
pub(crate) use values::sealed_from_row;

pub use crate::server::errors::ServiceError;
