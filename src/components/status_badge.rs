//! The status badge: text, icon and colour, never colour alone.

use leptos::prelude::*;

use crate::domain::status::{AssignmentStatus, SecretStatus};

/// The badge's intent, which picks its colour and icon.
pub fn intent(status: SecretStatus) -> (&'static str, &'static str) {
    match status {
        SecretStatus::Synced => ("success", "✓"),
        SecretStatus::Pending | SecretStatus::PartiallySynced | SecretStatus::Deleting => {
            ("progress", "◌")
        }
        SecretStatus::SyncedError | SecretStatus::Failed | SecretStatus::DeleteFailed => {
            ("danger", "!")
        }
        SecretStatus::Unassigned => ("neutral", ""),
    }
}

/// A secret's rolled-up status.
#[component]
pub fn StatusBadge(status: SecretStatus) -> impl IntoView {
    let (intent, icon) = intent(status);
    view! {
        <span class=format!("badge badge-{intent}") data-status=status.as_str()>
            <span class="badge-icon" aria-hidden="true">{icon}</span>
            {status.label()}
        </span>
    }
}

/// An assignment's status (the same look as the secret's).
#[component]
pub fn AssignmentBadge(status: AssignmentStatus) -> impl IntoView {
    let as_secret = match status {
        AssignmentStatus::Pending => SecretStatus::Pending,
        AssignmentStatus::Synced => SecretStatus::Synced,
        AssignmentStatus::SyncedError => SecretStatus::SyncedError,
        AssignmentStatus::Failed => SecretStatus::Failed,
        AssignmentStatus::Deleting => SecretStatus::Deleting,
        AssignmentStatus::DeleteFailed => SecretStatus::DeleteFailed,
    };
    view! { <StatusBadge status=as_secret /> }
}
