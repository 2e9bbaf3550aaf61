//! Secret detail: spec (never values), per-project status with reason, history.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::secrets::{
    AdoptObject, DeleteSecret, SetAssignments, SyncSecret, UnassignSecret, get_secret,
};
use crate::components::format::utc_time;
use crate::components::live::{
    LiveAssignmentBadge, LiveStatusBadge, live_last_sync, live_reason, use_live,
};
use crate::components::session::RequireUser;
use crate::domain::status::AssignmentStatus;
use crate::error::AppError;
use crate::model::account::CurrentUser;
use crate::model::listing::{AssignOption, AssignmentDetail, SecretDetail};
use crate::model::secret::{Scope, SecretSpec};
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
    let actions = RowActions {
        sync: ServerAction::new(),
        unassign: ServerAction::new(),
        delete: ServerAction::new(),
        adopt: ServerAction::new(),
        assign: ServerAction::new(),
    };
    let live = use_live();
    // Which projects the live events say it is assigned to: when that changes (an assignment
    // added or removed by anyone), the table is read again.
    let assigned_live = move || {
        id().and_then(|id| {
            live.secrets.with(|m| {
                m.get(&id).map(|s| {
                    s.assignments
                        .iter()
                        .map(|a| a.project_id)
                        .collect::<Vec<_>>()
                })
            })
        })
    };
    let detail = Resource::new(
        move || (id(), actions.version(), live.resync.get(), assigned_live()),
        |(id, _, _, _)| async move {
            match id {
                Some(id) => get_secret(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <RequireUser children=move |user| {
            view! {
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || {
                        let user = user.clone();
                        detail
                            .get()
                            .map(|result| match result {
                                Ok(detail) => view! { <SecretDetailView detail user actions /> }.into_any(),
                                Err(AppError::NotFound) => view! { <NotFoundPage /> }.into_any(),
                                Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                            })
                    }}
                </Transition>
            }
        } />
    }
}

/// How a pod reads the Secret: every key as an environment variable, or as files.
fn usage_snippet(name: &str) -> String {
    format!(
        "# every key as an environment variable\n\
         envFrom:\n  - secretRef:\n      name: {name}\n\n\
         # or every key as a file under /etc/secrets/{name}\n\
         volumes:\n  - name: {name}\n    secret:\n      secretName: {name}\n\
         containers:\n  - name: app\n    volumeMounts:\n      - name: {name}\n        mountPath: /etc/secrets/{name}\n        readOnly: true\n"
    )
}

/// What a row of the status table can ask for.
#[derive(Clone, Copy)]
struct RowActions {
    sync: ServerAction<SyncSecret>,
    unassign: ServerAction<UnassignSecret>,
    delete: ServerAction<DeleteSecret>,
    adopt: ServerAction<AdoptObject>,
    assign: ServerAction<SetAssignments>,
}

impl RowActions {
    /// Changes whenever one of them finished, so the detail reloads.
    fn version(self) -> usize {
        self.sync.version().get()
            + self.unassign.version().get()
            + self.delete.version().get()
            + self.adopt.version().get()
            + self.assign.version().get()
    }

    /// The last action's refusal, in words.
    fn error(self) -> Option<String> {
        let error = |e: Option<Result<(), AppError>>| e.and_then(Result::err);
        self.sync
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| error(self.unassign.value().get()))
            .or_else(|| error(self.delete.value().get()))
            .or_else(|| error(self.adopt.value().get()))
            .or_else(|| error(self.assign.value().get()))
            .map(|e| e.to_string())
    }
}

