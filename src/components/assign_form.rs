//! The assign form of an organization secret: which projects it is assigned to.

use leptos::prelude::*;

use crate::api::secrets::SetAssignments;
use crate::model::listing::AssignOption;

/// Assign to projects (for who may assign it): a searchable list of checkboxes, one per
/// project; projects where the name is taken are shown, disabled, with the reason. Posts the
/// whole set to `action`; works without JavaScript (the search box needs it).
#[component]
pub fn AssignForm(
    secret_id: i64,
    csrf: String,
    options: Vec<AssignOption>,
    action: ServerAction<SetAssignments>,
) -> impl IntoView {
    let filter = RwSignal::new(String::new());
    view! {
        <h2 id="assign">"Assign to projects"</h2>
        <ActionForm action attr:class="form assign-form">
            <input type="hidden" name="csrf" value=csrf />
            <input type="hidden" name="id" value=secret_id />
            <label for="assign-filter">"Find a project"</label>
            <input
                id="assign-filter"
                type="search"
                autocomplete="off"
                placeholder="name, cluster or namespace"
                on:input=move |ev| filter.set(event_target_value(&ev).to_lowercase())
            />
            <fieldset class="project-choices">
                <legend class="visually-hidden">"Projects"</legend>
                {options
                    .into_iter()
                    .enumerate()
                    .map(|(i, option)| {
                        let haystack = format!("{} {} {}", option.project.name, option.cluster, option.namespace).to_lowercase();
                        let hidden = move || {
                            let wanted = filter.get();
                            !wanted.is_empty() && !haystack.contains(&wanted)
                        };
                        let blocked = option.collision.is_some();
                        // A blocked choice is described by why (it is no error to fix here).
                        let reason_id = format!("assign-{}-reason", option.project.id);
                        let described = blocked.then(|| reason_id.clone());
                        view! {
                            <label class="choice" class:blocked=blocked hidden=hidden>
                                <input
                                    type="checkbox"
                                    name=format!("project_ids[{i}]")
                                    value=option.project.id
                                    checked=option.assigned
                                    disabled=blocked && !option.assigned
                                    aria-describedby=described
                                />
                                <span>{option.project.name.clone()}</span>
                                <span class="muted">{format!(" {} / {}", option.cluster, option.namespace)}</span>
                                {option.collision.clone().map(|c| view! { <span class="field-error" id=reason_id>{format!(" — {c}")}</span> })}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <button type="submit" class="button primary" disabled=move || action.pending().get()>
                {move || if action.pending().get() { "Saving…" } else { "Save assignments" }}
            </button>
        </ActionForm>
    }
}
