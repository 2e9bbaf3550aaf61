//! "Not managed by the console" on a project's tab (admins): the Secrets and ExternalSecrets in
//! its namespace that no assignment owns — name, kind, type, key names, when created, never a
//! value — each with "Manage with the console", which brings it under management without
//! changing its data, or the reason it cannot be taken as it is.

use leptos::prelude::*;

use crate::api::unmanaged::{ManageExisting, unmanaged_objects};
use crate::components::format::utc_time;
use crate::components::load::load;
use crate::components::unreachable::{UnreachableNotice, answered};
use crate::model::account::ProjectSummary;
use crate::model::unmanaged::{UnmanagedAnswer, UnmanagedObject};

/// The section, for one project.
#[component]
pub fn UnmanagedObjects(project: ProjectSummary, csrf: String) -> impl IntoView {
    let manage = ServerAction::<ManageExisting>::new();
    let changed = answered(manage);
    let project_id = project.id;
    let listed = load(
        move || (project_id, changed.get()),
        |(id, _)| unmanaged_objects(id),
    );
    let outcome = move || {
        manage.value().get().map(|result| match result {
            Ok(id) => view! {
                <p class="notice" role="status">
                    "Now managed by the console; its data was not changed. "
                    <a href=format!("/secrets/{id}")>"Open the secret"</a>
                </p>
            }
            .into_any(),
            Err(error) if error.is_unreachable() => ().into_any(),
            Err(error) => {
                view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any()
            }
        })
    };
    let table = move || {
        let csrf = csrf.clone();
        listed.get().map(|result| match result {
            Ok(UnmanagedAnswer::Listed(objects)) if objects.is_empty() => view! {
                <p class="muted">"Every Secret and ExternalSecret here is managed by the console."</p>
            }
            .into_any(),
            Ok(UnmanagedAnswer::Listed(objects)) => view! {
                <div class="table-wrap">
                <table class="data-table wide" aria-labelledby="unmanaged">
                    <thead>
                        <tr>
                            <th scope="col">"Object"</th>
                            <th scope="col">"Kind"</th>
                            <th scope="col">"Type"</th>
                            <th scope="col">"Keys"</th>
                            <th scope="col">"Created (UTC)"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {objects
                            .into_iter()
                            .map(|object| view! { <Row object project_id csrf=csrf.clone() manage /> })
                            .collect_view()}
                    </tbody>
                </table>
                </div>
            }
            .into_any(),
            Ok(UnmanagedAnswer::CouldNotList(why)) => view! {
                <p class="warning" role="status">{format!("Could not list the namespace: {why}.")}</p>
            }
            .into_any(),
            Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
        })
    };
    view! {
        <h2 id="unmanaged">"Not managed by the console"</h2>
        <p class="muted">
            {format!(
                "Secrets and ExternalSecrets in namespace {} that no secret of the console owns (service-account tokens, Helm release records and protected names are never shown). Manage with the console makes one a project secret of its name: a Secret's values are read once and sealed, never shown; an ExternalSecret's spec is taken as it is. The object keeps its data: the console only adds its labels and annotations.",
                project.namespace
            )}
        </p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>{table}</Transition>
        <UnreachableNotice action=manage />
        {outcome}
    }
}

/// One object, with its button or why it has none.
#[component]
fn Row(
    object: UnmanagedObject,
    project_id: i64,
    csrf: String,
    manage: ServerAction<ManageExisting>,
) -> impl IntoView {
    let kind = object.kind.as_str();
    let name = object.name.clone();
    let label = format!("Manage {kind} {name} with the console");
    let action = match object.blocked {
        Some(why) => {
            view! { <span class="muted">{format!("Cannot be managed as it is: {why}.")}</span> }
                .into_any()
        }
        None => view! {
            <ActionForm action=manage attr:class="inline-form">
                <input type="hidden" name="csrf" value=csrf />
                <input type="hidden" name="project_id" value=project_id />
                <input type="hidden" name="kind" value=kind />
                <input type="hidden" name="name" value=name.clone() />
                <button
                    type="submit"
                    class="button small"
                    disabled=move || manage.pending().get()
                    aria-label=label
                >
                    "Manage with the console"
                </button>
            </ActionForm>
        }
        .into_any(),
    };
    view! {
        <tr>
            <th scope="row">{object.name}</th>
            <td>{kind}</td>
            <td>{object.secret_type.unwrap_or_else(|| "—".to_owned())}</td>
            <td>{if object.keys.is_empty() { "—".to_owned() } else { object.keys.join(", ") }}</td>
            <td>{object.created_at_ms.map(utc_time).unwrap_or_default()}</td>
            <td>{action}</td>
        </tr>
    }
}
