//! The Secrets page's table of secrets: selectable rows, a bulk bar, sorting headers and a
//! pager (all through the URL); filtered by a project, that project's assignment per row.

use std::collections::{BTreeSet, HashSet};

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::secrets::{BulkSecrets, list_secrets};
use crate::components::assigned_to::{assigned_to_text, live_assignment_sets};
use crate::components::contexts::use_live;
use crate::components::created::Notice;
use crate::components::field_message::{FieldMessage, is_about_any};
use crate::components::format::utc_time;
use crate::components::live::{LiveAssignmentBadge, LiveStatusBadge, live_reason};
use crate::components::load::Load;
use crate::components::unreachable::{Sent, UnreachableNotice, answered};
use crate::domain::reason_words::KeyNames;
use crate::domain::status::AssignmentStatus;
use crate::error::AppError;
use crate::model::flash::FailedPost;
use crate::model::listing::{Page, ProjectRef, SecretPermissions, SecretQuery, SecretRow, SortKey};

/// Every project the user may see, by name, as the Secrets page's filter and bulk bar offer
/// them.
pub type ProjectsResource = Load<Result<Vec<ProjectRef>, AppError>>;

/// What the bulk bar needs of the signed-in person and the page: their form token, whether
/// they may assign at all, the projects they may see, and a refused plain post sent back here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// The Secrets page's table for `query`, starting from `initial` (its rows as the server read
/// them): rows can be selected for a bulk action, and the headers sort and the footer pages
/// through the URL. An island: the only part of the page that hydrates, besides the shell's
/// live indicator and navigation button. Its rows are read again when live events may have
/// been missed, after an answered bulk action, and when the projects a shown secret is
/// assigned to change (here or in another tab).
#[island]
pub fn SecretsTable(
    query: SecretQuery,
    initial: Result<Page<SecretRow>, AppError>,
    bulk: BulkContext,
) -> impl IntoView {
    let live = use_live();
    let action = ServerAction::<BulkSecrets>::new();
    // Reloaded after an answered action only: one the server never got leaves the rows (and
    // what is selected) as they were.
    let changed = answered(action);
    let assigned_live = live_assignment_sets(live);
    let rows = RwSignal::new(initial);
    let query = StoredValue::new(query);
    // `get`, not `track`: a memo never read is never computed, so it would never change.
    reload_rows(query.get_value(), rows, move || {
        let _ = (live.resync_version(), changed.get(), assigned_live.get());
    });
    // Without JavaScript, a refused bulk post comes back here: the rows (and the bar's choices)
    // as the person ticked them. The server renders the boxes ticked; the running page starts
    // its selection from them.
    let kept_ids = bulk
        .kept
        .as_ref()
        .map(|failed| failed.ids("ids"))
        .unwrap_or_default();
    // The ids of the checked rows, which decide what the bulk bar offers; emptied after each
    // answered action.
    let selected = RwSignal::new(kept_ids.iter().copied().collect::<HashSet<i64>>());
    Effect::new(move |previous: Option<usize>| {
        let now = changed.get();
        if previous.is_some() {
            selected.set(HashSet::new());
        }
        now
    });
    let kept_ids = Signal::stored(kept_ids);
    let header = move |key: SortKey, label: &'static str| {
        let q = query.get_value();
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
    };
    let project = query.with_value(|q| q.project_id);
    let body = move || {
        match rows.get() {
        Ok(page) if page.items.is_empty() => {
            view! { <tr><td colspan="9" class="empty">"No secrets match."</td></tr> }.into_any()
        }
        Ok(page) => page
            .items
            .into_iter()
            .enumerate()
            .map(|(i, row)| view! { <SecretRowView row project select=RowSelect { index: i, selected, kept: kept_ids } /> })
            .collect_view()
            .into_any(),
        Err(error) => {
            view! { <tr><td colspan="9" class="error" role="alert">{error.to_string()}</td></tr> }.into_any()
        }
    }
    };
    let table = view! {
        <div class="table-wrap">
            <table class="data-table wide">
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
                <tbody>{body}</tbody>
            </table>
        </div>
    };
    let pager = move || {
        rows.get().ok().map(|page| {
            let q = query.get_value();
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
        })
    };
    let BulkContext {
        csrf,
        can_assign,
        projects,
        kept,
    } = bulk;
    // Kept here, not in the bar, which is built again with the rows.
    let sent = Sent::follow(action);
    let projects = StoredValue::new(projects);
    let bar = move || {
        rows.get().ok().map(|page| {
            let rows = page
                .items
                .iter()
                .map(|row| (row.id, row.permissions))
                .collect();
            let kept = kept.clone();
            view! { <BulkToolbar action can_assign projects rows selected sent kept /> }
        })
    };
    view! {
        <ActionForm action=action attr:class="bulk-form">
            <input type="hidden" name="csrf" value=csrf />
            {bar}
            {bulk_outcome(action)}
            {table}
        </ActionForm>
        {pager}
    }
}

