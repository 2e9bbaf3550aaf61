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

/// A secret's rolled-up status (a fixed value or a live signal).
#[component]
pub fn StatusBadge(#[prop(into)] status: Signal<SecretStatus>) -> impl IntoView {
    view! {
        <span
            class=move || format!("badge badge-{}", intent(status.get()).0)
            data-status=move || status.get().as_str()
        >
            <span class="badge-icon" aria-hidden="true">{move || intent(status.get()).1}</span>
            {move || status.get().label()}
        </span>
    }
}

/// An assignment's status (the same look as the secret's).
#[component]
pub fn AssignmentBadge(#[prop(into)] status: Signal<AssignmentStatus>) -> impl IntoView {
    view! { <StatusBadge status=Signal::derive(move || as_secret(status.get())) /> }
}

/// The secret status that looks like an assignment status.
pub fn as_secret(status: AssignmentStatus) -> SecretStatus {
    match status {
        AssignmentStatus::Pending => SecretStatus::Pending,
        AssignmentStatus::Synced => SecretStatus::Synced,
        AssignmentStatus::SyncedError => SecretStatus::SyncedError,
        AssignmentStatus::Failed => SecretStatus::Failed,
        AssignmentStatus::Deleting => SecretStatus::Deleting,
        AssignmentStatus::DeleteFailed => SecretStatus::DeleteFailed,
    }
}
