//! The table of secrets: the Secrets page's (selectable rows, a bulk bar, sorting headers
//! and a pager, all through the URL) and a project's (that project's assignment per row).

use leptos::prelude::*;

use crate::api::secrets::{BulkSecrets, list_secrets};
use crate::components::contexts::use_live;
use crate::components::field_message::{FieldMessage, is_about_any};
use crate::components::format::utc_time;
use crate::components::live::{LiveAssignmentBadge, LiveStatusBadge, live_reason};
use crate::components::load::{Load, load};
use crate::error::AppError;
use crate::model::account::{CurrentUser, ProjectSummary};
use crate::model::listing::{SecretQuery, SecretRow, SortKey};

/// Every project the user may see, as the Secrets page's filter and bulk bar offer them.
pub type ProjectsResource = Load<Result<Vec<ProjectSummary>, AppError>>;

/// A table of secrets for `query`; with `bulk` (the signed-in user), rows can be selected for a
/// bulk action, and the headers sort and the footer pages through the URL.
#[component]
pub fn SecretsTable(
    #[prop(into)] query: Signal<SecretQuery>,
    #[prop(optional)] bulk: Option<(CurrentUser, ProjectsResource)>,
) -> impl IntoView {
    let live = use_live();
    let action = ServerAction::<BulkSecrets>::new();
    let rows = load(
        move || (query.get(), live.resync_version(), action.version().get()),
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
                <BulkToolbar action can_assign=user.permissions.can_assign_secrets projects />
                {table}
            </ActionForm>
            {pager}
        }
        .into_any(),
        None => view! { {table} }.into_any(),
    }
}

/// The bulk action bar: an action, the projects for assign/unassign (for who may assign), a
/// confirmation for delete.
#[component]
fn BulkToolbar(
    action: ServerAction<BulkSecrets>,
    can_assign: bool,
    projects: ProjectsResource,
) -> impl IntoView {
    let confirm = FieldMessage::answered("bulk-confirm", "confirm", move || action.value().get());
    let outcome = move || {
        action.value().get().map(|result| match result {
            Ok(outcome) if outcome.refused.is_empty() => {
                view! { <p class="notice success" role="status">{outcome.summary()}</p> }.into_any()
            }
            Ok(outcome) => view! {
                <div class="error" role="alert">
                    <p>{format!("{} Refused:", outcome.summary())}</p>
                    <ul>{outcome.refused.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}</ul>
                </div>
            }
            .into_any(),
            // A refused confirmation is shown at its field.
            Err(error) if is_about_any(&error, &["confirm"]) => ().into_any(),
            Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
        })
    };
    view! {
        <div class="bulk-bar">
            <label for="bulk-action">"With the selected secrets"</label>
            <select id="bulk-action" name="action">
                <option value="sync">"Sync now"</option>
                {can_assign.then(|| view! {
                    <option value="assign">"Assign to the projects below"</option>
                    <option value="unassign">"Unassign from the projects below"</option>
                })}
                <option value="delete">"Delete"</option>
            </select>
            {can_assign.then(|| view! {
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
            <input
                id="bulk-confirm"
                name="confirm"
                placeholder="to delete, type delete"
                autocomplete="off"
                aria-invalid=confirm.invalid()
                aria-describedby=confirm.described_by()
            />
            {confirm.view()}
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

/// One secret's row; with `select` (its index), a checkbox for the bulk bar.
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
    let can_assign = row.permissions.can_assign;
    let live = use_live();
    let id = row.id;
    let gone = move || live.is_gone(id);
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
                <time>{utc_time(row.updated_at)}</time>
            </td>
            <td>
                {can_assign.then(|| view! {
                    <a class="button small" href=format!("/secrets/{}#assign", row.id)>"Assign"</a>
                })}
            </td>
        </tr>
    }
}
