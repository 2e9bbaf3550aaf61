//! The table of a project's Secrets tab: each secret with this project's badge, reason and
//! failure (live, as the secret's page shows them), and what the viewer may do to it here:
//! Edit and Delete for the project's own secrets, Remove from project for an organization
//! secret (who may assign). Each removal asks first, saying which workloads use the Secret.

use leptos::prelude::*;

use crate::api::project_tab::{AssignExisting, project_tab_rows};
use crate::api::secrets::{DeleteSecret, UnassignSecret};
use crate::components::assigned_to::live_assignment_sets;
use crate::components::assignment_reason::AssignmentReason;
use crate::components::contexts::use_live;
use crate::components::created::Notice;
use crate::components::format::utc_time;
use crate::components::live::{FailureSource, LiveAssignmentBadge};
use crate::components::load::load;
use crate::components::unreachable::{UnreachableNotice, answered};
use crate::components::used_by::UsedByNow;
use crate::error::AppError;
use crate::model::account::ProjectSummary;
use crate::model::listing::AssignmentDetail;
use crate::model::project_tab::ProjectTabRow;
use crate::model::secret::Scope;

/// What the tab's forms do; the table and the picker read again after any of them answered.
#[derive(Clone, Copy)]
pub struct TabActions {
    /// Assign existing secret.
    pub assign: ServerAction<AssignExisting>,
    /// A row's Remove from project.
    pub unassign: ServerAction<UnassignSecret>,
    /// A project secret's Delete.
    pub delete: ServerAction<DeleteSecret>,
    /// How many of them the server answered.
    pub changed: Memo<usize>,
    /// What the last one did, said where the eye is.
    pub notice: Notice,
    /// The secret the last row button was pressed for, for the notice.
    about: StoredValue<String>,
}

impl TabActions {
    /// The actions, and what says that each was done.
    pub fn new() -> Self {
        let (assign, unassign, delete) = (
            ServerAction::<AssignExisting>::new(),
            ServerAction::<UnassignSecret>::new(),
            ServerAction::<DeleteSecret>::new(),
        );
        let answers = [answered(assign), answered(unassign), answered(delete)];
        let (notice, about) = (Notice::new(), StoredValue::new(String::new()));
        let say = move |ok: Option<bool>, words: String| match ok {
            Some(true) => notice.say(words),
            Some(false) => notice.clear(),
            None => {}
        };
        Effect::new(move |_| {
            let ok = assign.value().with(|v| v.as_ref().map(Result::is_ok));
            say(
                ok,
                "Assigned to this project; its row shows how the sync goes.".into(),
            );
        });
        Effect::new(move |_| {
            let ok = unassign.value().with(|v| v.as_ref().map(Result::is_ok));
            let name = about.get_value();
            say(ok, format!("Removing {name} from this project."));
        });
        Effect::new(move |_| {
            let ok = delete.value().with(|v| v.as_ref().map(Result::is_ok));
            let name = about.get_value();
            say(
                ok,
                format!("Deleting {name}: it goes once its object is removed."),
            );
        });
        TabActions {
            assign,
            unassign,
            delete,
            changed: Memo::new(move |_| answers.iter().map(|a| a.get()).sum()),
            notice,
            about,
        }
    }

    /// The last row action's refusal, in words (one the server never got is said beside the
    /// buttons, with Retry).
    fn error(self) -> Option<String> {
        let error = |e: Option<Result<(), AppError>>| e.and_then(Result::err);
        error(self.unassign.value().get())
            .or_else(|| error(self.delete.value().get()))
            .filter(|e| !e.is_unreachable())
            .map(|e| e.to_string())
    }
}

impl Default for TabActions {
    fn default() -> Self {
        Self::new()
    }
}

/// The project's secrets, read again after each answered action, on every live resync and
/// whenever the live events say a secret's set of projects changed.
#[component]
pub fn ProjectTabTable(
    project: ProjectSummary,
    csrf: String,
    actions: TabActions,
) -> impl IntoView {
    let live = use_live();
    let assigned_live = live_assignment_sets(live);
    let project_id = project.id;
    let rows = load(
        move || {
            (
                project_id,
                live.resync_version(),
                actions.changed.get(),
                assigned_live.get(),
            )
        },
        |(id, _, _, _)| project_tab_rows(id),
    );
    let project = StoredValue::new(project);
    let csrf = StoredValue::new(csrf);
    let body = move || {
        rows.get().map(|result| match result {
            Ok(rows) if rows.is_empty() => {
                view! { <tr><td colspan="7" class="empty">"No secrets in this project yet."</td></tr> }
                    .into_any()
            }
            Ok(rows) => rows
                .into_iter()
                .map(|row| {
                    view! {
                        <TabRow row project=project.get_value() csrf=csrf.get_value() actions />
                    }
                })
                .collect_view()
                .into_any(),
            Err(error) => {
                view! { <tr><td colspan="7" class="error" role="alert">{error.to_string()}</td></tr> }
                    .into_any()
            }
        })
    };
    view! {
        <div class="table-wrap">
            <table class="data-table wide project-tab">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Type"</th>
                        <th scope="col">"Scope"</th>
                        <th scope="col">"Status here"</th>
                        <th scope="col">"Reason"</th>
                        <th scope="col">"Updated"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    <Transition fallback=|| view! { <tr><td colspan="7" class="empty">"Loading…"</td></tr> }>
                        {body}
                    </Transition>
                </tbody>
            </table>
        </div>
        {actions.notice.view()}
        {move || actions.error().map(|message| view! { <p class="error" role="alert">{message}</p> })}
        <UnreachableNotice action=actions.unassign />
        <UnreachableNotice action=actions.delete />
    }
}

