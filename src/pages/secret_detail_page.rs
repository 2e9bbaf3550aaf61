//! Secret detail: spec (never values), per-project status with reason, history.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::secrets::{
    AdoptObject, DeleteSecret, SetAssignments, SyncSecret, UnassignSecret, get_secret,
};
use crate::api::selectors::SetSecretSelectors;
use crate::components::applied_objects::AppliedObjects;
use crate::components::assign_form::AssignForm;
use crate::components::assignment_reason::AssignmentReason;
use crate::components::contexts::use_live;
use crate::components::created::Notice;
use crate::components::delete_form::DeleteForm;
use crate::components::field_message::is_about_any;
use crate::components::format::utc_time;
use crate::components::history::History;
use crate::components::live::{
    FailureSource, LiveAssignmentBadge, LiveEsoRefresh, LiveStatusBadge, live_last_sync,
};
use crate::components::load::load;
use crate::components::loaded::Loaded;
use crate::components::name_link::NameLink;
use crate::components::selector_form::SelectorSection;
use crate::components::unreachable::{Sent, UnreachableNotice, answered};
use crate::components::used_by::{UsedByNow, UsedBySection, UsedByWarning};
use crate::domain::status::AssignmentStatus;
use crate::error::AppError;
use crate::model::account::CurrentUser;
use crate::model::listing::{
    AssignOption, AssignmentDetail, SecretDetail, SecretPermissions, SelectorMatch,
};
use crate::model::secret::{Scope, SecretSpec};

/// One secret. Absent, or not visible to this user: the not-found page (HTTP 404).
#[component]
pub fn SecretDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = Signal::derive(move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
    });
    view! { <SecretDetailOf id /> }
}

