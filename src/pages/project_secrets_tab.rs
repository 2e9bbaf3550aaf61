//! Project → Secrets tab: the project's own secrets and the organization secrets assigned to it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::admin::{SetAllowlist, get_allowlist, get_project};
use crate::components::field_message::{FieldMessage, is_about_any};
use crate::components::load::load;
use crate::components::loaded::Loaded;
use crate::components::secrets_table::SecretsTable;
use crate::model::listing::SecretQuery;

/// One project's secrets. A project the user may not see is a not-found page (HTTP 404).
#[component]
pub fn ProjectSecretsTab() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let project = load(name, get_project);
    view! {
        <Loaded
            resource=project
            children=move |project, user| {
                let query = SecretQuery { project_id: Some(project.id), ..SecretQuery::default() };
                view! {
                    <Title text=format!("{} · Secrets", project.name) />
                    <div class="page-header">
                        <h1>{project.name.clone()}</h1>
                        <a class="button primary" href=format!("/projects/{}/secrets/new", project.name)>
                            "Create project secret"
                        </a>
                    </div>
                    <p class="muted">
                        {format!("Cluster {} · namespace {}", project.cluster, project.namespace)}
                    </p>
                    <h2>"Secrets"</h2>
                    <SecretsTable query=Signal::stored(query) />
                    {user
                        .permissions
                        .can_manage_users
                        .then(|| view! { <AllowlistForm project_id=project.id csrf=user.csrf_token.clone() /> })}
                }
            }
        />
    }
}

/// What the project's team members may reference in External secrets (for who manages users
/// and allowlists: admins).
#[component]
fn AllowlistForm(project_id: i64, csrf: String) -> impl IntoView {
    let save = ServerAction::<SetAllowlist>::new();
    let allowlist = load(
        move || (project_id, save.version().get()),
        |(id, _)| get_allowlist(id),
    );
    let stores = FieldMessage::answered("allow-stores", "stores", move || save.value().get());
    let prefixes =
        FieldMessage::answered("allow-prefixes", "key_prefixes", move || save.value().get());
    let outcome = move || {
        save.value().get().map(|result| match result {
            Ok(()) => view! { <p class="notice" role="status">"Allowlist saved."</p> }.into_any(),
            // Shown at its field.
            Err(error) if is_about_any(&error, &["stores", "key_prefixes"]) => ().into_any(),
            Err(error) => {
                view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any()
            }
        })
    };
    view! {
        <h2 id="allowlist">"Team member allowlist"</h2>
        <p class="muted">"Team members of this project may reference only these stores and remote keys inside these folders, compared by whole path parts: payments/ allows payments/db, not payments-admin/db. Admins are not limited."</p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let (csrf, stores, prefixes) = (csrf.clone(), stores.clone(), prefixes.clone());
                allowlist.get().map(|result| match result {
                    Ok(list) => view! {
                        <ActionForm action=save attr:class="form narrow">
                            <input type="hidden" name="csrf" value=csrf />
                            <input type="hidden" name="project_id" value=project_id />
                            <label for="allow-stores">"Stores (one per line)"</label>
                            <textarea
                                id="allow-stores"
                                name="stores"
                                rows="3"
                                aria-invalid=stores.invalid()
                                aria-describedby=stores.described_by()
                            >
                                {list.stores.join("\n")}
                            </textarea>
                            {stores.view()}
                            <label for="allow-prefixes">"Remote-key prefixes (one per line)"</label>
                            <textarea
                                id="allow-prefixes"
                                name="key_prefixes"
                                rows="3"
                                aria-invalid=prefixes.invalid()
                                aria-describedby=prefixes.described_by()
                            >
                                {list.key_prefixes.join("\n")}
                            </textarea>
                            {prefixes.view()}
                            <button type="submit" class="button">"Save allowlist"</button>
                        </ActionForm>
                    }
                    .into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                })
            }}
        </Transition>
        {outcome}
    }
}
