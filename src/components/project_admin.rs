//! A project's settings for admins: rename it, delete it.

use leptos::prelude::*;

use crate::api::admin::{DeleteProject, RenameProject};
use crate::components::field_message::{FieldMessage, is_about_any};
use crate::domain::validation::{DNS_LABEL, capitalized};
use crate::model::account::ProjectSummary;

/// Rename (the name is how people and URLs know the project; its cluster and namespace cannot
/// change, since its objects live there) and delete (type the name; the server refuses while
/// anything of the project is left in its namespace). Both work without JavaScript; on
/// success the server sends the browser to the renamed project or to the Projects page.
#[component]
pub fn ProjectAdmin(project: ProjectSummary, csrf: String) -> impl IntoView {
    let rename = ServerAction::<RenameProject>::new();
    let delete = ServerAction::<DeleteProject>::new();
    let new_name = FieldMessage::answered("project-rename", "name", move || rename.value().get())
        .with_help("project-rename-help");
    let confirm = FieldMessage::answered("project-delete-confirm", "confirm", move || {
        delete.value().get()
    });
    // What is not about a field (a refusal while secrets are left): beside its button.
    let rename_error = move || {
        rename
            .value()
            .get()
            .and_then(Result::err)
            .filter(|e| !is_about_any(e, &["name"]))
            .map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })
    };
    let delete_error = move || {
        delete
            .value()
            .get()
            .and_then(Result::err)
            .filter(|e| !is_about_any(e, &["confirm"]))
            .map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })
    };
    let typed = RwSignal::new(String::new());
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let expected = project.name.clone();
    let (rename_csrf, label) = (csrf.clone(), format!("Type {} to confirm", project.name));
    view! {
        <h2 id="project-settings">"Project settings"</h2>
        <ActionForm action=rename attr:class="form narrow">
            <input type="hidden" name="csrf" value=rename_csrf />
            <input type="hidden" name="project_id" value=project.id />
            <label for="project-rename">"Project name"</label>
            <input
                id="project-rename"
                name="name"
                required
                value=project.name.clone()
                pattern=DNS_LABEL.pattern
                maxlength=DNS_LABEL.max_len
                aria-invalid=new_name.invalid()
                aria-describedby=new_name.described_by()
            />
            <p id="project-rename-help" class="muted">
                {format!(
                    "{}. Renaming changes the project's addresses (old links stop working); its secrets, members and allowlist stay. Cluster {} and namespace {} cannot change: the project's objects live there (create a new project to move).",
                    capitalized(DNS_LABEL.hint),
                    project.cluster,
                    project.namespace,
                )}
            </p>
            {new_name.view()}
            {rename_error}
            <button type="submit" class="button" disabled=move || rename.pending().get()>
                "Rename project"
            </button>
        </ActionForm>
        <h2 id="project-delete">"Delete project"</h2>
        <ActionForm action=delete attr:class="form narrow danger-zone">
            <input type="hidden" name="csrf" value=csrf />
            <input type="hidden" name="project_id" value=project.id />
            <p>
                "Deleting removes the project, its members' access to it and its allowlist; the history stays in the audit log. It is refused while the project has secrets of its own or assigned organization secrets: delete or unassign them first, so nothing is left behind in its namespace."
            </p>
            <label for="project-delete-confirm">{label}</label>
            <input
                id="project-delete-confirm"
                name="confirm"
                autocomplete="off"
                aria-invalid=confirm.invalid()
                aria-describedby=confirm.described_by()
                on:input=move |ev| typed.set(event_target_value(&ev))
            />
            {confirm.view()}
            {delete_error}
            <button
                type="submit"
                class="button danger"
                disabled=move || delete.pending().get() || (hydrated.get() && typed.get().trim() != expected)
            >
                "Delete project"
            </button>
        </ActionForm>
    }
}
