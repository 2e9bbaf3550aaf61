//! The Secrets page: every secret the user may see, its scope, assignments and status.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::admin::list_project_names;
use crate::api::secrets::list_secrets;
use crate::components::flash::failed_post;
use crate::components::load::load;
use crate::components::new_secret_links::NewSecretLinks;
use crate::components::permitted::Permitted;
use crate::components::secrets_table::{BulkContext, ProjectsResource, SecretsTable};
use crate::components::session::RequireUser;
use crate::domain::status::SecretStatus;
use crate::model::listing::{MAX_SEARCH_CHARS, SecretQuery, SortKey};
use crate::model::secret::{Scope, SecretKind, UseCase};

/// Lists secrets: search, filters, sort and page live in the URL (so a view can be shared and
/// the back button works); the filter form is a plain GET form. Rows can be selected for a
/// bulk action. Rendered in islands mode (`app::ISLAND_PAGES`): only the table's islands
/// hydrate. Sent
/// here after a delete, the shell's flash message says which secret was deleted.
#[component]
pub fn SecretsPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(|p| SecretQuery::from_params(|key| p.get(key))));
    view! {
        <Title text="Secrets" />
        <div class="page-header">
            <h1>"Secrets"</h1>
            <Permitted allowed=|may| may.can_create_org_secrets>
                <a class="button primary" href="/secrets/new">"Create organization secret"</a>
            </Permitted>
            <NewSecretLinks />
        </div>
        <RequireUser children=move |user| {
            // Read once (for signed-in users only) for the project filter and the bulk bar.
            let projects: ProjectsResource = load(|| (), |_| list_project_names());
            let rows = load(move || query.get(), list_secrets);
            let kept = failed_post("bulk_secrets");
            let table = move || {
                let (initial, projects) = (rows.get()?, projects.get()?);
                let bulk = BulkContext {
                    csrf: user.csrf_token.clone(),
                    can_assign: user.permissions.can_assign_secrets,
                    projects: projects.unwrap_or_default(),
                    kept: kept.get(),
                };
                Some(view! { <SecretsTable query=query.get_untracked() rows=initial bulk /> })
            };
            view! {
                <Filters query projects />
                <Transition fallback=|| view! { <p class="empty">"Loading…"</p> }>{table}</Transition>
            }
        } />
    }
}

/// The search and filter form (GET: works without JavaScript; the router keeps it in the URL).
#[component]
fn Filters(query: Memo<SecretQuery>, projects: ProjectsResource) -> impl IntoView {
    let current = query.get_untracked();
    let selected = |value: Option<&str>, option: &str| value == Some(option);
    let kind = current.kind.map(|k| k.as_str());
    let scope = current.scope.map(|s| s.as_str());
    let status = current.status.map(|s| s.as_str());
    let use_case = current.use_case.map(|u| u.as_str());
    let project = current.project_id;
    view! {
        <Form method="GET" action="/secrets" attr:class="filters" attr:role="search">
            <label for="filter-q" class="visually-hidden">"Search"</label>
            <input id="filter-q" type="search" name="q" maxlength=MAX_SEARCH_CHARS.to_string() placeholder="Search names and descriptions" value=current.search.clone().unwrap_or_default() />
            <label for="filter-kind" class="visually-hidden">"Type"</label>
            <select id="filter-kind" name="kind">
                <option value="">"Any type"</option>
                {SecretKind::ALL.iter().map(|k| view! { <option value=k.as_str() selected=selected(kind, k.as_str())>{k.as_str()}</option> }).collect_view()}
            </select>
            <label for="filter-scope" class="visually-hidden">"Scope"</label>
            <select id="filter-scope" name="scope">
                <option value="">"Any scope"</option>
                {Scope::ALL.iter().map(|v| view! { <option value=v.as_str() selected=selected(scope, v.as_str())>{v.as_str()}</option> }).collect_view()}
            </select>
            <label for="filter-status" class="visually-hidden">"Status"</label>
            <select id="filter-status" name="status">
                <option value="">"Any status"</option>
                {SecretStatus::ALL.iter().map(|v| view! { <option value=v.as_str() selected=selected(status, v.as_str())>{v.label()}</option> }).collect_view()}
            </select>
            <label for="filter-use-case" class="visually-hidden">"Use case"</label>
            <select id="filter-use-case" name="use_case">
                <option value="">"Any use case"</option>
                {UseCase::ALL.iter().map(|v| view! { <option value=v.as_str() selected=selected(use_case, v.as_str())>{v.as_str()}</option> }).collect_view()}
            </select>
            <label for="filter-project" class="visually-hidden">"Project"</label>
            <select id="filter-project" name="project">
                <option value="">"Any project"</option>
                <Transition fallback=|| ()>
                    {move || projects.get().and_then(Result::ok).map(|list| {
                        list.into_iter()
                            .map(|p| view! { <option value=p.id selected=project == Some(p.id)>{p.name}</option> })
                            .collect_view()
                    })}
                </Transition>
            </select>
            {(current.sort != SortKey::Name).then(|| view! { <input type="hidden" name="sort" value=current.sort.as_str() /> })}
            {current.descending.then(|| view! { <input type="hidden" name="desc" value="1" /> })}
            <button type="submit" class="button">"Filter"</button>
            <a class="button" href="/secrets">"Clear"</a>
        </Form>
    }
}