/// Reads `rows` again for `query` whenever `reload` (which only tracks) says so, never on its
/// first run (the rows are as the page was rendered with). An older answer arriving after a
/// newer one is dropped, and so is "the server could not be reached": the rows (and what is
/// selected) stay as they were while the server is away.
fn reload_rows(
    query: SecretQuery,
    rows: RwSignal<Result<Page<SecretRow>, AppError>>,
    reload: impl Fn() + Send + Sync + 'static,
) {
    let asked = StoredValue::new(0_u64);
    Effect::new(move |first: Option<()>| {
        reload();
        if first.is_none() {
            return;
        }
        asked.update_value(|n| *n += 1);
        let mine = asked.get_value();
        let query = query.clone();
        leptos::task::spawn_local(async move {
            let fresh = list_secrets(query).await;
            let unreached = matches!(&fresh, Err(error) if error.is_unreachable());
            if asked.get_value() == mine && !unreached {
                rows.set(fresh);
            }
        });
    });
}

/// The bulk actions a person may take: each offered only when they may do it to at least one
/// of the selected rows (of every row on the page while none is selected, as before the page
/// runs its script). The server decides again for each secret.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct BulkOffer {
    sync: bool,
    assign: bool,
    delete: bool,
}

impl BulkOffer {
    /// What `rows` (id and what the person may do to it) allow for `selected`; `can_assign`:
    /// whether the person may assign at all.
    fn of(rows: &[(i64, SecretPermissions)], selected: &HashSet<i64>, can_assign: bool) -> Self {
        rows.iter()
            .filter(|(id, _)| selected.is_empty() || selected.contains(id))
            .fold(BulkOffer::default(), |offer, (_, may)| BulkOffer {
                sync: offer.sync || may.can_sync,
                assign: offer.assign || (can_assign && may.can_assign),
                delete: offer.delete || may.can_delete,
            })
    }

    /// Nothing to offer.
    fn is_empty(self) -> bool {
        self == BulkOffer::default()
    }
}

/// What the last bulk action did: a success in a live region that takes the focus, or what
/// was refused (a refused confirmation at its field; an unreached server beside Apply).
fn bulk_outcome(action: ServerAction<BulkSecrets>) -> impl IntoView {
    let notice = Notice::new();
    Effect::new(move |_| match action.value().get() {
        Some(Ok(outcome)) if outcome.refused.is_empty() => notice.say(outcome.summary()),
        Some(_) => notice.clear(),
        None => {}
    });
    let refused = move || {
        action.value().get().map(|result| match result {
            Ok(outcome) if outcome.refused.is_empty() => ().into_any(),
            Ok(outcome) => view! {
                <div class="error" role="alert">
                    <p>{format!("{} Refused:", outcome.summary())}</p>
                    <ul>{outcome.refused.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}</ul>
                </div>
            }
            .into_any(),
            Err(error) if error.is_unreachable() || is_about_any(&error, &["confirm"]) => {
                ().into_any()
            }
            Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
        })
    };
    view! {
        {notice.view()}
        {refused}
    }
}

