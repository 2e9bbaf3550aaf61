//! The Audit page (platform admins; 404 for everyone else): the append-only audit log, newest
//! first, filtered by actor, action, project and secret, one page at a time, and exported as
//! JSON lines with the same filters. The filters are a GET form: the page works without
//! JavaScript, and a filtered view is a link.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::audit::list_audit;
use crate::components::format::utc_time;
use crate::components::load::load;
use crate::components::loaded::Loaded;
use crate::components::not_found::NotFound;
use crate::components::session::RequireUser;
use crate::model::audit::{AuditFilter, AuditPage as Page, AuditRecord};

/// The Audit page.
#[component]
pub fn AuditPage() -> impl IntoView {
    view! {
        <RequireUser children=|user| {
            if !user.permissions.can_manage_users {
                return view! { <NotFound /> }.into_any();
            }
            let query = use_query_map();
            let filter = Memo::new(move |_| {
                query.with(|q| {
                    let text = |key: &str| q.get(key).unwrap_or_default().trim().to_owned();
                    AuditFilter {
                        actor: text("actor"),
                        action: text("action"),
                        project: text("project"),
                        secret: text("secret"),
                        before: q.get("before").and_then(|b| b.parse().ok()),
                    }
                })
            });
            let entries = load(move || filter.get(), list_audit);
            view! {
                <Title text="Audit" />
                <div class="page-header">
                    <h1>"Audit"</h1>
                </div>
                <p class="muted">
                    "Every change and every refusal, newest first: sign-ins, people, memberships, allowlists, projects, secrets. Never a value."
                </p>
                <Loaded resource=entries children=move |page, _user| {
                    view! { <AuditView page filter=filter.get_untracked() /> }
                } />
            }
            .into_any()
        } />
    }
}

#[component]
fn AuditView(page: Page, filter: AuditFilter) -> impl IntoView {
    let query = filter.query();
    let export = if query.is_empty() {
        "/audit/export".to_owned()
    } else {
        format!("/audit/export?{query}")
    };
    let older = page.next_before.map(|before| {
        let joiner = if query.is_empty() { "" } else { "&" };
        format!("/audit?{query}{joiner}before={before}")
    });
    let first_page = filter.before.is_some().then(|| {
        if query.is_empty() {
            "/audit".to_owned()
        } else {
            format!("/audit?{query}")
        }
    });
    let action = filter.action.clone();
    view! {
        <form method="get" action="/audit" class="filters" role="search" aria-label="Filter the audit log">
            <label for="audit-actor">"Actor"</label>
            <input id="audit-actor" type="text" name="actor" value=filter.actor.clone() placeholder="admin@example.com" />
            <label for="audit-action">"Action"</label>
            <select id="audit-action" name="action">
                <option value="" selected=action.is_empty()>"Any action"</option>
                {page
                    .actions
                    .iter()
                    .map(|name| {
                        view! { <option value=name.clone() selected=*name == action>{name.clone()}</option> }
                    })
                    .collect_view()}
            </select>
            <label for="audit-project">"Project"</label>
            <input id="audit-project" type="text" name="project" value=filter.project.clone() />
            <label for="audit-secret">"Secret"</label>
            <input id="audit-secret" type="text" name="secret" value=filter.secret.clone() />
            <button type="submit" class="button">"Filter"</button>
            <a class="button" href="/audit" rel="external">"Clear"</a>
        </form>
        <p>
            <a href=export download="audit.jsonl" rel="external">"Export as JSON lines"</a>
            <span class="muted">" (every entry matching these filters)"</span>
        </p>
        {if page.entries.is_empty() {
            view! { <p class="empty">"No audit entry matches these filters."</p> }.into_any()
        } else {
            view! { <AuditTable entries=page.entries /> }.into_any()
        }}
        <nav class="pager" aria-label="Audit pages">
            {first_page.map(|href| view! { <a href=href rel="external">"Newest entries"</a> })}
            " "
            {older.map(|href| view! { <a href=href rel="external">"Older entries"</a> })}
        </nav>
    }
}

#[component]
fn AuditTable(entries: Vec<AuditRecord>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="data-table" aria-label="Audit entries">
                <thead>
                    <tr>
                        <th scope="col">"When (UTC)"</th>
                        <th scope="col">"Actor"</th>
                        <th scope="col">"Action"</th>
                        <th scope="col">"Concerning"</th>
                        <th scope="col">"Detail"</th>
                    </tr>
                </thead>
                <tbody>
                    {entries
                        .into_iter()
                        .map(|entry| {
                            let concerning = [
                                entry.target.clone(),
                                entry.project.clone().map(|p| format!("project {p}")),
                                entry.secret.clone().map(|s| format!("secret {s}")),
                                entry.client_address.clone().map(|a| format!("from {a}")),
                            ]
                            .into_iter()
                            .flatten()
                            .collect::<Vec<_>>()
                            .join(" · ");
                            view! {
                                <tr>
                                    <td data-label="When"><time>{utc_time(entry.at)}</time></td>
                                    <td data-label="Actor">{entry.actor}</td>
                                    <td data-label="Action">
                                        {entry.action}
                                        {(entry.outcome == "denied")
                                            .then(|| view! { " " <span class="badge badge-danger">"denied"</span> })}
                                    </td>
                                    <td class="cell-wrap" data-label="Concerning">{concerning}</td>
                                    <td class="cell-wrap" data-label="Detail">{entry.detail.unwrap_or_default()}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
