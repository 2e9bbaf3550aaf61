//! Create a secret: an organization secret (admins, `/secrets/new`) or a project secret
//! (`/projects/:name/secrets/new`). External (store, refresh interval, rows of target key ←
//! remote key / property / version) or Kubernetes (type, key/value rows; values write-only).
//!
//! The form is a plain HTML form posted to `create_secret_form`, so it works without the WASM
//! bundle (three blank rows of each kind; blank rows are ignored). Once hydrated it validates
//! as you type with the same `domain` rules the server applies, adds rows on demand, hides
//! the fieldset of the other kind, and previews the exact object that will be applied (values
//! masked).

mod fields;
mod values;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::admin::{form_options, get_project};
use crate::api::secrets::{CreateSecretForm, UpdateSecretForm, get_secret, preview_secret};
use crate::components::load::load;
use crate::components::loaded::Loaded;
use crate::components::not_found::NotFound;
use crate::components::session::RequireUser;
use crate::error::AppError;
use crate::model::account::{CurrentUser, ProjectSummary};
use crate::model::secret::{FormValues, Scope, SecretForm};
use fields::{SecretFields, shown_at_a_field};

/// `/secrets/new`: an organization secret.
#[component]
pub fn NewOrgSecretPage() -> impl IntoView {
    view! {
        <RequireUser children=|user| {
            if user.permissions.can_create_org_secrets {
                view! {
                    <Title text="Create organization secret" />
                    <div class="page-header">
                        <h1>"Create organization secret"</h1>
                    </div>
                    <SecretFormView user project=None />
                }
                .into_any()
            } else {
                view! { <NotFound /> }.into_any()
            }
        } />
    }
}

/// `/projects/:name/secrets/new`: a project secret.
#[component]
pub fn NewProjectSecretPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let project = load(name, get_project);
    view! {
        <Loaded
            resource=project
            children=|project, user| view! {
                <Title text=format!("Create secret in {}", project.name) />
                <div class="page-header">
                    <h1>{format!("Create secret in {}", project.name)}</h1>
                </div>
                <p class="muted">
                    {format!("Lands in namespace {} on cluster {}.", project.namespace, project.cluster)}
                </p>
                <SecretFormView user project=Some(project) />
            }
        />
    }
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
    // A secret this user may not edit has no edit page for them (404), rather than a full
    // form the server refuses on Save.
    let detail = load(id, |id| async move {
        match id {
            Some(id) => get_secret(id).await.and_then(|d| {
                d.secret
                    .permissions
                    .can_edit
                    .then_some(d)
                    .ok_or(AppError::NotFound)
            }),
            None => Err(AppError::NotFound),
        }
    });
    view! {
        <Loaded
            resource=detail
            children=|detail, user| {
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
            }
        />
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
    let options = load(move || project_id, form_options);
    // The preview needs each value's length, never the value: it is sent as asterisks.
    let masked = move || {
        let mut copy = form.get();
        copy.value = FormValues(copy.value.0.iter().map(|v| "*".repeat(v.len())).collect());
        copy
    };
    let preview = load(
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
    // The server's refusal of the last submit (also after a submit without JavaScript: the
    // page it is sent back to carries it).
    let answered = Signal::derive(move || {
        create
            .value()
            .get()
            .map(|r| r.map(|_| ()))
            .or_else(|| update.value().get().map(|r| r.map(|_| ())))
            .and_then(Result::err)
    });
    // What is not about a field shown here; a field's problem is shown at the field.
    let server_error = move || {
        answered
            .get()
            .filter(|error| !shown_at_a_field(error, editing))
            .map(|e| e.to_string())
    };
    // Cancel leaves without saving: back to the secret, or to the list for a new one.
    let cancel = match &mode {
        Mode::Edit { id, .. } => format!("/secrets/{id}"),
        Mode::Create => "/secrets".to_owned(),
    };
    let fields = move || {
        let cancel = cancel.clone();
        view! {
            <SecretFields form initial=initial.clone() editing touched hydrated options preview answered />
            {move || server_error().map(|message| view! { <p class="error" role="alert">{message}</p> })}
            <div class="form-actions">
                <button type="submit" class="button primary" disabled=move || pending.get()>
                    {move || match (pending.get(), editing) {
                        (true, _) => "Saving…",
                        (false, true) => "Save changes",
                        (false, false) => "Create secret",
                    }}
                </button>
                <a class="button" href=cancel>"Cancel"</a>
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
