//! The Projects page: the projects a user can see, each with its cluster and namespace. Admins
//! also see every cluster with its reachability, and create projects.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::admin::{CreateProject, list_clusters, list_projects};
use crate::api::selectors::SetProjectLabels;
use crate::components::created::Created;
use crate::components::error_summary::{ErrorSummary, refused_problems};
use crate::components::field_message::{FieldMessage, is_about_any};
use crate::components::flash::failed_post;
use crate::components::format::utc_time;
use crate::components::load::load;
use crate::components::session::RequireUser;
use crate::components::sync_all_button::SyncAllButton;
use crate::components::unreachable::UnreachableNotice;
use crate::domain::labels::format_labels;
use crate::domain::validation::{DNS_LABEL, capitalized};
use crate::model::account::CurrentUser;
use crate::model::cluster::{ClusterSummary, Reachability};

/// Lists the projects the user may see.
#[component]
pub fn ProjectsPage() -> impl IntoView {
    view! {
        <Title text="Projects" />
        <div class="page-header">
            <h1>"Projects"</h1>
        </div>
        <RequireUser children=|user| {
            let create = ServerAction::<CreateProject>::new();
            let relabel = ServerAction::<SetProjectLabels>::new();
            // Reloaded after what the server answered (not after a request it never got).
            let changed = crate::components::unreachable::answered(create);
            let relabelled = crate::components::unreachable::answered(relabel);
            let version = Memo::new(move |_| changed.get() + relabelled.get());
            let editor = user
                .permissions
                .can_manage_clusters
                .then(|| LabelEditor { csrf: user.csrf_token.clone(), action: relabel });
            let admin = user
                .permissions
                .can_manage_clusters
                .then(|| view! { <ClustersAdmin user create changed /> });
            view! {
                <ProjectsTable version editor />
                {admin}
            }
        } />
    }
}

/// What an admin needs to edit a project's labels in its row.
#[derive(Clone)]
struct LabelEditor {
    csrf: String,
    action: ServerAction<SetProjectLabels>,
}

/// A project's labels: chips for everyone, and for admins a form that replaces them
/// (organization secrets whose selectors match follow at once).
fn labels_cell(
    project_id: i64,
    project: &str,
    labels: &crate::domain::labels::Labels,
    editor: Option<LabelEditor>,
) -> AnyView {
    let chips = labels
        .iter()
        .map(|(k, v)| view! { <span class="badge badge-neutral label-chip">{format!("{k}={v}")}</span>" " })
        .collect_view();
    let Some(LabelEditor { csrf, action }) = editor else {
        return view! { <td data-label="Labels">{chips}</td> }.into_any();
    };
    let error = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .filter(|_| {
                action
                    .input()
                    .get()
                    .is_none_or(|i| i.project_id == project_id)
            })
            .filter(|e| !e.is_unreachable())
            .map(|e| e.to_string())
    };
    let error_id = format!("labels-error-{project_id}");
    let described = error_id.clone();
    let (value, aria) = (format_labels(labels), format!("Labels of {project}"));
    view! {
        <td data-label="Labels" class="cell-wrap">
            {chips}
            <ActionForm action attr:class="inline-form">
                <input type="hidden" name="csrf" value=csrf />
                <input type="hidden" name="project_id" value=project_id />
                <input
                    name="project_labels"
                    value=value
                    placeholder="env=prod, team=payments"
                    aria-label=aria
                    aria-describedby=described
                    maxlength="2000"
                />
                <button type="submit" class="button">"Save labels"</button>
            </ActionForm>
            <p id=error_id class="error" role="alert">{error}</p>
        </td>
    }
    .into_any()
}

