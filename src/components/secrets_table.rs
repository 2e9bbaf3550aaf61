//! The Secrets page's table of secrets: selectable rows, a bulk bar, sorting headers and a
//! pager (all through the URL); filtered by a project, that project's assignment per row. The
//! server renders it; in the browser only its islands run (islands mode, `app::ISLAND_PAGES`).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::assigned_to::{AssignedProject, AssignedToCell};
use crate::components::bulk_bar::{BulkBar, BulkRow, KeptChoices};
use crate::components::format::utc_time;
use crate::components::live::{LiveAssignmentBadge, LiveStatusBadge, live_reason};
use crate::components::load::Load;
use crate::domain::reason_words::KeyNames;
use crate::domain::status::SecretStatus;
use crate::error::AppError;
use crate::model::flash::FailedPost;
use crate::model::listing::{AssignmentBrief, Page, ProjectRef, SecretQuery, SecretRow, SortKey};

/// Every project the user may see, by name, as the Secrets page's filter and bulk bar offer
/// them.
pub type ProjectsResource = Load<Result<Vec<ProjectRef>, AppError>>;

/// What the bulk bar needs of the signed-in person and the page: their form token, whether
/// they may assign at all, the projects they may see, and a refused plain post sent back here.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkContext {
    /// The signed-in user's CSRF token.
    pub csrf: String,
    /// Whether they may assign secrets at all.
    pub can_assign: bool,
    /// The projects they may see, for assign and unassign.
    pub projects: Vec<ProjectRef>,
    /// A refused plain post to `bulk_secrets` the browser was sent back here from.
    pub kept: Option<FailedPost>,
}

/// The Secrets page's table for `query`, with `rows` as the server read them: rows can be
/// ticked for the bulk bar, and the headers sort and the footer pages through the URL. Only
/// its islands run in the browser: the bulk bar ([`BulkBar`]), each row's status and
/// "Assigned to" cells; the rest is the server's HTML (a form that posts without JavaScript).
#[component]
pub fn SecretsTable(
    query: SecretQuery,
    rows: Result<Page<SecretRow>, AppError>,
    bulk: BulkContext,
) -> impl IntoView {
    let header = |key: SortKey, label: &'static str| {
        let active = query.sort == key;
        let next = SecretQuery {
            sort: key,
            descending: active && !query.descending,
            page: 1,
            ..query.clone()
        };
        let sort = if !active {
            "none"
        } else if query.descending {
            "descending"
        } else {
            "ascending"
        };
        let arrow = active.then_some(if query.descending { " ▼" } else { " ▲" });
        view! {
            <th scope="col" aria-sort=sort>
                <a href=next.href("/secrets")>{label}{arrow}</a>
            </th>
        }
    };
    let thead = view! {
        <thead>
            <tr>
                <th scope="col"><span class="visually-hidden">"Select"</span></th>
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
    }
    .into_any();
    // The table around its body: its rows, or why there are none.
    let table = move |body: AnyView| {
        view! {
            <div class="table-wrap">
                <table class="data-table wide">
                    {thead}
                    <tbody>{body}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    let page = match rows {
        Ok(page) => page,
        Err(error) => {
            let alert = view! { <tr><td colspan="9" class="error" role="alert">{error.to_string()}</td></tr> };
            return table(alert.into_any());
        }
    };
    let BulkContext {
        csrf,
        can_assign,
        projects,
        kept,
    } = bulk;
    // Without JavaScript, a refused bulk post comes back here: the rows (and the bar's choices)
    // as the person ticked them.
    let kept = kept
        .map(|failed| KeptChoices {
            action: failed.field("action").map(str::to_owned),
            ids: failed.ids("ids").into_iter().collect(),
            projects: failed.ids("project_ids").into_iter().collect(),
        })
        .unwrap_or_default();
    let bar_rows = page
        .items
        .iter()
        .map(|row| BulkRow::of(row.id, row.permissions, can_assign))
        .collect();
    let pages = ((page.total + i64::from(page.per_page) - 1) / i64::from(page.per_page)).max(1);
    let previous = (query.page > 1).then(|| {
        SecretQuery {
            page: query.page - 1,
            ..query.clone()
        }
        .href("/secrets")
    });
    let next = (i64::from(query.page) < pages).then(|| {
        SecretQuery {
            page: query.page + 1,
            ..query.clone()
        }
        .href("/secrets")
    });
    let pager = view! {
        <nav class="pager" aria-label="Pages">
            {previous.map(|href| view! { <a class="button small" href=href rel="prev">"Previous"</a> })}
            <span>{format!("Page {} of {pages} · {} secrets", query.page, page.total)}</span>
            {next.map(|href| view! { <a class="button small" href=href rel="next">"Next"</a> })}
        </nav>
    }
    .into_any();
    let body = if page.items.is_empty() {
        view! { <tr><td colspan="9" class="empty">"No secrets match."</td></tr> }.into_any()
    } else {
        let project = query.project_id;
        page.items
            .into_iter()
            .enumerate()
            .map(|(index, row)| {
                let ticked = kept.ids.contains(&row.id);
                view! { <SecretRowView row project index ticked /> }
            })
            .collect_view()
            .into_any()
    };
    let table = table(body);
    view! {
        <form method="post" action="/api/bulk_secrets" class="bulk-form">
            <input type="hidden" name="csrf" value=csrf />
            <BulkBar rows=bar_rows projects kept />
            {table}
        </form>
        {pager}
    }
    .into_any()
}

/// What a row's status cell shows on a project's page: that project's assignment, with its
/// reason in the secret's key names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectStatus {
    /// The assignment as the row was read.
    pub brief: AssignmentBrief,
    /// The secret's key names, which the reason is said in.
    pub names: KeyNames,
}