/// The bulk action bar: the actions [`BulkOffer`] allows for the selected `rows`, the projects
/// for assign/unassign, a confirmation for delete.
#[component]
fn BulkToolbar(
    action: ServerAction<BulkSecrets>,
    can_assign: bool,
    projects: StoredValue<Vec<ProjectRef>>,
    rows: Vec<(i64, SecretPermissions)>,
    selected: RwSignal<HashSet<i64>>,
    sent: Sent<BulkSecrets>,
    kept: Option<FailedPost>,
) -> impl IntoView {
    // A refused plain post's choices, shown again (see `SecretsTable`).
    let kept_action = StoredValue::new(
        kept.as_ref()
            .and_then(|f| f.field("action").map(str::to_owned)),
    );
    let kept_projects = StoredValue::new(
        kept.as_ref()
            .map(|f| f.ids("project_ids"))
            .unwrap_or_default(),
    );
    let offer =
        Memo::new(move |_| selected.with(|chosen| BulkOffer::of(&rows, chosen, can_assign)));
    let confirm = FieldMessage::answered("bulk-confirm", "confirm", move || action.value().get());
    let nothing = move || {
        offer.get().is_empty().then(|| {
            let which = if selected.with(HashSet::is_empty) {
                "these"
            } else {
                "the selected"
            };
            view! { <p class="muted">{format!("You may not change {which} secrets.")}</p> }
        })
    };
    let was = move |value: &str| kept_action.with_value(|kept| kept.as_deref() == Some(value));
    let choose = move || {
        (!offer.get().is_empty()).then(|| view! {
            <label for="bulk-action">"With the selected secrets"</label>
            <select id="bulk-action" name="action">
                {move || offer.get().sync.then(|| view! { <option value="sync" selected=was("sync")>"Sync now"</option> })}
                {move || offer.get().assign.then(|| view! {
                    <option value="assign" selected=was("assign")>"Assign to the projects below"</option>
                    <option value="unassign" selected=was("unassign")>"Unassign from the projects below"</option>
                })}
                {move || offer.get().delete.then(|| view! { <option value="delete" selected=was("delete")>"Delete"</option> })}
            </select>
        })
    };
    let open = kept_projects.with_value(|kept| !kept.is_empty());
    let projects_list = move || {
        offer.get().assign.then(|| view! {
                <details class="bulk-projects" open=open>
                    <summary>"Projects"</summary>
                    {projects.get_value()
                        .into_iter()
                        .enumerate()
                        .map(|(i, p)| view! {
                            <label class="checkbox">
                                <input type="checkbox" name=format!("project_ids[{i}]") value=p.id checked=kept_projects.with_value(|kept| kept.contains(&p.id)) />
                                {p.name}
                            </label>
                        })
                        .collect_view()}
                </details>
        })
    };
    let delete_confirm =
        move || {
            let confirm = confirm.clone();
            offer.get().delete.then(|| view! {
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
        })
        };
    let apply = move || {
        (!offer.get().is_empty()).then(|| {
            view! {
                <button type="submit" class="button" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Applying…" } else { "Apply" }}
                </button>
            }
        })
    };
    view! {
        <div class="bulk-bar">
            {nothing}
            {choose}
            {projects_list}
            {delete_confirm}
            {apply}
            <UnreachableNotice action sent />
        </div>
    }
}

/// The status cell: the secret's rollup, or on a project's page that project's assignment with
/// its reason; both follow live events.
fn status_cell(row: &SecretRow, project: Option<i64>) -> AnyView {
    let brief = project.and_then(|p| row.assigned_to.iter().find(|a| a.project.id == p).cloned());
    match (project, brief) {
        (Some(project), Some(brief)) => {
            let id = row.id;
            let initial = brief.status;
            // Said once, in the names of the secret's keys, as on the secret's page.
            let reason = live_reason(id, project, brief, KeyNames::of(&row.spec));
            let shown = Memo::new(move |_| reason());
            view! {
                <LiveAssignmentBadge secret_id=id project_id=project initial />
                {move || shown.get().reason.map(|r| view! { <p class="cell-reason">{r}</p> })}
                {move || {
                    shown.get().warning.map(|w| view! {
                        <p class="cell-reason warning"><span class="muted">"Controller warning: "</span>{w}</p>
                    })
                }}
            }
            .into_any()
        }
        _ => view! { <LiveStatusBadge id=row.id initial=row.status /> }.into_any(),
    }
}

