//! Create a secret: an organization secret (admins, `/secrets/new`) or a project secret
//! (`/projects/:name/secrets/new`). External (store, refresh interval, rows of target key ←
//! remote key / property / version) or Kubernetes (type, key/value rows; values write-only).
//!
//! The form is a plain HTML form posted to `create_secret_form`, so it works without the WASM
//! bundle (three blank rows of each kind; blank rows are ignored). Once hydrated it validates
//! as you type with the same `domain` rules the server applies, adds rows on demand, hides
//! the fieldset of the other kind, and previews the exact object that will be applied (values
//! masked).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::admin::{form_options, get_project};
use crate::api::secrets::{CreateSecretForm, UpdateSecretForm, get_secret, preview_secret};
use crate::components::session::RequireUser;
use crate::domain::validation::{
    DEFAULT_MIN_REFRESH_INTERVAL, FieldError, validate_all, validate_min_refresh_interval,
    validate_secret_name,
};
use crate::error::AppError;
use crate::model::account::{CurrentUser, ProjectSummary};
use crate::model::cluster::FormOptions;
use crate::model::secret::{FormValues, Scope, SecretForm, SecretSpec, UseCase};
use crate::pages::not_found_page::NotFoundPage;

/// Secret types offered for Kubernetes secrets (service-account tokens are never managed here).
const SECRET_TYPES: &[&str] = &[
    "Opaque",
    "kubernetes.io/dockerconfigjson",
    "kubernetes.io/basic-auth",
    "kubernetes.io/tls",
    "kubernetes.io/ssh-auth",
];

/// Rows rendered for each kind before any are added (all a browser without JavaScript gets).
const INITIAL_ROWS: usize = 3;

/// `/secrets/new`: an organization secret.
#[component]
pub fn NewOrgSecretPage() -> impl IntoView {
    view! {
        <Title text="Create organization secret" />
        <div class="page-header">
            <h1>"Create organization secret"</h1>
        </div>
        <RequireUser children=|user| {
            if user.is_admin {
                view! { <SecretFormView user project=None /> }.into_any()
            } else {
                view! { <p class="error" role="alert">"You do not have permission to create organization secrets."</p> }
                    .into_any()
            }
        } />
    }
}

/// `/projects/:name/secrets/new`: a project secret.
#[component]
pub fn NewProjectSecretPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let project = Resource::new(name, get_project);
    view! {
        <RequireUser children=move |user| {
            view! {
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || {
                        let user = user.clone();
                        project
                            .get()
                            .map(|result| match result {
                                Ok(project) => view! {
                                    <Title text=format!("Create secret in {}", project.name) />
                                    <div class="page-header">
                                        <h1>{format!("Create secret in {}", project.name)}</h1>
                                    </div>
                                    <p class="muted">
                                        {format!("Lands in namespace {} on cluster {}.", project.namespace, project.cluster)}
                                    </p>
                                    <SecretFormView user project=Some(project) />
                                }
                                .into_any(),
                                Err(AppError::NotFound) => view! { <NotFoundPage /> }.into_any(),
                                Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                            })
                    }}
                </Transition>
            }
        } />
    }
}

/// Problems with the form as it stands, as the server would name them.
fn problems(form: &SecretForm) -> Vec<FieldError> {
    let mut found = Vec::new();
    if let Err(error) = validate_secret_name(form.name.trim()) {
        found.push(error);
    }
    match form.into_input() {
        Ok(input) => {
            found.extend(validate_all(input.use_case, &input.spec));
            // The server holds intervals to its configured minimum; the browser to the
            // default one, which is what the server enforces unless told otherwise.
            if let SecretSpec::External(external) = &input.spec {
                found.extend(
                    validate_min_refresh_interval(
                        &external.refresh_interval,
                        DEFAULT_MIN_REFRESH_INTERVAL,
                    )
                    .err(),
                );
            }
        }
        Err(error) => found.push(error),
    }
    found
}

/// Create or edit.
#[derive(Clone)]
enum Mode {
    /// A new secret (in a project, for project secrets).
    Create,
    /// An existing secret at `version`.
    Edit { id: i64, version: i64, name: String },
}