/// One secret's row: this project's badge (with its failure sentence on hover and focus),
/// its reason cell as the secret's page has it, and the actions the server allows.
#[component]
fn TabRow(
    row: ProjectTabRow,
    project: ProjectSummary,
    csrf: String,
    actions: TabActions,
) -> impl IntoView {
    let live = use_live();
    let secret = row.secret;
    let id = secret.id;
    let brief = secret
        .assigned_to
        .iter()
        .find(|a| a.project.id == project.id)
        .cloned();
    let (status, reason) = brief
        .map(|b| (b.status, b.reason))
        .unwrap_or((crate::domain::status::AssignmentStatus::Pending, None));
    // The reason cell of the secret's page, for this project's assignment.
    let assignment = AssignmentDetail {
        project: crate::model::listing::ProjectRef {
            id: project.id,
            name: project.name.clone(),
        },
        namespace: project.namespace.clone(),
        cluster: project.cluster.clone(),
        status,
        reason: reason.clone(),
        last_sync_at: None,
        last_warning: row.warning.clone(),
        refreshed_at: None,
        adoptable: false,
        failure: row.failure,
        store_condition: None,
        retry: None,
        by_selector: false,
    };
    let failure = FailureSource {
        recorded: row.failure,
        warning: row.warning,
        spec: row.spec.clone(),
    };
    let may = secret.permissions;
    let own = secret.scope == Scope::Project;
    let pressed = {
        let name = StoredValue::new(secret.name.clone());
        move |_| actions.about.set_value(name.get_value())
    };
    let edit = (own && may.can_edit).then(|| {
        view! {
            <a class="button small" href=format!("/secrets/{id}/edit") aria-label=format!("Edit {}", secret.name)>
                "Edit"
            </a>
        }
    });
    let (project_id, project_name, namespace) =
        (project.id, project.name.clone(), project.namespace.clone());
    let delete_namespace = namespace.clone();
    let name = secret.name.clone();
    let (delete_csrf, delete_name) = (csrf.clone(), name.clone());
    let delete = (own && may.can_delete).then(move || {
        let (csrf, name, namespace) = (delete_csrf, delete_name, delete_namespace);
        let words = format!(
            "Delete {}? Its object is removed from namespace {} and the secret from the console.",
            name, namespace
        );
        view! {
            <Confirm summary="Delete" label=format!(" {name}") secret_id=id project_id=project_id words>
                <ActionForm action=actions.delete attr:class="inline-form">
                    <input type="hidden" name="csrf" value=csrf.clone() />
                    <input type="hidden" name="id" value=id />
                    <button type="submit" class="button small danger" on:click=pressed>
                        {format!("Delete {}", name)}
                    </button>
                </ActionForm>
            </Confirm>
        }
    });
    let remove_name = name.clone();
    let remove = (!own && may.can_assign).then(move || {
        let name = remove_name;
        let words = format!(
            "Remove {} from {}? Its object is deleted from namespace {}; the secret stays assigned to its other projects.",
            name, project_name, namespace
        );
        view! {
            <Confirm summary="Remove from project" label=format!(": {name}") secret_id=id project_id=project_id words>
                <ActionForm action=actions.unassign attr:class="inline-form">
                    <input type="hidden" name="csrf" value=csrf.clone() />
                    <input type="hidden" name="id" value=id />
                    <input type="hidden" name="project_id" value=project_id />
                    <button type="submit" class="button small danger" on:click=pressed>
                        {format!("Remove {}", name)}
                    </button>
                </ActionForm>
            </Confirm>
        }
    });
    let gone = move || live.is_gone(id);
    view! {
        <tr hidden=gone data-secret=secret.name.clone()>
            <td class="cell-name"><a href=format!("/secrets/{id}")>{secret.name.clone()}</a></td>
            <td data-label="Type">{secret.kind.as_str()}</td>
            <td data-label="Scope">{secret.scope.as_str()}</td>
            <td class="cell-status">
                <LiveAssignmentBadge secret_id=id project_id=project.id initial=status reason failure=Some(failure) />
            </td>
            <td class="reason" data-label="Reason">
                <AssignmentReason secret_id=id assignment spec=row.spec />
            </td>
            <td class="cell-time" data-label="Updated"><time>{utc_time(secret.updated_at)}</time></td>
            <td class="cell-actions">{edit}{delete}{remove}</td>
        </tr>
    }
}

/// A removal that asks first: `summary` (and, for screen readers, `label` after it: the
/// secret's name) opens it, then `words`, which workloads in the
/// project use the Secret (asked only while it is open), and the form that does it. Works
/// without JavaScript (a `details` element), without the workloads then.
#[component]
fn Confirm(
    summary: &'static str,
    label: String,
    secret_id: i64,
    project_id: i64,
    words: String,
    children: Children,
) -> impl IntoView {
    let open = RwSignal::new(false);
    // Who uses it, asked when opened and every few seconds while open. Said here from the
    // answer itself rather than through `UsedByWarning`'s context: every row has its own.
    let now = UsedByNow::provide(move || open.get().then_some(secret_id), || (), || false);
    let used_by = move || {
        (now.sentences(Some(project_id)).into_iter())
            .map(|sentence| view! { <p class="notice used-by-warning">{sentence}</p> })
            .collect_view()
    };
    view! {
        <details class="row-confirm">
            <summary class="button small" on:click=move |_| open.update(|o| *o = !*o)>
                {summary}
                <span class="visually-hidden">{label}</span>
            </summary>
            <div class="row-confirm-body">
                <p>{words}</p>
                {used_by}
                {children()}
            </div>
        </details>
    }
}