/// The secret `id` (None: not found), for its page and for its address by name
/// (`pages::secret_by_name_page`).
#[component]
pub fn SecretDetailOf(#[prop(into)] id: Signal<Option<i64>>) -> impl IntoView {
    let id = move || id.get();
    let actions = RowActions::new();
    let live = use_live();
    // Which projects the live events say it is assigned to: when that changes (an assignment
    // added or removed by anyone), the table is read again.
    let assigned_live = move || id().and_then(|id| live.assigned_projects(id));
    // A secret this user may not see (or that does not exist) stays not found: the live
    // events do not make the page ask again (each answer would be another 404).
    let missing = StoredValue::new(None::<i64>);
    // What is shown, kept for when the secret is deleted (below).
    let shown = StoredValue::new(None::<SecretDetail>);
    let detail = load(
        move || {
            (
                id(),
                actions.version(),
                live.resync_version(),
                assigned_live(),
            )
        },
        move |(id, _, _, _)| {
            // Nor is a deleted secret asked for again (deleted by the delete form, whose answer
            // sends the browser to the list, or as a live event says; the events of its going
            // can come before the browser has left): the page stays as it was, saying so.
            let deleted = untrack(|| {
                id.is_some_and(|id| live.is_gone(id))
                    || matches!(actions.delete.value().get(), Some(Ok(())))
            });
            let last = shown
                .get_value()
                .filter(|d| deleted && id == Some(d.secret.id));
            async move {
                if let Some(last) = last {
                    return Ok(last);
                }
                match id {
                    Some(id) if missing.get_value() != Some(id) => get_secret(id).await,
                    _ => Err(AppError::NotFound),
                }
            }
        },
    );
    // Who uses it (`components::used_by`): asked once the secret is shown, again as it is
    // read again (the assignments changed), and every few seconds while the page is visible;
    // never for a secret gone, or not (yet) shown: one the person may not see would be a 404.
    UsedByNow::provide(
        id,
        move || detail.track(),
        move || {
            let id = id();
            let shown_now =
                detail.with_untracked(|d| matches!(d, Some(Ok(d)) if Some(d.secret.id) == id));
            !shown_now
                || id.is_none_or(|id| live.is_gone(id))
                || matches!(actions.delete.value().get_untracked(), Some(Ok(())))
        },
    );
    Effect::new(move || {
        if detail.with(|d| matches!(d, Some(Err(AppError::NotFound)))) {
            missing.set_value(id());
        }
        if let Some(Ok(d)) = detail.get() {
            shown.set_value(Some(d));
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
    /// Saving the secret's selectors.
    selectors: ServerAction<SetSecretSelectors>,
    /// How many of them the server answered (not the delete form's: it leaves the page).
    changed: Memo<usize>,
    /// What the last one did, said where the eye is.
    notice: Notice,
    /// The project the last row button was pressed for, for the notice.
    about: StoredValue<String>,
    /// The assign form's projects as shown, for the notice after saving it.
    options: StoredValue<Vec<AssignOption>>,
    /// What the row buttons last sent, for Retry when the server was away (kept here: the
    /// rows are built again with each reload).
    sent: (
        Sent<SyncSecret>,
        Sent<UnassignSecret>,
        Sent<DeleteSecret>,
        Sent<AdoptObject>,
    ),
}

impl RowActions {
    /// The actions, and what says that each of them was done.
    fn new() -> Self {
        let (sync, unassign, retry_delete) = (
            ServerAction::new(),
            ServerAction::new(),
            ServerAction::new(),
        );
        let (adopt, assign) = (ServerAction::new(), ServerAction::new());
        let selectors = ServerAction::new();
        let answers = [
            answered(selectors),
            answered(sync),
            answered(unassign),
            answered(retry_delete),
            answered(adopt),
            answered(assign),
        ];
        let (notice, about) = (Notice::new(), StoredValue::new(String::new()));
        let options = StoredValue::new(Vec::new());
        let assigned = Sent::follow(assign);
        // Each success said; a failure (shown on its own) silences the last success.
        fn follow<T: Send + Sync + 'static>(
            value: impl Fn() -> Option<Result<T, AppError>> + 'static,
            notice: Notice,
            words: impl Fn() -> String + 'static,
        ) {
            Effect::new(move |_| match value() {
                Some(Ok(_)) => notice.say(words()),
                Some(Err(_)) => notice.clear(),
                None => {}
            });
        }
        let named = move |words: &'static str| move || words.replace("{}", &about.get_value());
        follow(
            move || sync.value().get(),
            notice,
            named("Sync now requested in {}."),
        );
        follow(
            move || unassign.value().get(),
            notice,
            named("Removed from {}."),
        );
        follow(
            move || retry_delete.value().get(),
            notice,
            || "Deleting again: the secret goes once its objects are removed.".to_owned(),
        );
        follow(
            move || adopt.value().get(),
            notice,
            named("Taking over the existing object in {}."),
        );
        follow(
            move || assign.value().get(),
            notice,
            move || {
                let chosen = assigned
                    .last()
                    .map(|sent: SetAssignments| sent.project_ids)
                    .unwrap_or_default();
                options.with_value(|options| assignment_words(options, &chosen))
            },
        );
        RowActions {
            sync,
            unassign,
            retry_delete,
            delete: ServerAction::new(),
            adopt,
            assign,
            selectors,
            changed: Memo::new(move |_| answers.iter().map(|a| a.get()).sum()),
            notice,
            about,
            options,
            sent: (
                Sent::follow(sync),
                Sent::follow(unassign),
                Sent::follow(retry_delete),
                Sent::follow(adopt),
            ),
        }
    }

    /// Changes whenever the server answered one of them, so the detail reloads.
    fn version(self) -> usize {
        self.changed.get()
    }

    /// Beside the row buttons: the one whose request the server never got, with Retry.
    fn unreached(self) -> impl IntoView {
        let (sync, unassign, retry_delete, adopt) = self.sent;
        view! {
            <UnreachableNotice action=self.sync sent=sync />
            <UnreachableNotice action=self.unassign sent=unassign />
            <UnreachableNotice action=self.retry_delete sent=retry_delete />
            <UnreachableNotice action=self.adopt sent=adopt />
        }
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
            // Said beside the action, with Retry.
            .filter(|e| !e.is_unreachable())
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
    assignment: AssignmentDetail,
) -> impl IntoView {
    let project = assignment.project.id;
    let name = assignment.project.name.clone();
    let status = assignment.status;
    // Which project the notice after the action names.
    let pressed = {
        let name = StoredValue::new(name.clone());
        move |_| actions.about.set_value(name.get_value())
    };
    let (sync_csrf, sync_label) = (csrf.clone(), format!("Sync now in {name}"));
    // Both kinds: an ExternalSecret is asked to fetch again, a Kubernetes Secret is applied
    // again from the stored values.
    let sync = (may.can_sync && !status.is_deleting()).then(move || {
        view! {
            <ActionForm action=actions.sync attr:class="inline-form">
                <input type="hidden" name="csrf" value=sync_csrf />
                <input type="hidden" name="id" value=secret_id />
                <input type="hidden" name="project_id" value=project />
                <button type="submit" class="button small" aria-label=sync_label on:click=pressed>"Sync now"</button>
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
                    <button type="submit" class="button small" aria-label=format!("Retry removal from {name}") on:click=pressed>"Retry removal"</button>
                    <UsedByWarning project inline=true />
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
                    on:click=pressed
                    aria-label=format!("Adopt the existing object in {name}; its data is replaced")
                >
                    "Adopt existing"
                </button>
                <span class="muted">" Replaces that object's data with the console's."</span>
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
            <div class="table-wrap compact">
            <table class="data-table">
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
                                <td class="cell-name"><code>{entry.secret_key.clone()}</code></td>
                                <td data-label="Remote key"><code>{entry.remote_key.clone()}</code></td>
                                <td data-label="Property">{entry.property.clone().unwrap_or_else(|| "—".into())}</td>
                                <td data-label="Version">{entry.version.clone().unwrap_or_else(|| "latest".into())}</td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
            </div>
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
        <NameLink path=detail.name_path.clone() />
        {(!detail.description.is_empty()).then(|| view! { <p>{detail.description.clone()}</p> })}
        <h2>"Spec"</h2>
        {spec}
        <h2>"Use it in a workload"</h2>
        <p class="muted">"In each namespace it is assigned to, a Secret with this name holds its keys:"</p>
        <pre class="manifest" tabindex="0" aria-label="How to use it in a workload">{usage_snippet(&secret.name)}</pre>
        <h2>"Status by project"</h2>
        <div class="table-wrap">
            <table class="data-table wide">
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
                                view! {
                                    <tr>
                                        <td class="cell-name">
                                            <a href=format!("/projects/{}", a.project.name)>{a.project.name.clone()}</a>
                                            {a.by_selector.then(|| view! { <span class="muted via-selector">{via_selector(detail.selectors.as_deref(), a.project.id)}</span> })}
                                        </td>
                                        <td data-label="Cluster">{a.cluster.clone()}</td>
                                        <td data-label="Namespace"><code>{a.namespace.clone()}</code></td>
                                        <td class="cell-status"><LiveAssignmentBadge secret_id=secret.id project_id=a.project.id initial=a.status reason=a.reason.clone() last_sync_at=a.last_sync_at failure=Some(FailureSource { recorded: a.failure, warning: a.last_warning.clone(), spec: detail.spec.clone() }) /></td>
                                        <td class="reason" data-label="Reason">
                                            <AssignmentReason secret_id=secret.id assignment=a.clone() spec=detail.spec.clone() />
                                        </td>
                                        <td data-label="Last sync">
                                            {live_last_sync(secret.id, a.project.id, a.last_sync_at)}
                                            {external.then(|| view! {
                                                <LiveEsoRefresh secret_id=secret.id project_id=a.project.id initial=a.refreshed_at interval />
                                            })}
                                        </td>
                                        <td class="cell-actions">
                                            <RowButtons
                                                actions
                                                csrf=user.csrf_token.clone()
                                                may
                                                secret_id=secret.id
                                                scope=secret.scope
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
        {actions.notice.view()}
        {move || actions.error().map(|message| view! { <p class="error" role="alert">{message}</p> })}
        {actions.unreached()}
        <UsedBySection />
        <AppliedObjects secret_id=secret.id />
        {detail
            .assign_options
            .clone()
            .inspect(|options| actions.options.set_value(options.clone()))
            .map(|options| view! { <AssignForm secret_id=secret.id csrf=user.csrf_token.clone() options action=actions.assign /> })}
        {detail
            .selectors
            .clone()
            .map(|saved| view! { <SelectorSection secret_id=secret.id csrf=user.csrf_token.clone() action=actions.selectors saved /> })}
        {may
            .can_delete
            .then(|| {
                let projects: Vec<String> = detail.assignments.iter().map(|a| a.project.name.clone()).collect();
                view! { <DeleteForm secret_id=secret.id name=secret.name.clone() projects csrf=user.csrf_token.clone() action=actions.delete /> }
            })}
        <h2>"History"</h2>
        <History entries=detail.history.clone() />
    }
}

/// What saving the assign form changed, in words: the projects added and those removed,
/// compared with `options` as the form showed them.
fn assignment_words(options: &[AssignOption], chosen: &[i64]) -> String {
    let names = |added: bool| {
        options
            .iter()
            .filter(|o| o.assigned != added && chosen.contains(&o.project.id) == added)
            .map(|o| o.project.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (names(true), names(false)) {
        (added, removed) if added.is_empty() && removed.is_empty() => {
            "Assignments saved; nothing changed.".to_owned()
        }
        (added, removed) if removed.is_empty() => format!("Assigned to {added}."),
        (added, removed) if added.is_empty() => format!("Removed from {removed}."),
        (added, removed) => format!("Assigned to {added}; removed from {removed}."),
    }
}

/// The note on a row only a selector keeps: which selector, when the viewer may see them.
fn via_selector(selectors: Option<&[SelectorMatch]>, project_id: i64) -> String {
    selectors
        .unwrap_or_default()
        .iter()
        .find(|m| m.projects.iter().any(|p| p.id == project_id))
        .map_or_else(
            || " via selector".to_owned(),
            |m| format!(" via selector {}", m.selector),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::listing::ProjectRef;

    #[test]
    fn a_row_a_selector_keeps_names_the_selector_when_it_is_known() {
        let saved = [SelectorMatch {
            selector: "env=prod".into(),
            projects: vec![ProjectRef {
                id: 3,
                name: "blue".into(),
            }],
        }];
        assert_eq!(via_selector(Some(&saved), 3), " via selector env=prod");
        assert_eq!(via_selector(Some(&saved), 4), " via selector");
        assert_eq!(via_selector(None, 3), " via selector");
    }

    fn option(id: i64, name: &str, assigned: bool) -> AssignOption {
        AssignOption {
            project: ProjectRef {
                id,
                name: name.into(),
            },
            cluster: "aws-dev".into(),
            namespace: name.into(),
            assigned,
            collision: None,
        }
    }

    #[test]
    fn saving_assignments_says_what_was_added_and_removed() {
        let options = [option(1, "payments", true), option(2, "search", false)];
        assert_eq!(
            assignment_words(&options, &[1]),
            "Assignments saved; nothing changed."
        );
        assert_eq!(assignment_words(&options, &[]), "Removed from payments.");
        assert_eq!(assignment_words(&options, &[1, 2]), "Assigned to search.");
        assert_eq!(
            assignment_words(&options, &[2]),
            "Assigned to search; removed from payments."
        );
    }
}
