//! A secret's history: its audit entries, latest first, each with what it changed.

use leptos::prelude::*;

use crate::components::format::utc_time;
use crate::model::listing::AuditEntry;

/// The audit entries of one secret, latest first: when, what, by whom, refused or not, and
/// under each edit the changes to its spec ("refresh interval 1h → 15m"), never a value.
/// Entries that changed no spec (or were written before changes were compared) show without.
#[component]
pub fn History(entries: Vec<AuditEntry>) -> impl IntoView {
    view! {
        <ol class="history">
            {entries
                .into_iter()
                .map(|entry| {
                    let changes = (!entry.changes.is_empty()).then(|| {
                        view! {
                            <ul class="changes" aria-label="Changes">
                                {entry
                                    .changes
                                    .iter()
                                    .map(|change| view! { <li>{change.clone()}</li> })
                                    .collect_view()}
                            </ul>
                        }
                    });
                    view! {
                        <li>
                            <time>{utc_time(entry.at)}</time>
                            " "
                            <strong>{entry.action.clone()}</strong>
                            {format!(" by {}", entry.actor)}
                            {(entry.outcome == "denied")
                                .then(|| view! { <span class="badge badge-danger">"denied"</span> })}
                            {entry
                                .detail
                                .clone()
                                .map(|d| view! { <span class="muted">{format!(" — {d}")}</span> })}
                            {changes}
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}
