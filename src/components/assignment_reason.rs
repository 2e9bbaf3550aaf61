//! The reason cell of an assignment on a secret's page: which failure it is (one plain sentence
//! and what to do), why it is not Synced, said once and in the person's names, when the console
//! tries again, and the controller's own words on demand.

use leptos::prelude::*;

use crate::components::contexts::use_live;
use crate::components::format::utc_time;
use crate::domain::reason_words::shown_failure;
use crate::domain::reason_words::{KeyNames, shown_once};
use crate::domain::status::{AssignmentStatus, FailureClass};
use crate::model::listing::AssignmentDetail;
use crate::model::secret::SecretSpec;

/// An assignment's failure class, when it is one a user can act on (its sentence and what to
/// do, with the store's own condition for a store that is not Ready), then its reason and the
/// controller's latest warning, following live events: when
/// one repeats the other only one shows, paths such as `spec.data[1]` read as the key the
/// person named (`domain::reason_words`), and the messages as the cluster worded them stay
/// one click away ("Controller message"). Then the retry, if one is due.
#[component]
pub fn AssignmentReason(
    secret_id: i64,
    assignment: AssignmentDetail,
    spec: SecretSpec,
) -> impl IntoView {
    let live = use_live();
    let project_id = assignment.project.id;
    let (initial_status, initial_reason) = (assignment.status, assignment.reason);
    let (initial_failure, store_condition) = (assignment.failure, assignment.store_condition);
    let initial_warning = assignment.last_warning;
    let names = KeyNames::of(&spec);
    let class_spec = spec;
    let class_warning = initial_warning.clone();
    // Which failure it is: recorded with a refusal, or told from ESO's warning (both live).
    let failure = Memo::new(move |_| {
        let (status, recorded, warning) = match live.assignment(secret_id, project_id) {
            Some(a) => (a.status, a.failure, a.warning),
            None => (initial_status, initial_failure, class_warning.clone()),
        };
        shown_failure(status, recorded, warning.as_deref(), &class_spec)
    });
    // A memo: the cell (and an opened "Controller message") is redrawn only when what it says
    // changes, not on every event about the secret.
    let shown = Memo::new(move |_| {
        let (status, reason, warning) = match live.assignment(secret_id, project_id) {
            Some(a) => (a.status, a.reason, a.warning),
            None => (
                initial_status,
                initial_reason.clone(),
                initial_warning.clone(),
            ),
        };
        // A warning from before the latest sync is history, not news.
        let warning = warning.filter(|_| status != AssignmentStatus::Synced);
        shown_once(reason.as_deref(), warning.as_deref(), &names)
    });
    let retry = assignment.retry.map(|r| {
        view! {
            <p class="retry" data-next-retry=r.next_at>
                {format!("Retrying at {} (attempt {})", utc_time(r.next_at), r.attempts + 1)}
                {r.last_error.map(|e| view! { <span class="muted">{format!(": last attempt: {e}")}</span> })}
            </p>
        }
    });
    view! {
        {move || {
            failure
                .get()
                .map(|class| {
                    let store = store_condition
                        .clone()
                        .filter(|_| class == FailureClass::StoreNotReady)
                        .map(|c| view! { <span class="store-condition">{format!(" The store says: {c}")}</span> });
                    view! {
                        <p class="failure" data-failure=class.as_str()>
                            <strong>{class.sentence()}</strong>
                            {store}
                            " "
                            {class.what_to_do()}
                        </p>
                    }
                })
        }}
        {move || shown.get().reason}
        {retry}
        {move || {
            shown
                .get()
                .warning
                .map(|w| view! { <p class="warning"><span class="muted">"Controller warning: "</span>{w}</p> })
        }}
        {move || {
            let raw = shown.get().controller_message;
            (!raw.is_empty())
                .then(|| {
                    view! {
                        <details class="controller-message">
                            <summary>"Controller message"</summary>
                            {raw.into_iter().map(|m| view! { <p><code>{m}</code></p> }).collect_view()}
                        </details>
                    }
                })
        }}
    }
}