/// The buttons one assignment row offers this user; the server decides regardless.
#[component]
fn RowButtons(
    actions: RowActions,
    user: CurrentUser,
    secret_id: i64,
    scope: Scope,
    external: bool,
    assignment: AssignmentDetail,
) -> impl IntoView {
    let project = assignment.project.id;
    let name = assignment.project.name.clone();
    let csrf = user.csrf_token.clone();
    let may_change = user.is_admin || scope == Scope::Project;
    let status = assignment.status;
    let (sync_csrf, sync_label) = (csrf.clone(), format!("Sync now in {name}"));
    let sync = (external && may_change && !status.is_deleting()).then(move || {
        view! {
            <ActionForm action=actions.sync attr:class="inline-form">
                <input type="hidden" name="csrf" value=sync_csrf />
                <input type="hidden" name="id" value=secret_id />
                <input type="hidden" name="project_id" value=project />
                <button type="submit" class="button small" aria-label=sync_label>"Sync now"</button>
            </ActionForm>
        }
    });
    let (retry_csrf, retry_name) = (csrf.clone(), name.clone());
    let retry = (status == AssignmentStatus::DeleteFailed && may_change).then(move || {
        let (csrf, name) = (retry_csrf, retry_name);
        if scope == Scope::Organization {
            view! {
                <ActionForm action=actions.unassign attr:class="inline-form">
                    <input type="hidden" name="csrf" value=csrf />
                    <input type="hidden" name="id" value=secret_id />
                    <input type="hidden" name="project_id" value=project />
                    <button type="submit" class="button small" aria-label=format!("Retry removal from {name}")>"Retry removal"</button>
                </ActionForm>
            }
            .into_any()
        } else {
            view! {
                <ActionForm action=actions.delete attr:class="inline-form">
                    <input type="hidden" name="csrf" value=csrf />
                    <input type="hidden" name="id" value=secret_id />
                    <button type="submit" class="button small" aria-label=format!("Retry deleting in {name}")>"Retry delete"</button>
                </ActionForm>
            }
            .into_any()
        }
    });
    // Only a collision with an object the console does not own can be adopted.
    let foreign = assignment.adoptable;
    let adopt = (status == AssignmentStatus::Failed && user.is_admin && foreign).then(move || {
        view! {
            <ActionForm action=actions.adopt attr:class="inline-form">
                <input type="hidden" name="csrf" value=csrf />
                <input type="hidden" name="id" value=secret_id />
                <input type="hidden" name="project_id" value=project />
                <button
                    type="submit"
                    class="button small danger"
                    title="Take over the existing object of this name: its data is replaced"
                    aria-label=format!("Adopt the existing object in {name}; its data is replaced")
                >
                    "Adopt existing"
                </button>
            </ActionForm>
        }
    });
    view! { <div class="row-actions">{sync}{retry}{adopt}</div> }
}