/// A row's checkbox for the bulk bar: its place on the page, the selection, and the ids a
/// refused plain post had ticked (rendered ticked by the server).
#[derive(Clone, Copy)]
struct RowSelect {
    index: usize,
    selected: RwSignal<HashSet<i64>>,
    kept: Signal<BTreeSet<i64>>,
}

/// One secret's row, with a checkbox for the bulk bar (`select`: its index and the selection).
#[component]
fn SecretRowView(row: SecretRow, project: Option<i64>, select: RowSelect) -> impl IntoView {
    let RowSelect {
        index: i,
        selected,
        kept,
    } = select;
    let live = use_live();
    let (briefs, count, secret_id) = (row.assigned_to.clone(), row.assignment_count, row.id);
    // Follows live events: a project being unassigned leaves the cell at once, and so does one
    // the events no longer list (removed; the rows are read again for the rest).
    let assigned = move || {
        let listed = live.assigned_projects(secret_id);
        assigned_to_text(&briefs, count, |project, initial| {
            if listed.as_ref().is_some_and(|ids| !ids.contains(&project)) {
                return AssignmentStatus::Deleting;
            }
            live.assignment(secret_id, project)
                .map_or(initial, |a| a.status)
        })
    };
    let can_assign = row.permissions.can_assign;
    let id = row.id;
    let gone = move || live.is_gone(id);
    view! {
        <tr hidden=gone>
            <td class="cell-select">
                <input
                    type="checkbox"
                    name=format!("ids[{i}]")
                    value=row.id
                    disabled=gone
                    aria-label=format!("Select {}", row.name)
                    checked=move || selected.with(|s| s.contains(&id)) || kept.with(|k| k.contains(&id))
                    prop:checked=move || selected.with(|s| s.contains(&id))
                    on:change=move |ev| {
                        let checked = event_target_checked(&ev);
                        selected.update(|s| {
                            if checked {
                                s.insert(id);
                            } else {
                                s.remove(&id);
                            }
                        });
                    }
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
            <td class="reason cell-status">{status_cell(&row, project)}</td>
            <td class="cell-wrap" data-label="Assigned to">{assigned}</td>
            <td class="cell-time" data-label="Updated">
                <time>{utc_time(row.updated_at)}</time>
            </td>
            <td class="cell-actions">
                {can_assign.then(|| view! {
                    <a class="button small" href=format!("/secrets/{}#assign", row.id)>"Assign"</a>
                })}
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn may(sync: bool, assign: bool, delete: bool) -> SecretPermissions {
        SecretPermissions {
            can_sync: sync,
            can_assign: assign,
            can_delete: delete,
            ..SecretPermissions::default()
        }
    }

    #[test]
    fn bulk_delete_is_offered_only_for_a_selection_holding_a_deletable_secret() {
        // A member's page: an organization secret (nothing allowed) and their project's one.
        let rows = [(1, may(false, false, false)), (2, may(true, false, true))];
        let organization_only = HashSet::from([1]);
        assert!(BulkOffer::of(&rows, &organization_only, false).is_empty());
        let both = HashSet::from([1, 2]);
        let offer = BulkOffer::of(&rows, &both, false);
        assert!(offer.delete && offer.sync && !offer.assign);
    }

    #[test]
    fn with_nothing_selected_the_page_s_rows_decide() {
        let rows = [(1, may(false, false, false)), (2, may(true, false, true))];
        assert!(BulkOffer::of(&rows, &HashSet::new(), false).delete);
        assert!(BulkOffer::of(&rows[..1], &HashSet::new(), false).is_empty());
    }

    #[test]
    fn assign_is_offered_only_to_who_may_assign() {
        let rows = [(1, may(true, true, true))];
        assert!(!BulkOffer::of(&rows, &HashSet::new(), false).assign);
        assert!(BulkOffer::of(&rows, &HashSet::new(), true).assign);
    }
}
