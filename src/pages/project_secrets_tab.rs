//! Project → Secrets tab: the project's own secrets and the organization secrets assigned to it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::admin::{SetAllowlist, form_options, get_allowlist, get_project, list_stores};
use crate::components::allowlist_note::AllowlistNote;
use crate::components::field_message::{FieldMessage, is_about_any};
use crate::components::load::load;
use crate::components::loaded::Loaded;
use crate::components::project_admin::ProjectAdmin;
use crate::components::secrets_table::SecretsTable;
use crate::components::unreachable::{UnreachableNotice, answered};
use crate::domain::permissions::{Allowlist, unknown_stores_warning};
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
                    {(!user.is_admin).then(|| view! { <MemberAllowlist project_id=project.id /> })}
                    <h2>"Secrets"</h2>
                    <SecretsTable query=Signal::stored(query) />
                    {user
                        .permissions
                        .can_manage_users
                        .then(|| view! { <AllowlistForm project_id=project.id csrf=user.csrf_token.clone() /> })}
                    {user
                        .permissions
                        .can_manage_clusters
                        .then(|| view! { <ProjectAdmin project=project.clone() csrf=user.csrf_token.clone() /> })}
                }
            }
        />
    }
}

/// What a team member may reference in this project, before the form refuses it.
#[component]
fn MemberAllowlist(project_id: i64) -> impl IntoView {
    let options = load(move || project_id, |id| form_options(Some(id)));
    view! {
        <Transition fallback=|| ()>
            {move || options.get().and_then(Result::ok).map(|options| view! { <AllowlistNote options /> })}
        </Transition>
    }
}

/// What the project's team members may reference in External secrets (for who manages users
/// and allowlists: admins).
#[component]
fn AllowlistForm(project_id: i64, csrf: String) -> impl IntoView {
    let save = ServerAction::<SetAllowlist>::new();
    // Every store some cluster offers, to warn as the admin types about one that none has.
    let known = load(|| (), |_| list_stores());
    let typed_stores = RwSignal::new(None::<String>);
    // Read again after what the server answered (not after a request it never got).
    let changed = answered(save);
    let allowlist = load(
        move || (project_id, changed.get()),
        |(id, _)| get_allowlist(id),
    );
    let stores = FieldMessage::answered("allow-stores", "stores", move || save.value().get());
    let prefixes =
        FieldMessage::answered("allow-prefixes", "key_prefixes", move || save.value().get());
    let outcome = move || {
        save.value().get().map(|result| match result {
            Ok(warning) => view! {
                <p class="notice" role="status">"Allowlist saved."</p>
                {warning.map(|w| view! { <p class="warning" role="status">{w}</p> })}
            }
            .into_any(),
            // Shown at its field.
            Err(error) if is_about_any(&error, &["stores", "key_prefixes"]) => ().into_any(),
            // Said beside Save, with Retry.
            Err(error) if error.is_unreachable() => ().into_any(),
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
                    Ok(list) => {
                        let saved = list.stores.join("\n");
                        // As the admin types (or as saved): the stores no cluster offers.
                        let warning = move || {
                            let text = typed_stores.get().unwrap_or_else(|| saved.clone());
                            let offered: Vec<String> = known
                                .get()
                                .and_then(Result::ok)?
                                .into_iter()
                                .filter(|c| c.error.is_none())
                                .flat_map(|c| c.stores.into_iter().map(|s| s.name))
                                .collect();
                            let typed = Allowlist { stores: Allowlist::items(&text), key_prefixes: Vec::new() };
                            unknown_stores_warning(&typed.unknown_stores(&offered))
                        };
                        let described = stores.described_by();
                        let shown = warning.clone();
                        view! {
                        <ActionForm action=save attr:class="form narrow">
                            <input type="hidden" name="csrf" value=csrf />
                            <input type="hidden" name="project_id" value=project_id />
                            <label for="allow-stores">"Stores (one per line)"</label>
                            <textarea
                                id="allow-stores"
                                name="stores"
                                rows="3"
                                aria-invalid=stores.invalid()
                                aria-describedby=move || {
                                    let warned = warning().map(|_| "allow-stores-warning".to_owned());
                                    let ids: Vec<String> = described().into_iter().chain(warned).collect();
                                    (!ids.is_empty()).then(|| ids.join(" "))
                                }
                                on:input=move |ev| typed_stores.set(Some(event_target_value(&ev)))
                            >
                                {list.stores.join("\n")}
                            </textarea>
                            {stores.view()}
                            <Transition fallback=|| ()>
                                {move || shown().map(|w| view! { <p class="field-warning" id="allow-stores-warning">{w}</p> })}
                            </Transition>
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
                            <UnreachableNotice action=save />
                        </ActionForm>
                    }
                    .into_any()
                    }
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                })
            }}
        </Transition>
        {outcome}
    }
}