#[component]
fn SecretDetailView(detail: SecretDetail, user: CurrentUser, actions: RowActions) -> impl IntoView {
    let secret = detail.secret.clone();
    let external = matches!(detail.spec, SecretSpec::External(_));
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
    let live = use_live();
    let gone = move || live.gone.with(|gone| gone.contains(&secret.id));
    view! {
        <Title text=secret.name.clone() />
        {move || gone().then(|| view! { <p class="notice" role="status">"This secret has been deleted."</p> })}
        <div class="page-header">
            <h1>{secret.name.clone()}</h1>
            <LiveStatusBadge id=secret.id initial=secret.status />
            {(user.is_admin || secret.scope == Scope::Project)
                .then(|| view! { <a class="button" href=format!("/secrets/{}/edit", secret.id)>"Edit"</a> })}
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
        <h2>"Use it in a workload"</h2>
        <p class="muted">"In each namespace it is assigned to, a Secret with this name holds its keys:"</p>
        <pre class="manifest" tabindex="0" aria-label="How to use it in a workload">{usage_snippet(&secret.name)}</pre>
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
                        <th scope="col">"Actions"</th>
                    </tr>
                </thead>
                <tbody>
                    {if detail.assignments.is_empty() {
                        view! { <tr><td colspan="7" class="empty">"Not assigned to any project."</td></tr> }.into_any()
                    } else {
                        detail
                            .assignments
                            .iter()
                            .map(|a| {
                                let retry = a.retry.clone().map(|r| view! {
                                    <p class="retry" data-next-retry=r.next_at>
                                        {format!("Retrying at {} (attempt {})", utc_time(r.next_at), r.attempts + 1)}
                                        {r.last_error.map(|e| view! { <span class="muted">{format!(": last attempt: {e}")}</span> })}
                                    </p>
                                });
                                // A warning from before the latest sync is history, not news.
                                let warning = a.last_warning.clone().filter(|_| a.status != AssignmentStatus::Synced).map(|w| view! {
                                    <p class="warning"><span class="muted">"Controller warning: "</span>{w}</p>
                                });
                                view! {
                                    <tr>
                                        <td><a href=format!("/projects/{}", a.project.name)>{a.project.name.clone()}</a></td>
                                        <td>{a.cluster.clone()}</td>
                                        <td><code>{a.namespace.clone()}</code></td>
                                        <td><LiveAssignmentBadge secret_id=secret.id project_id=a.project.id initial=a.status reason=a.reason.clone() last_sync_at=a.last_sync_at /></td>
                                        <td class="reason">{
                                            let reason = live_reason(secret.id, a.project.id, a.reason.clone());
                                            move || reason().unwrap_or_default()
                                        }{retry}{warning}</td>
                                        <td>{live_last_sync(secret.id, a.project.id, a.last_sync_at)}</td>
                                        <td>
                                            <RowButtons
                                                actions
                                                user=user.clone()
                                                secret_id=secret.id
                                                scope=secret.scope
                                                external
                                                assignment=a.clone()
                                            />
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()
                            .into_any()
                    }}
                </tbody>
            </table>
        </div>
        {move || actions.error().map(|message| view! { <p class="error" role="alert">{message}</p> })}
        {detail
            .assign_options
            .clone()
            .map(|options| view! { <AssignForm secret_id=secret.id csrf=user.csrf_token.clone() options actions /> })}
        {(user.is_admin || secret.scope == Scope::Project)
            .then(|| {
                let projects: Vec<String> = detail.assignments.iter().map(|a| a.project.name.clone()).collect();
                view! { <DeleteForm secret_id=secret.id name=secret.name.clone() projects csrf=user.csrf_token.clone() actions /> }
            })}
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

/// Assign to projects (admins, organization secrets): a searchable list of checkboxes; projects
/// where the name is taken are shown, disabled, with the reason. Works without JavaScript.
#[component]
fn AssignForm(
    secret_id: i64,
    csrf: String,
    options: Vec<AssignOption>,
    actions: RowActions,
) -> impl IntoView {
    let filter = RwSignal::new(String::new());
    view! {
        <h2 id="assign">"Assign to projects"</h2>
        <ActionForm action=actions.assign attr:class="form assign-form">
            <input type="hidden" name="csrf" value=csrf />
            <input type="hidden" name="id" value=secret_id />
            <label for="assign-filter">"Find a project"</label>
            <input
                id="assign-filter"
                type="search"
                autocomplete="off"
                placeholder="name, cluster or namespace"
                on:input=move |ev| filter.set(event_target_value(&ev).to_lowercase())
            />
            <fieldset class="project-choices">
                <legend class="visually-hidden">"Projects"</legend>
                {options
                    .into_iter()
                    .enumerate()
                    .map(|(i, option)| {
                        let haystack = format!("{} {} {}", option.project.name, option.cluster, option.namespace).to_lowercase();
                        let hidden = move || {
                            let wanted = filter.get();
                            !wanted.is_empty() && !haystack.contains(&wanted)
                        };
                        let blocked = option.collision.is_some();
                        view! {
                            <label class="choice" class:blocked=blocked hidden=hidden>
                                <input
                                    type="checkbox"
                                    name=format!("project_ids[{i}]")
                                    value=option.project.id
                                    checked=option.assigned
                                    disabled=blocked && !option.assigned
                                />
                                <span>{option.project.name.clone()}</span>
                                <span class="muted">{format!(" {} / {}", option.cluster, option.namespace)}</span>
                                {option.collision.clone().map(|c| view! { <span class="field-error">{format!(" — {c}")}</span> })}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <button type="submit" class="button primary" disabled=move || actions.assign.pending().get()>
                {move || if actions.assign.pending().get() { "Saving…" } else { "Save assignments" }}
            </button>
        </ActionForm>
    }
}

/// Delete: type the name to confirm; lists the projects it will be removed from.
#[component]
fn DeleteForm(
    secret_id: i64,
    name: String,
    projects: Vec<String>,
    csrf: String,
    actions: RowActions,
) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let expected = name.clone();
    let affected = if projects.is_empty() {
        "It is not assigned to any project.".to_owned()
    } else {
        format!("It will be removed from: {}.", projects.join(", "))
    };
    view! {
        <h2 id="delete">"Delete"</h2>
        <ActionForm action=actions.delete attr:class="form narrow danger-zone">
            <input type="hidden" name="csrf" value=csrf />
            <input type="hidden" name="id" value=secret_id />
            <p>{affected}</p>
            <label for="delete-confirm">{format!("Type {name} to confirm")}</label>
            <input
                id="delete-confirm"
                name="confirm"
                autocomplete="off"
                on:input=move |ev| typed.set(event_target_value(&ev))
            />
            <button
                type="submit"
                class="button danger"
                disabled=move || hydrated.get() && typed.get().trim() != expected
            >
                "Delete secret"
            </button>
        </ActionForm>
    }
}
