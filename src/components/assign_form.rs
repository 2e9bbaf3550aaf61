//! The assign form of an organization secret: which projects it is assigned to.

use std::collections::BTreeSet;

use leptos::prelude::*;

use crate::api::secrets::SetAssignments;
use crate::components::flash::posted_ids;
use crate::components::unreachable::UnreachableNotice;
use crate::components::used_by::UsedByWarning;
use crate::model::listing::AssignOption;

/// Assign to projects (for who may assign it): a searchable list of checkboxes, one per
/// project; projects where the name is taken are shown, disabled, with the reason. "Select
/// all shown" and "Clear" act on the choices, a live count says how many are chosen, and the
/// search box empties after a save. Posts the whole set to `action`; works without JavaScript
/// (the search box and the two buttons need it, and appear only once the page runs; a refused
/// save comes back with the boxes as the person ticked them).
#[component]
pub fn AssignForm(
    secret_id: i64,
    csrf: String,
    options: Vec<AssignOption>,
    action: ServerAction<SetAssignments>,
) -> impl IntoView {
    let filter = RwSignal::new(String::new());
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let assigned: BTreeSet<i64> = options
        .iter()
        .filter(|o| o.assigned)
        .map(|o| o.project.id)
        .collect();
    // The boxes that can be ticked: a blocked project's is disabled (and never sent).
    let tickable: BTreeSet<i64> = options
        .iter()
        .filter(|o| o.collision.is_none() || o.assigned)
        .map(|o| o.project.id)
        .collect();
    // Without JavaScript, a refused save comes back here: the boxes as the person ticked them
    // (but one blocked since), until an answer of the running page's own says otherwise.
    let posted = posted_ids("set_assignments", "project_ids", move |failed| {
        failed.field("id") == Some(secret_id.to_string().as_str())
    });
    let posted = Signal::derive(move || {
        posted.get().map(|ids| {
            ids.intersection(&tickable)
                .copied()
                .collect::<BTreeSet<i64>>()
        })
    });
    // What the person ticked since; until then, what was posted or is saved.
    let picked = RwSignal::new(None::<BTreeSet<i64>>);
    let chosen = Signal::derive(move || {
        picked
            .get()
            .or_else(|| {
                posted
                    .get()
                    .filter(|_| action.value().with(Option::is_none))
            })
            .unwrap_or_else(|| assigned.clone())
    });
    let change = move |edit: &dyn Fn(&mut BTreeSet<i64>)| {
        let mut set = chosen.get_untracked();
        edit(&mut set);
        picked.set(Some(set));
    };
    // After a save, the search starts again from every project.
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            filter.set(String::new());
        }
    });
    // What "Select all shown" may pick: shown, and not blocked by a collision.
    let pickable: Vec<(i64, String)> = options
        .iter()
        .filter(|o| o.collision.is_none())
        .map(|o| (o.project.id, haystack(o)))
        .collect();
    let select_shown = move |_| {
        let wanted = filter.get_untracked();
        change(&|set| {
            set.extend(
                pickable
                    .iter()
                    .filter(|(_, hay)| wanted.is_empty() || hay.contains(&wanted))
                    .map(|(id, _)| *id),
            );
        });
    };
    let count = move || match chosen.with(BTreeSet::len) {
        1 => "1 project selected".to_owned(),
        n => format!("{n} projects selected"),
    };
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
                prop:value=move || filter.get()
                on:input=move |ev| filter.set(event_target_value(&ev).to_lowercase())
            />
            <div class="assign-tools">
                {move || hydrated.get().then(|| view! {
                    <button type="button" class="button small" on:click=select_shown.clone()>"Select all shown"</button>
                    <button type="button" class="button small" on:click=move |_| change(&BTreeSet::clear)>"Clear"</button>
                })}
                <span class="muted" id="assign-count" aria-live="polite">{count}</span>
            </div>
            <fieldset class="project-choices">
                <legend class="visually-hidden">"Projects"</legend>
                {options
                    .into_iter()
                    .enumerate()
                    .map(|(i, option)| {
                        let hay = haystack(&option);
                        let hidden = move || {
                            let wanted = filter.get();
                            !wanted.is_empty() && !hay.contains(&wanted)
                        };
                        let blocked = option.collision.is_some();
                        let id = option.project.id;
                        let was_assigned = option.assigned;
                        // A blocked choice is described by why (it is no error to fix here).
                        let reason_id = format!("assign-{id}-reason");
                        let described = blocked.then(|| reason_id.clone());
                        view! {
                            <label class="choice" class:blocked=blocked hidden=hidden>
                                <input
                                    type="checkbox"
                                    name=format!("project_ids[{i}]")
                                    value=id
                                    checked=move || chosen.with(|set| set.contains(&id))
                                    prop:checked=move || chosen.with(|set| set.contains(&id))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        change(&|set| {
                                            if on {
                                                set.insert(id);
                                            } else {
                                                set.remove(&id);
                                            }
                                        });
                                    }
                                    disabled=blocked && !option.assigned
                                    aria-describedby=described
                                />
                                <span>{option.project.name.clone()}</span>
                                <span class="muted">{format!(" {} / {}", option.cluster, option.namespace)}</span>
                                {option.collision.clone().map(|c| view! { <span class="field-error" id=reason_id>{format!(" — {c}")}</span> })}
                                // Unticking a project the secret is assigned to: who would lose it.
                                {move || (was_assigned && !chosen.with(|set| set.contains(&id)))
                                    .then(|| view! { <UsedByWarning project=id inline=true /> })}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <button type="submit" class="button primary" disabled=move || action.pending().get()>
                {move || if action.pending().get() { "Saving…" } else { "Save assignments" }}
            </button>
            <UnreachableNotice action />
        </ActionForm>
    }
}

/// What the search box matches a project by: name, cluster and namespace, lowercase.
fn haystack(option: &AssignOption) -> String {
    format!(
        "{} {} {}",
        option.project.name, option.cluster, option.namespace
    )
    .to_lowercase()
}
