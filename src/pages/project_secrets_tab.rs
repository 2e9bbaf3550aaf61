//! Project → Secrets tab: the project's own secrets and the organization secrets assigned to it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::admin::{SetAllowlist, form_options, get_allowlist, get_project, list_stores};
use crate::api::project_tab::assignable_secrets;
use crate::components::allowlist_note::AllowlistNote;
use crate::components::assigned_to::live_assignment_sets;
use crate::components::contexts::use_live;
use crate::components::field_message::{FieldMessage, is_about_any};
use crate::components::flash::failed_post;
use crate::components::load::load;
use crate::components::loaded::Loaded;
use crate::components::project_admin::ProjectAdmin;
use crate::components::project_tab_table::{ProjectTabTable, TabActions};
use crate::components::sync_all_button::SyncAllButton;
use crate::components::unmanaged_objects::UnmanagedObjects;
use crate::components::unreachable::{UnreachableNotice, answered};
use crate::domain::permissions::{Allowlist, unknown_stores_warning};
use crate::model::account::ProjectSummary;

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
                let actions = TabActions::new();
                view! {
                    <Title text=format!("{} · Secrets", project.name) />
                    <div class="page-header">
                        <h1>{project.name.clone()}</h1>
                        <a class="button primary" href=format!("/projects/{}/secrets/new", project.name)>
                            "New project secret"
                        </a>
                    </div>
                    <p class="muted">
                        {format!("Cluster {} · namespace {}", project.cluster, project.namespace)}
                    </p>
                    {(!user.is_admin).then(|| view! { <MemberAllowlist project_id=project.id /> })}
                    <h2>"Secrets"</h2>
                    <SyncAllButton project_id=project.id label=format!("Sync all in {}", project.name) />
                    <ProjectTabTable project=project.clone() csrf=user.csrf_token.clone() actions />
                    {user
                        .permissions
                        .can_assign_secrets
                        .then(|| view! { <AssignExistingForm project=project.clone() csrf=user.csrf_token.clone() actions /> })}
                    {user
                        .permissions
                        .can_manage_clusters
                        .then(|| view! { <UnmanagedObjects project=project.clone() csrf=user.csrf_token.clone() /> })}
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

/// "Assign existing secret" (who may assign): the organization secrets not assigned here yet,
/// those that would collide with a same-named secret here disabled, and why said in words.
#[component]
fn AssignExistingForm(project: ProjectSummary, csrf: String, actions: TabActions) -> impl IntoView {
    let live = use_live();
    let assigned_live = live_assignment_sets(live);
    let project_id = project.id;
    let options = load(
        move || {
            (
                project_id,
                actions.changed.get(),
                live.resync_version(),
                assigned_live.get(),
            )
        },
        |(id, _, _, _)| assignable_secrets(id),
    );
    let failed = failed_post("assign_existing");
    let field = FieldMessage::answered("assign-existing-secret", "id", move || {
        actions
            .assign
            .value()
            .get()
            .or_else(|| failed.get().map(|f| Err(f.error)))
    });
    let form = move || {
        let (csrf, field) = (csrf.clone(), field.clone());
        options.get().map(|result| match result {
            Ok(list) if list.is_empty() => view! {
                <p class="muted">"Every organization secret is assigned to this project already."</p>
            }
            .into_any(),
            Ok(list) => {
                let blocked: Vec<_> = list
                    .iter()
                    .filter_map(|s| s.blocked.clone().map(|why| (s.name.clone(), why)))
                    .collect();
                let explained = (!blocked.is_empty()).then(|| view! {
                    <div id="assign-existing-unavailable">
                        <p class="muted">"Not available here:"</p>
                        <ul class="plain">
                            {blocked.into_iter().map(|(name, why)| view! { <li><strong>{name}</strong>{format!(": {why}.")}</li> }).collect_view()}
                        </ul>
                    </div>
                });
                let described = field.described_by();
                let has_blocked = explained.is_some();
                view! {
                    <ActionForm action=actions.assign attr:class="form narrow">
                        <input type="hidden" name="csrf" value=csrf />
                        <input type="hidden" name="project_id" value=project_id />
                        <label for="assign-existing-secret">"Organization secret"</label>
                        <select
                            id="assign-existing-secret"
                            name="id"
                            aria-invalid=field.invalid()
                            aria-describedby=move || {
                                let ids: Vec<String> = described()
                                    .into_iter()
                                    .chain(has_blocked.then(|| "assign-existing-unavailable".to_owned()))
                                    .collect();
                                (!ids.is_empty()).then(|| ids.join(" "))
                            }
                        >
                            {list.into_iter().map(|s| {
                                let text = match &s.blocked {
                                    None => format!("{} ({})", s.name, s.kind.as_str()),
                                    Some(_) => format!("{} ({}), not available: see below", s.name, s.kind.as_str()),
                                };
                                view! { <option value=s.id disabled=s.blocked.is_some()>{text}</option> }
                            }).collect_view()}
                        </select>
                        {field.view()}
                        {explained}
                        <button type="submit" class="button" disabled=move || actions.assign.pending().get()>
                            "Assign to this project"
                        </button>
                        <UnreachableNotice action=actions.assign />
                    </ActionForm>
                }
                .into_any()
            }
            Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
        })
    };
    view! {
        <h2 id="assign-existing">"Assign existing secret"</h2>
        <p class="muted">{format!("Organization secrets not yet assigned to {}. Each lands as an object of its name in namespace {}.", project.name, project.namespace)}</p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>{form}</Transition>
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
