//! Project → Secrets tab: the project's own secrets and the organization secrets assigned to it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::admin::{SetAllowlist, get_allowlist, get_project};
use crate::components::session::RequireUser;
use crate::error::AppError;
use crate::model::listing::SecretQuery;
use crate::pages::not_found_page::NotFoundPage;
use crate::pages::secrets_page::SecretsTable;

/// One project's secrets. A project the user may not see is a not-found page (HTTP 404).
#[component]
pub fn ProjectSecretsTab() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let project = Resource::new(name, get_project);
    view! {
        <RequireUser children=move |user| {
            view! {
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || {
                        let user = user.clone();
                        project
                            .get()
                            .map(|result| match result {
                                Ok(project) => {
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
                                        {user.is_admin.then(|| view! { <AllowlistForm project_id=project.id csrf=user.csrf_token.clone() /> })}
                                    }
                                        .into_any()
                                }
                                Err(AppError::NotFound) => view! { <NotFoundPage /> }.into_any(),
                                Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                            })
                    }}
                </Transition>
            }
        } />
    }
}

/// What the project's team members may reference in External secrets (admins edit it).
#[component]
fn AllowlistForm(project_id: i64, csrf: String) -> impl IntoView {
    let save = ServerAction::<SetAllowlist>::new();
    let allowlist = Resource::new(
        move || (project_id, save.version().get()),
        |(id, _)| get_allowlist(id),
    );
    let outcome = move || {
        save.value().get().map(|result| match result {
            Ok(()) => view! { <p class="notice" role="status">"Allowlist saved."</p> }.into_any(),
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
                let csrf = csrf.clone();
                allowlist.get().map(|result| match result {
                    Ok(list) => view! {
                        <ActionForm action=save attr:class="form narrow">
                            <input type="hidden" name="csrf" value=csrf />
                            <input type="hidden" name="project_id" value=project_id />
                            <label for="allow-stores">"Stores (one per line)"</label>
                            <textarea id="allow-stores" name="stores" rows="3">{list.stores.join("\n")}</textarea>
                            <label for="allow-prefixes">"Remote-key prefixes (one per line)"</label>
                            <textarea id="allow-prefixes" name="key_prefixes" rows="3">{list.key_prefixes.join("\n")}</textarea>
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