#[component]
fn ProjectsTable(version: Memo<usize>, editor: Option<LabelEditor>) -> impl IntoView {
    let projects = load(move || version.get(), |_| list_projects());
    view! {
        <div class="table-wrap">
            <table class="data-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Cluster"</th>
                        <th scope="col">"Namespace"</th>
                        <th scope="col">"Secrets"</th>
                        <th scope="col">"Labels"</th>
                    </tr>
                </thead>
                <tbody>
                    <Transition fallback=|| view! { <tr><td colspan="5" class="empty">"Loading…"</td></tr> }>
                        {move || {
                            let editor = editor.clone();
                            projects
                                .get()
                                .map(|result| match result {
                                    Ok(list) if list.is_empty() => {
                                        view! { <tr><td colspan="5" class="empty">"You are not a member of any project yet."</td></tr> }
                                            .into_any()
                                    }
                                    Ok(list) => list
                                        .into_iter()
                                        .map(|p| {
                                            let labels = labels_cell(p.id, &p.name, &p.labels, editor.clone());
                                            view! {
                                                <tr>
                                                    <td class="cell-name"><a href=format!("/projects/{}", p.name)>{p.name.clone()}</a></td>
                                                    <td data-label="Cluster">{p.cluster}</td>
                                                    <td data-label="Namespace"><code>{p.namespace}</code></td>
                                                    <td data-label="Secrets">{p.secret_count}</td>
                                                    {labels}
                                                </tr>
                                            }
                                        })
                                        .collect_view()
                                        .into_any(),
                                    Err(error) => view! { <tr><td colspan="5" class="error" role="alert">{error.to_string()}</td></tr> }.into_any(),
                                })
                        }}
                    </Transition>
                </tbody>
            </table>
        </div>
    }
}

/// Clusters with their reachability, and the form that creates a project on one.
#[component]
fn ClustersAdmin(
    user: CurrentUser,
    create: ServerAction<CreateProject>,
    changed: Memo<usize>,
) -> impl IntoView {
    let clusters = load(move || changed.get(), |_| list_clusters());
    // A refused name, namespace or cluster is shown at its field; anything else on its own.
    // Without JavaScript, a refused post comes back here: its input and error.
    let failed = failed_post("create_project");
    let answered = move || {
        create
            .value()
            .get()
            .or_else(|| failed.get().map(|f| Err(f.error)))
    };
    let kept = move |field: &'static str| {
        move || failed.get().and_then(|f| f.field(field).map(str::to_owned))
    };
    let name =
        FieldMessage::answered("project-name", "name", answered).with_help("project-name-help");
    let namespace = FieldMessage::answered("project-namespace", "namespace", answered)
        .with_help("project-namespace-help");
    let cluster = FieldMessage::answered("project-cluster", "cluster", answered);
    let labels = FieldMessage::answered("project-labels", "project_labels", answered)
        .with_help("project-labels-help");
    // Every refused field, listed at the top of the form and linking to it.
    let problems = refused_problems(
        answered,
        &[
            ("name", "project-name"),
            ("namespace", "project-namespace"),
            ("cluster", "project-cluster"),
            ("project_labels", "project-labels"),
        ],
    );
    let create_error = move || {
        answered()
            .and_then(Result::err)
            .filter(|e| {
                !is_about_any(e, &["name", "namespace", "cluster", "project_labels"])
                    && !e.is_unreachable()
            })
            .map(|e| e.to_string())
    };
    // After a create: say so where the eye is, and empty the form.
    let created = Created::follow(
        move || create.value().get(),
        |name| format!("Project {name} created."),
    );
    let csrf = user.csrf_token;
    view! {
        <h2 id="clusters">"Clusters"</h2>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let csrf = csrf.clone();
                let (name, namespace, cluster, labels) =
                    (name.clone(), namespace.clone(), cluster.clone(), labels.clone());
                clusters
                    .get()
                    .map(|result| match result {
                        Ok(list) => {
                            view! {
                                <ClustersTable clusters=list.clone() />
                                <h2>"New project"</h2>
                                <ActionForm action=create node_ref=created.form attr:class="form narrow">
                                    <input type="hidden" name="csrf" value=csrf />
                                    <ErrorSummary problems refused=Signal::derive(move || !problems.with(Vec::is_empty)) />
                                    <label for="project-name">"Name"</label>
                                    <input
                                        id="project-name"
                                        node_ref=created.name
                                        name="name"
                                        value=kept("name")
                                        required
                                        pattern=DNS_LABEL.pattern
                                        maxlength=DNS_LABEL.max_len
                                        aria-invalid=name.invalid()
                                        aria-describedby=name.described_by()
                                    />
                                    <p id="project-name-help" class="muted">{format!("{}; also how the project appears in URLs.", capitalized(DNS_LABEL.hint))}</p>
                                    {name.view()}
                                    <label for="project-cluster">"Cluster"</label>
                                    <select
                                        id="project-cluster"
                                        name="cluster_id"
                                        required
                                        aria-invalid=cluster.invalid()
                                        aria-describedby=cluster.described_by()
                                    >
                                        {list
                                            .into_iter()
                                            .map(|c| view! { <option value=c.id>{c.name}</option> })
                                            .collect_view()}
                                    </select>
                                    {cluster.view()}
                                    <label for="project-namespace">"Namespace"</label>
                                    <input
                                        id="project-namespace"
                                        name="namespace"
                                        value=kept("namespace")
                                        required
                                        pattern=DNS_LABEL.pattern
                                        maxlength=DNS_LABEL.max_len
                                        aria-invalid=namespace.invalid()
                                        aria-describedby=namespace.described_by()
                                    />
                                    <p id="project-namespace-help" class="muted">{format!("{}. Where its secrets land: on a real cluster it must exist; the simulated clusters create it.", capitalized(DNS_LABEL.hint))}</p>
                                    {namespace.view()}
                                    <label for="project-labels">"Labels"</label>
                                    <input
                                        id="project-labels"
                                        name="project_labels"
                                        value=kept("project_labels")
                                        placeholder="env=prod, team=payments"
                                        maxlength="2000"
                                        aria-invalid=labels.invalid()
                                        aria-describedby=labels.described_by()
                                    />
                                    <p id="project-labels-help" class="muted">"Optional: key=value pairs, comma-separated. Organization secrets assigned by a matching selector land in the new project at once."</p>
                                    {labels.view()}
                                    {move || create_error().map(|message| view! { <p class="error" role="alert">{message}</p> })}
                                    {created.view()}
                                    <button type="submit" class="button primary">"Create project"</button>
                                    <UnreachableNotice action=create />
                                </ActionForm>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                    })
            }}
        </Transition>
    }
}

