//! The status badge: text, icon and colour, never colour alone.

use leptos::prelude::*;

use crate::domain::status::SecretStatus;

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
