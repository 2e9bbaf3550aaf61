//! The Secrets page: every secret the user may see, its scope, assignments and status.

use leptos::prelude::*;
use leptos_meta::Title;

use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::admin::list_projects;
use crate::api::secrets::{BulkSecrets, list_secrets};
use crate::components::layout::AdminOnly;
use crate::components::live::{LiveAssignmentBadge, LiveStatusBadge, live_reason, use_live};
use crate::components::session::RequireUser;
use crate::domain::status::SecretStatus;
use crate::error::AppError;
use crate::model::account::{CurrentUser, ProjectSummary};
use crate::model::listing::{MAX_SEARCH_CHARS, SecretQuery, SecretRow, SortKey};
use crate::model::secret::{Scope, SecretKind, UseCase};

/// Lists secrets: search, filters, sort and page live in the URL (so a view can be shared and
/// the back button works); the filter form is a plain GET form. Rows can be selected for a
/// bulk action.
#[component]
pub fn SecretsPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(|p| SecretQuery::from_params(|key| p.get(key))));
    view! {
        <Title text="Secrets" />
        <div class="page-header">
            <h1>"Secrets"</h1>
            <AdminOnly>
                <a class="button primary" href="/secrets/new">"Create organization secret"</a>
            </AdminOnly>
        </div>
        <RequireUser children=move |user| {
            // Read once (for signed-in users only) for the project filter and the bulk bar.
            let projects: ProjectsResource = Resource::new(|| (), |_| list_projects());
            view! {
                <Filters query projects />
                <SecretsTable query bulk=(user, projects) />
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

/// Every project the user may see, as the page's filter and bulk bar offer them.
type ProjectsResource = Resource<Result<Vec<ProjectSummary>, AppError>>;

/// A table of secrets for `query`; with `bulk` (the signed-in user), rows can be selected for a
/// bulk action, and the headers sort and the footer pages through the URL.
#[component]
pub fn SecretsTable(
    #[prop(into)] query: Signal<SecretQuery>,
    #[prop(optional)] bulk: Option<(CurrentUser, ProjectsResource)>,
) -> impl IntoView {
    let live = use_live();
    let action = ServerAction::<BulkSecrets>::new();
    let rows = Resource::new(
        move || (query.get(), live.resync.get(), action.version().get()),
        |(query, _, _)| list_secrets(query),
    );
    let selectable = bulk.is_some();
    let header = move |key: SortKey, label: &'static str| {
        if !selectable {
            return view! { <th scope="col">{label}</th> }.into_any();
        }
        let q = query.get_untracked();
        let active = q.sort == key;
        let next = SecretQuery {
            sort: key,
            descending: active && !q.descending,
            page: 1,
            ..q.clone()
        };
        let sort = if !active {
            "none"
        } else if q.descending {
            "descending"
        } else {
            "ascending"
        };
        view! {
            <th scope="col" aria-sort=sort>
                <a href=next.href("/secrets")>{label}{active.then_some(if q.descending { " ▼" } else { " ▲" })}</a>
            </th>
        }
        .into_any()
    };
    let table = move || {
        let project = query.get().project_id;
        view! {
            <div class="table-wrap">
                <table class="data-table">
                    <thead>
                        <tr>
                            {selectable.then(|| view! { <th scope="col"><span class="visually-hidden">"Select"</span></th> })}
                            {header(SortKey::Name, "Name")}
                            {header(SortKey::Kind, "Type")}
                            {header(SortKey::Scope, "Scope")}
                            {header(SortKey::UseCase, "Use case")}
                            {header(SortKey::Status, "Status")}
                            <th scope="col">"Assigned to"</th>
                            {header(SortKey::Updated, "Updated")}
                            <th scope="col">
                                <span class="visually-hidden">"Actions"</span>
                            </th>
                        </tr>
                    </thead>
                    <tbody>
                        <Transition fallback=|| view! { <tr><td colspan="9" class="empty">"Loading…"</td></tr> }>
                            {move || {
                                rows.get()
                                    .map(|result| match result {
                                        Ok(page) if page.items.is_empty() => {
                                            view! { <tr><td colspan="9" class="empty">"No secrets match."</td></tr> }.into_any()
                                        }
                                        Ok(page) => page
                                            .items
                                            .into_iter()
                                            .enumerate()
                                            .map(|(i, row)| view! { <SecretRowView row project select=selectable.then_some(i) /> })
                                            .collect_view()
                                            .into_any(),
                                        Err(error) => {
                                            view! { <tr><td colspan="9" class="error" role="alert">{error.to_string()}</td></tr> }.into_any()
                                        }
                                    })
                            }}
                        </Transition>
                    </tbody>
                </table>
            </div>
        }
    };
    let pager = move || {
        selectable.then(|| {
            view! {
                <Transition fallback=|| ()>
                    {move || rows.get().and_then(Result::ok).map(|page| {
                        let q = query.get();
                        let pages = ((page.total + i64::from(page.per_page) - 1) / i64::from(page.per_page)).max(1);
                        let previous = (q.page > 1).then(|| SecretQuery { page: q.page - 1, ..q.clone() }.href("/secrets"));
                        let next = (i64::from(q.page) < pages).then(|| SecretQuery { page: q.page + 1, ..q.clone() }.href("/secrets"));
                        view! {
                            <nav class="pager" aria-label="Pages">
                                {previous.map(|href| view! { <a class="button small" href=href rel="prev">"Previous"</a> })}
                                <span>{format!("Page {} of {pages} · {} secrets", q.page, page.total)}</span>
                                {next.map(|href| view! { <a class="button small" href=href rel="next">"Next"</a> })}
                            </nav>
                        }
                    })}
                </Transition>
            }
        })
    };
    match bulk {
        Some((user, projects)) => view! {
            <ActionForm action=action attr:class="bulk-form">
                <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                <BulkToolbar action is_admin=user.is_admin projects />
                {table}
            </ActionForm>
            {pager}
        }
        .into_any(),
        None => view! { {table} }.into_any(),
    }
}

/// The bulk action bar: an action, the projects for assign/unassign, a confirmation for delete.
#[component]
fn BulkToolbar(
    action: ServerAction<BulkSecrets>,
    is_admin: bool,
    projects: ProjectsResource,
) -> impl IntoView {
    let outcome = move || {
        action.value().get().map(|result| match result {
            Ok(outcome) if outcome.refused.is_empty() => {
                view! { <p class="notice" role="status">{format!("{} secret(s) changed.", outcome.done)}</p> }.into_any()
            }
            Ok(outcome) => view! {
                <div class="error" role="alert">
                    <p>{format!("{} secret(s) changed; refused:", outcome.done)}</p>
                    <ul>{outcome.refused.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}</ul>
                </div>
            }
            .into_any(),
            Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
        })
    };
    view! {
        <div class="bulk-bar">
            <label for="bulk-action">"With the selected secrets"</label>
            <select id="bulk-action" name="action">
                <option value="sync">"Sync now"</option>
                {is_admin.then(|| view! {
                    <option value="assign">"Assign to the projects below"</option>
                    <option value="unassign">"Unassign from the projects below"</option>
                })}
                <option value="delete">"Delete"</option>
            </select>
            {is_admin.then(|| view! {
                <details class="bulk-projects">
                    <summary>"Projects"</summary>
                    <Transition fallback=|| ()>
                        {move || projects.get().and_then(Result::ok).map(|list| {
                            list.into_iter()
                                .enumerate()
                                .map(|(i, p)| view! {
                                    <label class="checkbox">
                                        <input type="checkbox" name=format!("project_ids[{i}]") value=p.id />
                                        {p.name}
                                    </label>
                                })
                                .collect_view()
                        })}
                    </Transition>
                </details>
            })}
            <label for="bulk-confirm" class="visually-hidden">"To delete, type delete"</label>
            <input id="bulk-confirm" name="confirm" placeholder="to delete, type delete" autocomplete="off" />
            <button type="submit" class="button" disabled=move || action.pending().get()>
                {move || if action.pending().get() { "Applying…" } else { "Apply" }}
            </button>
        </div>
        {outcome}
    }
}

/// The status cell: the secret's rollup, or on a project's page that project's assignment with
/// its reason; both follow live events.
fn status_cell(row: &SecretRow, project: Option<i64>) -> AnyView {
    let brief = project.and_then(|p| row.assigned_to.iter().find(|a| a.project.id == p).cloned());
    match (project, brief) {
        (Some(project), Some(brief)) => {
            let id = row.id;
            let reason = live_reason(id, project, brief.reason.clone());
            view! {
                <LiveAssignmentBadge secret_id=id project_id=project initial=brief.status />
                {move || reason().map(|r| view! { <p class="cell-reason">{r}</p> })}
            }
            .into_any()
        }
        _ => view! { <LiveStatusBadge id=row.id initial=row.status /> }.into_any(),
    }
}

#[component]
fn SecretRowView(row: SecretRow, project: Option<i64>, select: Option<usize>) -> impl IntoView {
    let assigned = if row.assignment_count == 0 {
        "—".to_owned()
    } else {
        let names: Vec<_> = row
            .assigned_to
            .iter()
            .map(|a| a.project.name.clone())
            .collect();
        let more = row.assignment_count - names.len() as i64;
        if more > 0 {
            format!("{} +{more}", names.join(", "))
        } else {
            names.join(", ")
        }
    };
    let is_org = row.scope == Scope::Organization;
    let live = use_live();
    let id = row.id;
    let gone = move || live.gone.with(|gone| gone.contains(&id));
    view! {
        <tr hidden=gone>
            {select.map(|i| view! {
                <td>
                    <input type="checkbox" name=format!("ids[{i}]") value=row.id disabled=gone aria-label=format!("Select {}", row.name) />
                </td>
            })}
            <td>
                <a href=format!("/secrets/{}", row.id)>{row.name.clone()}</a>
            </td>
            <td>{row.kind.as_str()}</td>
            <td>{row.scope.as_str()}</td>
            <td>{row.use_case.as_str()}</td>
            <td class="reason">{status_cell(&row, project)}</td>
            <td>{assigned}</td>
            <td>
                <time>{crate::components::format::utc_time(row.updated_at)}</time>
            </td>
            <td>
                <Show when=move || is_org fallback=|| ()>
                    <AdminOnly>
                        <a class="button small" href=format!("/secrets/{}#assign", row.id)>"Assign"</a>
                    </AdminOnly>
                </Show>
            </td>
        </tr>
    }
}
