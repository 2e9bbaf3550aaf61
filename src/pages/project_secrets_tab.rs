//! Project → Secrets tab: the project's own secrets and the organization secrets assigned to it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::admin::get_project;
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
        <RequireUser children=move |_user| {
            view! {
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || {
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