#[component]
fn SecretFormView(user: CurrentUser, project: Option<ProjectSummary>) -> impl IntoView {
    let project_id = project.as_ref().map(|p| p.id);
    let scope = if project.is_some() {
        Scope::Project
    } else {
        Scope::Organization
    };
    let initial = SecretForm {
        scope: scope.as_str().to_owned(),
        project_id,
        use_case: "Generic".to_owned(),
        kind: "External".to_owned(),
        refresh_interval: "1h0m0s".to_owned(),
        secret_type: "Opaque".to_owned(),
        ..SecretForm::default()
    };
    view! { <SecretFormBody user initial mode=Mode::Create /> }
}

/// `/secrets/:id/edit`: the same form, filled in; values are never shown (blank keeps them).
#[component]
pub fn EditSecretPage() -> impl IntoView {
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
        <RequireUser children=move |user| {
            view! {
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || {
                        let user = user.clone();
                        detail
                            .get()
                            .map(|result| match result {
                                Ok(detail) => {
                                    let secret = detail.secret.clone();
                                    let initial = SecretForm::of(
                                        &secret.name,
                                        secret.scope,
                                        secret.project.as_ref().map(|p| p.id),
                                        secret.use_case,
                                        &detail.description,
                                        &detail.spec,
                                    );
                                    let mode = Mode::Edit { id: secret.id, version: secret.version, name: secret.name.clone() };
                                    view! {
                                        <Title text=format!("Edit {}", secret.name) />
                                        <div class="page-header">
                                            <h1>{format!("Edit {}", secret.name)}</h1>
                                        </div>
                                        <SecretFormBody user initial mode />
                                    }
                                    .into_any()
                                }
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
fn SecretFormBody(user: CurrentUser, initial: SecretForm, mode: Mode) -> impl IntoView {
    let create = ServerAction::<CreateSecretForm>::new();
    let update = ServerAction::<UpdateSecretForm>::new();
    let editing = matches!(mode, Mode::Edit { .. });
    let project_id = initial.project_id;
    let form = RwSignal::new(initial.clone());
    // Only once the bundle runs may the other kind's fieldset be hidden: without JavaScript
    // both stay visible, and the kind radio decides which one the server reads.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let touched = RwSignal::new(false);
    let options = Resource::new(move || project_id, form_options);
    // The preview needs each value's length, never the value: it is sent as asterisks.
    let masked = move || {
        let mut copy = form.get();
        copy.value = FormValues(copy.value.0.iter().map(|v| "*".repeat(v.len())).collect());
        copy
    };
    let preview = Resource::new(
        move || (hydrated.get(), masked()),
        |(hydrated, form)| async move {
            if hydrated {
                preview_secret(form).await
            } else {
                Err(AppError::NotFound)
            }
        },
    );
    let pending = Signal::derive(move || create.pending().get() || update.pending().get());
    let server_error = move || {
        create
            .value()
            .get()
            .map(|r| r.map(|_| ()))
            .or_else(|| update.value().get().map(|r| r.map(|_| ())))
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    let fields = move || {
        view! {
            <SecretFields form initial=initial.clone() editing touched hydrated options preview />
            {move || server_error().map(|message| view! { <p class="error" role="alert">{message}</p> })}
            <div class="form-actions">
                <button type="submit" class="button primary" disabled=move || pending.get()>
                    {move || match (pending.get(), editing) {
                        (true, _) => "Saving…",
                        (false, true) => "Save changes",
                        (false, false) => "Create secret",
                    }}
                </button>
            </div>
        }
    };
    let csrf = user.csrf_token.clone();
    match mode {
        Mode::Create => view! {
            <ActionForm action=create attr:class="form secret-form" attr:novalidate=true>
                <input type="hidden" name="csrf" value=csrf />
                <input type="hidden" name="form[scope]" value=form.get_untracked().scope />
                {project_id.map(|id| view! { <input type="hidden" name="form[project_id]" value=id /> })}
                {fields()}
            </ActionForm>
        }
        .into_any(),
        Mode::Edit { id, version, name } => view! {
            <ActionForm action=update attr:class="form secret-form" attr:novalidate=true>
                <input type="hidden" name="csrf" value=csrf />
                <input type="hidden" name="id" value=id />
                <input type="hidden" name="version" value=version />
                <input type="hidden" name="form[name]" value=name />
                <input type="hidden" name="form[scope]" value=form.get_untracked().scope />
                {project_id.map(|id| view! { <input type="hidden" name="form[project_id]" value=id /> })}
                <input type="hidden" name="form[kind]" value=form.get_untracked().kind />
                {fields()}
            </ActionForm>
        }
        .into_any(),
    }
}

#[component]
fn SecretFields(
    form: RwSignal<SecretForm>,
    initial: SecretForm,
    editing: bool,
    touched: RwSignal<bool>,
    hydrated: RwSignal<bool>,
    options: Resource<Result<FormOptions, AppError>>,
    preview: Resource<Result<String, AppError>>,
) -> impl IntoView {
    let external_rows =
        RwSignal::new(initial.secret_key.len() + if editing { 1 } else { INITIAL_ROWS });
    let kubernetes_rows = RwSignal::new(initial.key.len() + if editing { 1 } else { INITIAL_ROWS });
    let is_kind = move |kind: &'static str| move || form.with(|f| f.kind == kind);
    let live_problems = move || {
        if touched.get() {
            form.with(problems)
        } else {
            Vec::new()
        }
    };
    let field_error = move |field: &'static str| {
        move || {
            live_problems().into_iter().find(|e| e.field == field).map(
                |e| view! { <p class="field-error" id=format!("{field}-error")>{e.message}</p> },
            )
        }
    };
    let initial_use_case = initial.use_case.clone();
    let initial_type = initial.secret_type.clone();
    let external_initial = initial.clone();
    let kubernetes_initial = initial.clone();

    view! {
        {(!editing).then(|| view! {
            <label for="secret-name">"Name"</label>
            <input
                id="secret-name"
                name="form[name]"
                required
                maxlength="253"
                autocomplete="off"
                aria-describedby="name-help"
                on:input=move |ev| {
                    touched.set(true);
                    form.update(|f| f.name = event_target_value(&ev));
                }
            />
            <p id="name-help" class="muted">"Lowercase letters, digits, '-' and '.'; the object's name in every namespace it lands in."</p>
            {field_error("name")}
        })}

        <label for="secret-use-case">"Use case"</label>
        <select
            id="secret-use-case"
            name="form[use_case]"
            on:change=move |ev| form.update(|f| f.use_case = event_target_value(&ev))
        >
            {UseCase::ALL
                .iter()
                .map(|u| view! { <option value=u.as_str() selected=u.as_str() == initial_use_case>{u.as_str()}</option> })
                .collect_view()}
        </select>
        {field_error("use_case")}

        <label for="secret-description">"Description"</label>
        <textarea
            id="secret-description"
            name="form[description]"
            rows="2"
            on:input=move |ev| form.update(|f| f.description = event_target_value(&ev))
        >{initial.description.clone()}</textarea>

        {(!editing).then(|| view! {
            <fieldset class="kind-choice">
                <legend>"Type"</legend>
                <label class="checkbox">
                    <input
                        type="radio"
                        name="form[kind]"
                        value="External"
                        checked=true
                        on:change=move |_| form.update(|f| f.kind = "External".to_owned())
                    />
                    "External (read from a secret store by External Secrets Operator)"
                </label>
                <label class="checkbox">
                    <input
                        type="radio"
                        name="form[kind]"
                        value="Kubernetes"
                        on:change=move |_| form.update(|f| f.kind = "Kubernetes".to_owned())
                    />
                    "Kubernetes (values typed here, stored encrypted)"
                </label>
            </fieldset>
        })}

        <fieldset
            class="kind-fields"
            hidden=move || (hydrated.get() || editing) && !is_kind("External")()
        >
            <legend>"External secret"</legend>
            <label for="secret-store">"Store (ClusterSecretStore)"</label>
            <input
                id="secret-store"
                name="form[store]"
                list="store-options"
                autocomplete="off"
                value=initial.store.clone()
                on:input=move |ev| {
                    touched.set(true);
                    form.update(|f| f.store = event_target_value(&ev));
                }
            />
            <datalist id="store-options">
                <Transition fallback=|| ()>
                    {move || {
                        options
                            .get()
                            .and_then(Result::ok)
                            .map(|o| o.stores.into_iter().map(|s| view! { <option value=s.clone()></option> }).collect_view())
                    }}
                </Transition>
            </datalist>
            <Transition fallback=|| ()>
                {move || {
                    options.get().and_then(Result::ok).filter(|o| o.limited).map(|o| {
                        view! {
                            <p class="muted">
                                {format!(
                                    "This project allows stores {} and remote keys inside the folders {} (whole path parts: payments allows payments/db, not payments-admin/db).",
                                    list_or_none(&o.stores),
                                    list_or_none(&o.key_prefixes),
                                )}
                            </p>
                        }
                    })
                }}
            </Transition>
            {field_error("store")}
            <label for="secret-refresh">"Refresh interval"</label>
            <input
                id="secret-refresh"
                name="form[refresh_interval]"
                value=initial.refresh_interval.clone()
                aria-describedby="refresh-help"
                on:input=move |ev| {
                    touched.set(true);
                    form.update(|f| f.refresh_interval = event_target_value(&ev));
                }
            />
            <p id="refresh-help" class="muted">"Go duration, e.g. 1h0m0s or 15m."</p>
            {field_error("refresh_interval")}
            <table class="rows-table">
                <caption class="visually-hidden">"Keys"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Target key"</th>
                        <th scope="col">"Remote key"</th>
                        <th scope="col">"Property (optional)"</th>
                        <th scope="col">"Version (optional)"</th>
                    </tr>
                </thead>
                <tbody>
                    {move || {
                        (0..external_rows.get())
                            .map(|i| {
                                let at = |list: &Vec<String>| list.get(i).cloned().unwrap_or_default();
                                let start = [
                                    at(&external_initial.secret_key),
                                    at(&external_initial.remote_key),
                                    at(&external_initial.property),
                                    at(&external_initial.version),
                                ];
                                view! { <ExternalRow i form touched start /> }
                            })
                            .collect_view()
                    }}
                </tbody>
            </table>
            {move || {
                live_problems()
                    .into_iter()
                    .filter(|e| e.field.starts_with("data"))
                    .map(|e| view! { <p class="field-error">{format!("{}: {}", e.field, e.message)}</p> })
                    .collect_view()
            }}
            <button
                type="button"
                class="button small"
                hidden=move || !hydrated.get()
                on:click=move |_| external_rows.update(|n| *n += 1)
            >
                "Add key"
            </button>
        </fieldset>

        <fieldset
            class="kind-fields"
            hidden=move || (hydrated.get() || editing) && !is_kind("Kubernetes")()
        >
            <legend>"Kubernetes secret"</legend>
            <label for="secret-type">"Secret type"</label>
            <select
                id="secret-type"
                name="form[secret_type]"
                on:change=move |ev| form.update(|f| f.secret_type = event_target_value(&ev))
            >
                {SECRET_TYPES.iter().map(|t| view! { <option value=*t selected=*t == initial_type>{*t}</option> }).collect_view()}
            </select>
            {editing.then(|| view! { <p class="muted">"Values are never shown. Leave a value blank to keep it; type one to replace it."</p> })}
            <table class="rows-table">
                <caption class="visually-hidden">"Values"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Key"</th>
                        <th scope="col">"Value (write-only)"</th>
                    </tr>
                </thead>
                <tbody>
                    {move || {
                        (0..kubernetes_rows.get())
                            .map(|i| {
                                let start = kubernetes_initial.key.get(i).cloned().unwrap_or_default();
                                view! { <KubernetesRow i form touched start /> }
                            })
                            .collect_view()
                    }}
                </tbody>
            </table>
            {move || {
                live_problems()
                    .into_iter()
                    .filter(|e| e.field.starts_with("keys") || e.field.starts_with("values") || e.field == "secret_type")
                    .map(|e| view! { <p class="field-error">{format!("{}: {}", e.field, e.message)}</p> })
                    .collect_view()
            }}
            <button
                type="button"
                class="button small"
                hidden=move || !hydrated.get()
                on:click=move |_| kubernetes_rows.update(|n| *n += 1)
            >
                "Add value"
            </button>
        </fieldset>

        <details class="preview" open=true hidden=move || !hydrated.get()>
            <summary>"Preview: the object that will be applied (values masked)"</summary>
            <Transition fallback=|| view! { <p class="muted">"…"</p> }>
                {move || {
                    preview
                        .get()
                        .map(|result| match result {
                            Ok(text) => view! { <pre class="manifest" data-testid="preview" tabindex="0" aria-label="Preview of the object">{text}</pre> }.into_any(),
                            Err(error) => view! { <p class="muted">{format!("No preview yet: {error}")}</p> }.into_any(),
                        })
                }}
            </Transition>
        </details>
    }
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".to_owned()
    } else {
        items.join(", ")
    }
}

#[component]
fn ExternalRow(
    i: usize,
    form: RwSignal<SecretForm>,
    touched: RwSignal<bool>,
    start: [String; 4],
) -> impl IntoView {
    let [start_key, start_remote, start_property, start_version] = start;
    let set = move |pick: fn(&mut SecretForm) -> &mut Vec<String>, value: String| {
        touched.set(true);
        form.update(|f| {
            let list = pick(f);
            if list.len() <= i {
                list.resize(i + 1, String::new());
            }
            list[i] = value;
        });
    };
    let n = i + 1;
    view! {
        <tr>
            <td>
                <input name=format!("form[secret_key][{i}]") aria-label=format!("Target key {n}") autocomplete="off" value=start_key
                    on:input=move |ev| set(|f| &mut f.secret_key, event_target_value(&ev)) />
            </td>
            <td>
                <input name=format!("form[remote_key][{i}]") aria-label=format!("Remote key {n}") autocomplete="off" value=start_remote
                    on:input=move |ev| set(|f| &mut f.remote_key, event_target_value(&ev)) />
            </td>
            <td>
                <input name=format!("form[property][{i}]") aria-label=format!("Property {n}") autocomplete="off" value=start_property
                    on:input=move |ev| set(|f| &mut f.property, event_target_value(&ev)) />
            </td>
            <td>
                <input name=format!("form[version][{i}]") aria-label=format!("Version {n}") autocomplete="off" value=start_version
                    on:input=move |ev| set(|f| &mut f.version, event_target_value(&ev)) />
            </td>
        </tr>
    }
}

#[component]
fn KubernetesRow(
    i: usize,
    form: RwSignal<SecretForm>,
    touched: RwSignal<bool>,
    start: String,
) -> impl IntoView {
    let n = i + 1;
    view! {
        <tr>
            <td>
                <input
                    name=format!("form[key][{i}]")
                    aria-label=format!("Key {n}")
                    autocomplete="off"
                    value=start
                    on:input=move |ev| {
                        touched.set(true);
                        let value = event_target_value(&ev);
                        form.update(|f| {
                            if f.key.len() <= i {
                                f.key.resize(i + 1, String::new());
                            }
                            f.key[i] = value;
                        });
                    }
                />
            </td>
            <td>
                <input
                    type="password"
                    name=format!("form[value][{i}]")
                    aria-label=format!("Value {n}")
                    autocomplete="new-password"
                    on:input=move |ev| {
                        touched.set(true);
                        let value = event_target_value(&ev);
                        form.update(|f| {
                            if f.value.0.len() <= i {
                                f.value.0.resize(i + 1, String::new());
                            }
                            f.value.0[i] = value;
                        });
                    }
                />
            </td>
        </tr>
    }
}
