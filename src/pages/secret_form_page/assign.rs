//! "Assign to projects" on the organization-secret create form (for who may assign): ticks of
//! the projects to assign the new secret to and selectors to assign it by, saved in the same
//! step as the secret. Plain fields of the create form, so it works without JavaScript (a
//! refused post comes back with the ticks and the selector text as they were sent); once the
//! page runs, a search box narrows the list and the matched projects are previewed as the
//! selectors are typed.

use std::collections::BTreeSet;

use leptos::prelude::*;

use crate::api::admin::list_projects;
use crate::components::field_message::about;
use crate::components::load::load;
use crate::components::selector_preview::SelectorPreview;
use crate::error::AppError;
use crate::model::account::ProjectSummary;
use crate::model::secret::SecretForm;

/// The id of the selector field (the error summary sends the person there).
pub const SELECTORS_CONTROL: &str = "create-selectors";

/// The id of the project list (the error summary sends the person there).
pub const PROJECTS_CONTROL: &str = "create-assign";

/// The section. `form`: the form's state (the ticks and selectors are kept in it, like every
/// other field); `answered`: the server's refusal of the last submit, whose problems with the
/// ticks or the selectors are shown here.
#[component]
pub fn CreateAssignSection(
    form: RwSignal<SecretForm>,
    hydrated: RwSignal<bool>,
    answered: Signal<Option<AppError>>,
) -> impl IntoView {
    let projects = load(|| (), |()| list_projects());
    let start = form.with_untracked(|f| f.selectors.clone());
    // None until the person types: a selector sent back is previewed once it is changed.
    let typed = RwSignal::new(None::<String>);
    let filter = RwSignal::new(String::new());
    let message = move |field: &'static str| move || answered.get().and_then(|e| about(e, field));
    let chosen = move || form.with(|f| f.assign_to.iter().copied().collect::<BTreeSet<i64>>());
    let count = move || match chosen().len() {
        1 => "1 project ticked".to_owned(),
        n => format!("{n} projects ticked"),
    };
    let list = move |projects: Vec<ProjectSummary>| {
        projects
            .into_iter()
            .enumerate()
            .map(|(i, project)| {
                let id = project.id;
                let hay = format!("{} {} {}", project.name, project.cluster, project.namespace)
                    .to_lowercase();
                let hidden = move || {
                    let wanted = filter.get();
                    !wanted.is_empty() && !hay.contains(&wanted)
                };
                let ticked = move || form.with(|f| f.assign_to.contains(&id));
                view! {
                    <label class="choice" hidden=hidden>
                        <input
                            type="checkbox"
                            name=format!("form[assign_to][{i}]")
                            value=id
                            checked=ticked
                            prop:checked=ticked
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                form.update(|f| {
                                    f.assign_to.retain(|p| *p != id);
                                    if on {
                                        f.assign_to.push(id);
                                    }
                                });
                            }
                        />
                        <span>{project.name.clone()}</span>
                        <span class="muted">{format!(" {} / {}", project.cluster, project.namespace)}</span>
                    </label>
                }
            })
            .collect_view()
    };
    view! {
        <fieldset class="assign-on-create">
            <legend>"Assign to projects"</legend>
            <p class="muted">
                "Assigned as the secret is created, in the same step: if a project cannot take it, nothing is created. You can change this later on the secret's page."
            </p>
            <label for="create-assign-filter" hidden=move || !hydrated.get()>"Find a project"</label>
            <input
                id="create-assign-filter"
                type="search"
                autocomplete="off"
                placeholder="name, cluster or namespace"
                hidden=move || !hydrated.get()
                on:input=move |ev| filter.set(event_target_value(&ev).to_lowercase())
            />
            <span class="muted" id="create-assign-count" aria-live="polite">{count}</span>
            <div id=PROJECTS_CONTROL class="project-choices" tabindex="-1" role="group" aria-label="Projects">
                <Transition fallback=|| view! { <p class="muted">"Loading projects…"</p> }>
                    {move || {
                        projects.get().map(|answer| match answer {
                            Ok(found) if found.is_empty() => view! { <p class="muted">"No projects yet."</p> }.into_any(),
                            Ok(found) => list(found).into_any(),
                            Err(error) => view! { <p class="error">{error.to_string()}</p> }.into_any(),
                        })
                    }}
                </Transition>
            </div>
            {move || message("assign_to")().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
            <label for=SELECTORS_CONTROL>"Selectors (one a line)"</label>
            <textarea
                id=SELECTORS_CONTROL
                name="form[selectors]"
                rows="2"
                maxlength="4000"
                placeholder="env=prod"
                aria-describedby="create-selectors-help create-selectors-preview"
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    form.update(|f| f.selectors = text.clone());
                    typed.set(Some(text));
                }
            >
                {start}
            </textarea>
            <p id="create-selectors-help" class="muted">
                "Every project whose labels match one of these is assigned, including projects created or relabelled later: env=prod, env=prod,team=payments, tier in (web,api), !legacy."
            </p>
            <SelectorPreview id="create-selectors-preview" typed />
            {move || message("selectors")().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
        </fieldset>
    }
}