#[component]
fn ClustersTable(clusters: Vec<ClusterSummary>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="data-table" aria-labelledby="clusters">
                <thead>
                    <tr>
                        <th scope="col">"Cluster"</th>
                        <th scope="col">"Connection"</th>
                        <th scope="col">"API server"</th>
                        <th scope="col">"Version"</th>
                        <th scope="col">"External Secrets"</th>
                        <th scope="col">"Projects"</th>
                        <th scope="col">"Sync"</th>
                    </tr>
                </thead>
                <tbody>
                    {clusters
                        .into_iter()
                        .map(|c| {
                            let (class, icon) = match c.reachability {
                                Reachability::Reachable => ("badge badge-success", "✓"),
                                Reachability::Unreachable => ("badge badge-danger", "!"),
                                Reachability::Unknown => ("badge badge-neutral", "?"),
                            };
                            let checked = c
                                .checked_at
                                .map(|at| format!("checked {}", utc_time(at)))
                                .unwrap_or_else(|| "not checked yet".to_owned());
                            let detail = match &c.error {
                                Some(error) => format!("{error} ({checked})"),
                                None => checked,
                            };
                            let sync_label = format!("Sync all in cluster {}", c.name);
                            view! {
                                <tr>
                                    <td class="cell-name">{c.name}</td>
                                    <td data-label="Connection">{if c.connection == "simulated" { "built-in simulated" } else { "kubeconfig context" }}</td>
                                    <td class="cell-status cell-wrap" data-label="API server">
                                        <span class=class data-reachability=c.reachability.label()>
                                            <span aria-hidden="true">{icon}" "</span>
                                            {c.reachability.label()}
                                        </span>
                                        <span class="muted detail">" "{detail}</span>
                                    </td>
                                    <td data-label="Version">{c.server_version.unwrap_or_default()}</td>
                                    <td data-label="External Secrets" class="eso-served" data-eso-api=c.eso.api_version.clone().unwrap_or_default()>{c.eso.describe()}</td>
                                    <td data-label="Projects">{c.project_count}</td>
                                    <td data-label="Sync"><SyncAllButton cluster_id=c.id label=sync_label /></td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
