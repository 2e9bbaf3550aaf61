//! Secret detail: spec (never values), per-project status with reason, history.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::secrets::get_secret;
use crate::components::format::utc_time;
use crate::components::session::RequireUser;
use crate::components::status_badge::{AssignmentBadge, StatusBadge};
use crate::error::AppError;
use crate::model::listing::SecretDetail;
use crate::model::secret::SecretSpec;
use crate::pages::not_found_page::NotFoundPage;

/// One secret. Absent, or not visible to this user: the not-found page (HTTP 404).
#[component]
pub fn SecretDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
    };
    let detail = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_secret(id).await,
            None => Err(AppError::NotFound),
        }
    });
    view! {
        <RequireUser children=move |_user| {
            view! {
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || {
                        detail
                            .get()
                            .map(|result| match result {
                                Ok(detail) => view! { <SecretDetailView detail /> }.into_any(),
                                Err(AppError::NotFound) => view! { <NotFoundPage /> }.into_any(),
                                Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                            })
                    }}
                </Transition>
            }
        } />
    }
}

#[component]
fn SecretDetailView(detail: SecretDetail) -> impl IntoView {
    let secret = detail.secret.clone();
    let spec = match &detail.spec {
        SecretSpec::External(external) => view! {
            <dl class="facts">
                <dt>"Store"</dt>
                <dd><code>{external.store.clone()}</code></dd>
                <dt>"Refresh interval"</dt>
                <dd><code>{external.refresh_interval.clone()}</code></dd>
            </dl>
            <table class="data-table compact">
                <caption class="visually-hidden">"Keys"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Key"</th>
                        <th scope="col">"Remote key"</th>
                        <th scope="col">"Property"</th>
                        <th scope="col">"Version"</th>
                    </tr>
                </thead>
                <tbody>
                    {external
                        .data
                        .iter()
                        .map(|entry| view! {
                            <tr>
                                <td><code>{entry.secret_key.clone()}</code></td>
                                <td><code>{entry.remote_key.clone()}</code></td>
                                <td>{entry.property.clone().unwrap_or_else(|| "—".into())}</td>
                                <td>{entry.version.clone().unwrap_or_else(|| "latest".into())}</td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        }
        .into_any(),
        SecretSpec::Kubernetes(k8s) => view! {
            <dl class="facts">
                <dt>"Secret type"</dt>
                <dd><code>{k8s.secret_type.clone()}</code></dd>
                <dt>"Keys"</dt>
                <dd>
                    {k8s.keys.iter().map(|k| view! { <code class="key">{k.clone()}</code> }).collect_view()}
                    <span class="muted">" (values are write-only and never shown)"</span>
                </dd>
            </dl>
        }
        .into_any(),
    };
    view! {
        <Title text=secret.name.clone() />
        <div class="page-header">
            <h1>{secret.name.clone()}</h1>
            <StatusBadge status=secret.status />
        </div>
        <p class="muted">
            {format!(
                "{} · {} · {} · version {} · updated {} by {}",
                secret.kind.as_str(),
                secret.scope.as_str(),
                secret.use_case.as_str(),
                secret.version,
                utc_time(secret.updated_at),
                secret.updated_by,
            )}
        </p>
        {(!detail.description.is_empty()).then(|| view! { <p>{detail.description.clone()}</p> })}
        <h2>"Spec"</h2>
        {spec}
        <h2>"Status by project"</h2>
        <div class="table-wrap">
            <table class="data-table">
                <thead>
                    <tr>
                        <th scope="col">"Project"</th>
                        <th scope="col">"Cluster"</th>
                        <th scope="col">"Namespace"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Reason"</th>
                        <th scope="col">"Last sync"</th>
                    </tr>
                </thead>
                <tbody>
                    {if detail.assignments.is_empty() {
                        view! { <tr><td colspan="6" class="empty">"Not assigned to any project."</td></tr> }.into_any()
                    } else {
                        detail
                            .assignments
                            .iter()
                            .map(|a| view! {
                                <tr>
                                    <td><a href=format!("/projects/{}", a.project.name)>{a.project.name.clone()}</a></td>
                                    <td>{a.cluster.clone()}</td>
                                    <td><code>{a.namespace.clone()}</code></td>
                                    <td><AssignmentBadge status=a.status /></td>
                                    <td class="reason">{a.reason.clone().unwrap_or_default()}</td>
                                    <td>{a.last_sync_at.map(utc_time).unwrap_or_else(|| "never".into())}</td>
                                </tr>
                            })
                            .collect_view()
                            .into_any()
                    }}
                </tbody>
            </table>
        </div>
        <h2>"History"</h2>
        <ol class="history">
            {detail
                .history
                .iter()
                .map(|entry| view! {
                    <li>
                        <time>{utc_time(entry.at)}</time>
                        " "
                        <strong>{entry.action.clone()}</strong>
                        {format!(" by {}", entry.actor)}
                        {(entry.outcome == "denied").then(|| view! { <span class="badge badge-danger">"denied"</span> })}
                        {entry.detail.clone().map(|d| view! { <span class="muted">{format!(" — {d}")}</span> })}
                    </li>
                })
                .collect_view()}
        </ol>
    }
}
