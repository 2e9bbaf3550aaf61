//! "Sync all" for one project or one cluster, and its progress as the rows turn: counted from
//! the live status stream ("12 of 40 synced"), never from a timer.

use leptos::prelude::*;

use crate::api::sync::SyncAll;
use crate::components::contexts::{use_live, use_user_context};
use crate::components::unreachable::UnreachableNotice;
use crate::model::sync::SyncProgress;

/// A button that queues a re-sync of every assignment of `project_id` or of every project on
/// `cluster_id` (the server decides what the user may sync), then the progress of that sync.
#[component]
pub fn SyncAllButton(
    /// The project whose assignments to sync.
    #[prop(optional)]
    project_id: Option<i64>,
    /// The cluster whose projects' assignments to sync (admins).
    #[prop(optional)]
    cluster_id: Option<i64>,
    /// The button's accessible name, naming what it syncs ("Sync all in payments").
    #[prop(into)]
    label: String,
) -> impl IntoView {
    let user = use_user_context();
    let live = use_live();
    let sync = ServerAction::<SyncAll>::new();
    let csrf = move || user.signed_in().map(|u| u.csrf_token).unwrap_or_default();
    let pending = sync.pending();
    let outcome = move || {
        sync.value().get().map(|result| match result {
            Ok(batch) if batch.items.is_empty() => view! {
                <p class="muted sync-progress" role="status">"Nothing to sync."</p>
            }
            .into_any(),
            Ok(batch) => {
                let skipped = (batch.skipped > 0).then(|| {
                    format!(
                        " {} left alone (organization secrets are synced by admins; removals finish first).",
                        batch.skipped
                    )
                });
                let sentence = move || {
                    let progress = SyncProgress::of(&batch, |secret, project| {
                        live.assignment(secret, project)
                    });
                    let mut text = progress.sentence();
                    if progress.finished() {
                        text.push_str(" Done.");
                    }
                    text
                };
                view! {
                    <p class="sync-progress" role="status" aria-live="polite">
                        {sentence}
                        {skipped}
                    </p>
                }
                .into_any()
            }
            // Said beside the button, with Retry.
            Err(error) if error.is_unreachable() => ().into_any(),
            Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
        })
    };
    view! {
        <div class="sync-all">
            <ActionForm action=sync attr:class="inline-form">
                <input type="hidden" name="csrf" value=csrf />
                {project_id.map(|id| view! { <input type="hidden" name="project_id" value=id /> })}
                {cluster_id.map(|id| view! { <input type="hidden" name="cluster_id" value=id /> })}
                <button type="submit" class="button small" aria-label=label disabled=move || pending.get()>
                    "Sync all"
                </button>
            </ActionForm>
            {outcome}
            <UnreachableNotice action=sync />
        </div>
    }
    // Erased: it sits inside table rows, whose nested view types would otherwise outgrow
    // the compiler's recursion limit.
    .into_any()
}
