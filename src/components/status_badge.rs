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

/// A secret's rolled-up status (a fixed value or a live signal). With `detail` (the reason and
/// last sync), the badge can be focused and shows it on hover and focus.
#[component]
pub fn StatusBadge(
    #[prop(into)] status: Signal<SecretStatus>,
    #[prop(optional, into)] detail: Option<Signal<String>>,
) -> impl IntoView {
    let has_detail = detail.is_some();
    let detail_text = move || detail.map(|d| d.get()).filter(|d| !d.is_empty());
    view! {
        <span
            class=move || format!("badge badge-{}", intent(status.get()).0)
            data-status=move || status.get().as_str()
            data-detail=detail_text
            title=detail_text
            tabindex=has_detail.then_some("0")
            aria-label=move || detail_text().map(|d| format!("{}: {d}", status.get().label()))
        >
            <span class="badge-icon" aria-hidden="true">{move || intent(status.get()).1}</span>
            {move || status.get().label()}
        </span>
    }
}

/// An assignment's status (the same look as the secret's), with its reason and last sync.
#[component]
pub fn AssignmentBadge(
    #[prop(into)] status: Signal<AssignmentStatus>,
    #[prop(optional, into)] detail: Option<Signal<String>>,
) -> impl IntoView {
    match detail {
        Some(detail) => {
            view! { <StatusBadge status=Signal::derive(move || as_secret(status.get())) detail /> }
                .into_any()
        }
        None => view! { <StatusBadge status=Signal::derive(move || as_secret(status.get())) /> }
            .into_any(),
    }
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
