//! The Secrets page: every secret the user may see, its scope, assignments and status.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::secrets::list_secrets;
use crate::components::layout::AdminOnly;
use crate::components::live::{LiveAssignmentBadge, LiveStatusBadge, use_live};
use crate::components::session::RequireUser;
use crate::model::listing::{SecretQuery, SecretRow};
use crate::model::secret::Scope;

/// Lists secrets, first page, sorted by name.
#[component]
pub fn SecretsPage() -> impl IntoView {
    view! {
        <Title text="Secrets" />
        <div class="page-header">
            <h1>"Secrets"</h1>
            <AdminOnly>
                <a class="button primary" href="/secrets/new">"Create organization secret"</a>
            </AdminOnly>
        </div>
        <RequireUser children=|_user| view! { <SecretsTable query=SecretQuery::default() /> } />
    }
}

/// A table of secrets for `query`.
#[component]
pub fn SecretsTable(query: SecretQuery) -> impl IntoView {
    let project = query.project_id;
    let live = use_live();
    let rows = Resource::new(
        move || (query.clone(), live.resync.get()),
        |(query, _)| list_secrets(query),
    );
    view! {
        <div class="table-wrap">
            <table class="data-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Type"</th>
                        <th scope="col">"Scope"</th>
                        <th scope="col">"Use case"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Assigned to"</th>
                        <th scope="col">"Updated"</th>
                        <th scope="col">
                            <span class="visually-hidden">"Actions"</span>
                        </th>
                    </tr>
                </thead>
                <tbody>
                    <Transition fallback=|| view! { <tr><td colspan="8" class="empty">"Loading…"</td></tr> }>
                        {move || {
                            rows.get()
                                .map(|result| match result {
                                    Ok(page) if page.items.is_empty() => {
                                        view! { <tr><td colspan="8" class="empty">"No secrets yet."</td></tr> }.into_any()
                                    }
                                    Ok(page) => page.items.into_iter().map(|row| view! { <SecretRowView row project /> }).collect_view().into_any(),
                                    Err(error) => {
                                        view! { <tr><td colspan="8" class="error" role="alert">{error.to_string()}</td></tr> }.into_any()
                                    }
                                })
                        }}
                    </Transition>
                </tbody>
            </table>
        </div>
    }
}

/// The status cell: the secret's rollup, or on a project's page that project's assignment with
/// its reason; both follow live events.
fn status_cell(row: &SecretRow, project: Option<i64>) -> AnyView {
    let brief = project.and_then(|p| row.assigned_to.iter().find(|a| a.project.id == p).cloned());
    match (project, brief) {
        (Some(project), Some(brief)) => {
            let live = use_live();
            let id = row.id;
            let initial = brief.reason.clone();
            let reason = move || {
                live.assignment(id, project)
                    .map(|a| a.reason)
                    .unwrap_or_else(|| initial.clone())
            };
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
fn SecretRowView(row: SecretRow, project: Option<i64>) -> impl IntoView {
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
    view! {
        <tr>
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
