//! Secret detail: spec (never values), per-project status with reason, history.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::secrets::{
    AdoptObject, DeleteSecret, SetAssignments, SyncSecret, UnassignSecret, get_secret,
};
use crate::components::assign_form::AssignForm;
use crate::components::contexts::use_live;
use crate::components::delete_form::DeleteForm;
use crate::components::field_message::is_about_any;
use crate::components::format::utc_time;
use crate::components::live::{
    LiveAssignmentBadge, LiveEsoRefresh, LiveStatusBadge, live_last_sync, live_reason,
};
use crate::components::load::load;
use crate::components::loaded::Loaded;
use crate::domain::status::AssignmentStatus;
use crate::error::AppError;
use crate::model::account::CurrentUser;
use crate::model::listing::{AssignmentDetail, SecretDetail, SecretPermissions};
use crate::model::secret::{Scope, SecretSpec};

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
        retry_delete: ServerAction::new(),
        delete: ServerAction::new(),
        adopt: ServerAction::new(),
        assign: ServerAction::new(),
    };
    let live = use_live();
    // Which projects the live events say it is assigned to: when that changes (an assignment
    // added or removed by anyone), the table is read again.
    let assigned_live = move || id().and_then(|id| live.assigned_projects(id));
    // A secret this user may not see (or that does not exist) stays not found: the live
    // events do not make the page ask again (each answer would be another 404).
    let missing = StoredValue::new(None::<i64>);
    let detail = load(
        move || {
            (
                id(),
                actions.version(),
                live.resync_version(),
                assigned_live(),
            )
        },
        move |(id, _, _, _)| async move {
            match id {
                Some(id) if missing.get_value() != Some(id) => get_secret(id).await,
                _ => Err(AppError::NotFound),
            }
        },
    );
    Effect::new(move || {
        if detail.with(|d| matches!(d, Some(Err(AppError::NotFound)))) {
            missing.set_value(id());
        }
    });
    view! {
        <Loaded
            resource=detail
            children=move |detail, user| view! { <SecretDetailView detail user actions /> }
        />
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
    /// A row's "Retry delete": the page reads the secret again after it.
    retry_delete: ServerAction<DeleteSecret>,
    /// The delete form: on success the server sends the browser to the list, so the page must
    /// not read the deleted secret again (a 404 in the console on every delete).
    delete: ServerAction<DeleteSecret>,
    adopt: ServerAction<AdoptObject>,
    assign: ServerAction<SetAssignments>,
}

impl RowActions {
    /// Changes whenever one of them finished, so the detail reloads (not the delete form's:
    /// it leaves the page).
    fn version(self) -> usize {
        self.sync.version().get()
            + self.unassign.version().get()
            + self.retry_delete.version().get()
            + self.adopt.version().get()
            + self.assign.version().get()
    }

    /// The last action's refusal, in words (but for a refused confirmation, which the delete
    /// form shows at its field).
    fn error(self) -> Option<String> {
        let error = |e: Option<Result<(), AppError>>| e.and_then(Result::err);
        let delete = error(self.delete.value().get()).filter(|e| !is_about_any(e, &["confirm"]));
        self.sync
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| error(self.unassign.value().get()))
            .or_else(|| error(self.retry_delete.value().get()))
            .or(delete)
            .or_else(|| error(self.adopt.value().get()))
            .or_else(|| error(self.assign.value().get()))
            .map(|e| e.to_string())
    }
}

/// The buttons one assignment row offers this user, as the server's `may` allows (the server
/// decides again when one is pressed).
#[component]
fn RowButtons(
    actions: RowActions,
    csrf: String,
    may: SecretPermissions,
    secret_id: i64,
    scope: Scope,
    external: bool,
    assignment: AssignmentDetail,
) -> impl IntoView {
    let project = assignment.project.id;
    let name = assignment.project.name.clone();
    let status = assignment.status;
    let (sync_csrf, sync_label) = (csrf.clone(), format!("Sync now in {name}"));
    let sync = (external && may.can_sync && !status.is_deleting()).then(move || {
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
    // An organization secret's removal is an unassign; a project secret's, its delete.
    let may_retry = match scope {
        Scope::Organization => may.can_assign,
        Scope::Project => may.can_delete,
    };
    let retry = (status == AssignmentStatus::DeleteFailed && may_retry).then(move || {
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
                <ActionForm action=actions.retry_delete attr:class="inline-form">
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
    let adopt = (status == AssignmentStatus::Failed && may.can_adopt && foreign).then(move || {
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
    let interval = match &detail.spec {
        SecretSpec::External(spec) => {
            crate::domain::duration::parse_go_duration(&spec.refresh_interval).ok()
        }
        SecretSpec::Kubernetes(_) => None,
    };
    let spec = match &detail.spec {
        SecretSpec::External(external) => view! {
            <dl class="facts">
                <dt>"Store"</dt>
                <dd><code>{external.store.clone()}</code></dd>
                <dt>"Refresh interval"</dt>
                <dd>
                    <code>{external.refresh_interval.clone()}</code>
                    <span class="muted hint">
                        " External Secrets Operator reads the store again after this long: a change at the store shows then, or at once with Sync now."
                    </span>
                </dd>
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
    let gone = move || live.is_gone(secret.id);
    let may = secret.permissions;
    view! {
        <Title text=secret.name.clone() />
        {move || gone().then(|| view! { <p class="notice" role="status">"This secret has been deleted."</p> })}
        <div class="page-header">
            <h1>{secret.name.clone()}</h1>
            <LiveStatusBadge id=secret.id initial=secret.status />
            {may
                .can_edit
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
                                        <td>
                                            {live_last_sync(secret.id, a.project.id, a.last_sync_at)}
                                            {external.then(|| view! {
                                                <LiveEsoRefresh secret_id=secret.id project_id=a.project.id initial=a.refreshed_at interval />
                                            })}
                                        </td>
                                        <td>
                                            <RowButtons
                                                actions
                                                csrf=user.csrf_token.clone()
                                                may
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
            .map(|options| view! { <AssignForm secret_id=secret.id csrf=user.csrf_token.clone() options action=actions.assign /> })}
        {may
            .can_delete
            .then(|| {
                let projects: Vec<String> = detail.assignments.iter().map(|a| a.project.name.clone()).collect();
                view! { <DeleteForm secret_id=secret.id name=secret.name.clone() projects csrf=user.csrf_token.clone() action=actions.delete /> }
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