/// A row's status cell, following live events: secret `secret_id`'s rollup (`status` as the
/// row was read), or on a project's page that project's assignment with its reason. An
/// island.
#[island]
pub fn StatusCell(
    secret_id: i64,
    status: SecretStatus,
    project: Option<ProjectStatus>,
) -> impl IntoView {
    match project {
        Some(ProjectStatus { brief, names }) => {
            let (project_id, initial) = (brief.project.id, brief.status);
            // Said once, in the names of the secret's keys, as on the secret's page.
            let reason = live_reason(secret_id, project_id, brief, names);
            let shown = Memo::new(move |_| reason());
            view! {
                <LiveAssignmentBadge secret_id project_id initial />
                {move || shown.get().reason.map(|r| view! { <p class="cell-reason">{r}</p> })}
                {move || {
                    shown.get().warning.map(|w| view! {
                        <p class="cell-reason warning"><span class="muted">"Controller warning: "</span>{w}</p>
                    })
                }}
            }
            .into_any()
        }
        None => view! { <LiveStatusBadge id=secret_id initial=status /> }.into_any(),
    }
}

/// One secret's row (the `index`th of the page), its checkbox for the bulk bar `ticked` as a
/// refused plain post left it; on `project`'s page, its status is that project's assignment.
#[component]
fn SecretRowView(
    row: SecretRow,
    project: Option<i64>,
    index: usize,
    ticked: bool,
) -> impl IntoView {
    let on_project =
        project.and_then(|p| row.assigned_to.iter().find(|a| a.project.id == p).cloned());
    let status_project = on_project.map(|brief| ProjectStatus {
        brief,
        names: KeyNames::of(&row.spec),
    });
    let assigned: Vec<AssignedProject> =
        row.assigned_to.iter().map(AssignedProject::from).collect();
    view! {
        <tr>
            <td class="cell-select">
                <input
                    type="checkbox"
                    name=format!("ids[{index}]")
                    value=row.id
                    aria-label=format!("Select {}", row.name)
                    checked=ticked
                />
            </td>
            // `data-label`: the column's name, shown above the cell when the rows are cards (a
            // narrow screen); name and status need none.
            <td class="cell-name">
                <a href=format!("/secrets/{}", row.id)>{row.name.clone()}</a>
            </td>
            <td data-label="Type">{row.kind.as_str()}</td>
            <td data-label="Scope">{row.scope.as_str()}</td>
            <td data-label="Use case">{row.use_case.as_str()}</td>
            <td class="reason cell-status">
                <StatusCell secret_id=row.id status=row.status project=status_project />
            </td>
            <td class="cell-wrap" data-label="Assigned to">
                <AssignedToCell secret_id=row.id projects=assigned count=row.assignment_count />
            </td>
            <td class="cell-time" data-label="Updated">
                <time>{utc_time(row.updated_at)}</time>
            </td>
            <td class="cell-actions">
                {row.permissions.can_assign.then(|| view! {
                    <a class="button small" href=format!("/secrets/{}#assign", row.id)>"Assign"</a>
                })}
            </td>
        </tr>
    }
}
