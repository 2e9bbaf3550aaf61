//! Create a secret: an organization secret (admins, `/secrets/new`) or a project secret
//! (`/projects/:name/secrets/new`). External (store, refresh interval, rows of target key ←
//! remote key / property / version) or Kubernetes (type, key/value rows; values write-only).
//!
//! The form is a plain HTML form posted to `create_secret_form`, so it works without the WASM
//! bundle (three blank rows of each kind; blank rows are ignored). Once hydrated it validates
//! as you type with the same `domain` rules the server applies, adds rows on demand, hides
//! the fieldset of the other kind, and previews the exact object that will be applied (values
//! masked).

mod assign;
mod fields;
mod rows;
mod values;
mod yaml_post;
mod yaml_tab;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::admin::{form_options, get_project};
use crate::api::secrets::{CreateSecretForm, UpdateSecretForm, get_secret, preview_secret};
use crate::components::flash::AfterFlash;
use crate::components::key_removal_warning::{KeyRemovalWarning, form_keys};
use crate::components::load::load;
use crate::components::loaded::Loaded;
use crate::components::not_found::NotFound;
use crate::components::session::RequireUser;
use crate::components::unreachable::UnreachableNotice;
use crate::components::used_by::UsedByNow;
use crate::error::AppError;
use crate::model::account::{CurrentUser, ProjectSummary};
use crate::model::flash::FailedPost;
use crate::model::secret::{FormValues, Scope, SecretForm, set_row};
use assign::CreateAssignSection;
use fields::{SecretFields, shown_at_a_field};
use yaml_post::YamlPost;
use yaml_tab::{LoadedNotice, YamlPanel, YamlTab, YamlTabs};

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
    /// An existing secret at `version`, whose saved keys are `keys` (removing one a workload
    /// uses is warned about before saving).
    Edit {
        id: i64,
        version: i64,
        name: String,
        keys: Vec<String>,
    },
}

#[component]
fn SecretFormView(user: CurrentUser, project: Option<ProjectSummary>) -> impl IntoView {
    let project_id = project.as_ref().map(|p| p.id);
    let scope = if project.is_some() {
        Scope::Project
    } else {
        Scope::Organization
    };
    let blank = SecretForm {
        scope: scope.as_str().to_owned(),
        project_id,
        use_case: "Generic".to_owned(),
        kind: "External".to_owned(),
        refresh_interval: "1h0m0s".to_owned(),
        secret_type: "Opaque".to_owned(),
        ..SecretForm::default()
    };
    // Without JavaScript, a manifest may be posted instead (the YAML tab's work).
    let yaml_post = {
        let csrf = user.csrf_token.clone();
        let scope = scope.as_str().to_owned();
        move |failed: Option<FailedPost>| {
            view! { <YamlPost csrf=csrf.clone() scope=scope.clone() project_id failed /> }
        }
    };
    // Sent back here without JavaScript: the form as it was posted, and why it was refused.
    let form = move |failed: Option<FailedPost>| {
        let initial = failed
            .as_ref()
            .map_or_else(|| blank.clone(), |f| as_posted(f, &blank));
        let refused = failed.map(|f| f.error);
        view! { <SecretFormBody user=user.clone() initial mode=Mode::Create refused /> }
    };
    view! {
        <AfterFlash endpoint="create_secret_yaml_form" children=yaml_post />
        <AfterFlash endpoint="create_secret_form" children=form />
    }
}

/// The form as a failed post sent it (values are never sent back: their fields stay blank),
/// over `page`'s own scope and project.
fn as_posted(failed: &FailedPost, page: &SecretForm) -> SecretForm {
    let mut form = SecretForm {
        scope: page.scope.clone(),
        project_id: page.project_id,
        ..SecretForm::default()
    };
    for (name, value) in &failed.input {
        let Some(rest) = name.strip_prefix("form[") else {
            continue;
        };
        let (field, index) = match rest.split_once("][") {
            Some((field, index)) => (field, index.trim_end_matches(']').parse::<usize>().ok()),
            None => (rest.trim_end_matches(']'), None),
        };
        let value = value.clone();
        match (field, index) {
            ("name", None) => form.name = value,
            ("use_case", None) => form.use_case = value,
            ("description", None) => form.description = value,
            ("kind", None) => form.kind = value,
            ("store", None) => form.store = value,
            ("refresh_interval", None) => form.refresh_interval = value,
            ("secret_type", None) => form.secret_type = value,
            ("secret_key", Some(i)) => set_row(&mut form.secret_key, i, value),
            ("remote_key", Some(i)) => set_row(&mut form.remote_key, i, value),
            ("property", Some(i)) => set_row(&mut form.property, i, value),
            ("version", Some(i)) => set_row(&mut form.version, i, value),
            ("key", Some(i)) => set_row(&mut form.key, i, value),
            ("assign_to", Some(_)) => form.assign_to.extend(value.parse::<i64>().ok()),
            ("selectors", None) => form.selectors = value,
            ("external_extra", None) => form.external_extra = value,
            _ => {}
        }
    }
    // One blank value per key row: the rows stay aligned, and nothing is filled in.
    form.value = FormValues(vec![String::new(); form.key.len()]);
    form
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
    // Who uses it, for the warning about a removed key (`components::key_removal_warning`):
    // asked once the secret is shown, and every few seconds while the page is visible.
    UsedByNow::provide(
        id,
        move || detail.track(),
        move || {
            let id = id();
            !detail.with_untracked(|d| matches!(d, Some(Ok(d)) if Some(d.secret.id) == id))
        },
    );
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
                let mode = Mode::Edit { id: secret.id, version: secret.version, name: secret.name.clone(), keys: form_keys(&initial) };
                let id = secret.id.to_string();
                let form = move |failed: Option<FailedPost>| {
                    let failed = failed.filter(|f| f.field("id") == Some(id.as_str()));
                    let mut start = failed.as_ref().map_or_else(|| initial.clone(), |f| as_posted(f, &initial));
                    start.name = initial.name.clone();
                    start.kind = initial.kind.clone();
                    let refused = failed.map(|f| f.error);
                    view! { <SecretFormBody user=user.clone() initial=start mode=mode.clone() refused /> }
                };
                view! {
                    <Title text=format!("Edit {}", secret.name) />
                    <div class="page-header">
                        <h1>{format!("Edit {}", secret.name)}</h1>
                    </div>
                    // Sent back here without JavaScript: this secret's form as it was posted.
                    <AfterFlash endpoint="update_secret_form" children=form />
                }
            }
        />
    }
}

/// The form. `refused`: why the post that sent the browser back here failed, if it did.
#[component]
fn SecretFormBody(
    user: CurrentUser,
    initial: SecretForm,
    mode: Mode,
    refused: Option<AppError>,
) -> impl IntoView {
    let create = ServerAction::<CreateSecretForm>::new();
    let update = ServerAction::<UpdateSecretForm>::new();
    let editing = matches!(mode, Mode::Edit { .. });
    let project_id = initial.project_id;
    // A new organization secret is assigned in the same step, by whoever may assign.
    let assigning = !editing && project_id.is_none() && user.permissions.can_assign_secrets;
    let form = RwSignal::new(initial.clone());
    // Only once the bundle runs may the other kind's fieldset be hidden: without JavaScript
    // both stay visible, and the kind radio decides which one the server reads.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let touched = RwSignal::new(false);
    // Save was pressed (or the post was refused): every problem shows, not only those of the
    // fields the person has left.
    let submitted = RwSignal::new(refused.is_some());
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
    // The YAML tab (External secrets, once the bundle runs).
    let yaml = YamlTab::closed();
    let pending = Signal::derive(move || create.pending().get() || update.pending().get());
    // The server's refusal of the last submit (also after a submit without JavaScript: the
    // page it is sent back to carries it).
    let answered = Signal::derive(move || {
        create
            .value()
            .get()
            .map(|r| r.map(|_| ()))
            .or_else(|| update.value().get().map(|r| r.map(|_| ())))
            .map_or_else(|| refused.clone(), Result::err)
    });
    // What is not about a field shown here; a field's problem is shown at the field.
    let server_error = move || {
        answered
            .get()
            .filter(|error| !shown_at_a_field(error, editing) && !error.is_unreachable())
            .map(|e| e.to_string())
    };
    // Cancel leaves without saving: back to the secret, or to the list for a new one.
    let cancel = match &mode {
        Mode::Edit { id, .. } => format!("/secrets/{id}"),
        Mode::Create => "/secrets".to_owned(),
    };
    let original = match &mode {
        Mode::Edit { keys, .. } => Some(keys.clone()),
        Mode::Create => None,
    };
    let fields = move || {
        let cancel = cancel.clone();
        let warning = original
            .clone()
            .map(|original| view! { <KeyRemovalWarning form original /> });
        // The Form and YAML tabs (type-erased: the form's view type is deep enough as it is).
        let tabs = view! {
            <YamlTabs tab=yaml form hydrated />
            <YamlPanel tab=yaml form hydrated editing />
            <div
                id="panel-form"
                role=move || hydrated.get().then_some("tabpanel")
                aria-labelledby=move || hydrated.get().then_some("tab-form")
                hidden=move || yaml.shown(form, hydrated)
            >
                <LoadedNotice tab=yaml />
                // Drawn again from the form's state when a manifest is loaded into it: the
                // fields hold what they were first given.
                {move || {
                    yaml.loads.track();
                    let initial = form.get_untracked();
                    view! { <SecretFields form initial editing touched submitted hydrated options preview answered yaml /> }.into_any()
                }}
            </div>
        }
        .into_any();
        view! {
            {tabs}
            {assigning.then(|| view! { <CreateAssignSection form hydrated answered /> })}
            {move || server_error().map(|message| view! { <p class="error" role="alert">{message}</p> })}
            // The server was away: said beside Save, with Retry (the form is kept as it is).
            <UnreachableNotice action=create />
            <UnreachableNotice action=update />
            {warning}
            <div class="form-actions">
                <button
                    type="submit"
                    class="button primary"
                    disabled=move || pending.get()
                    on:click=move |_| {
                        submitted.set(true);
                        yaml.show_form();
                    }
                >
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
                // What a manifest loaded in the YAML tab set that the form cannot show.
                <input
                    type="hidden"
                    name="form[external_extra]"
                    value=form.get_untracked().external_extra
                    prop:value=move || form.with(|f| f.external_extra.clone())
                />
                {fields()}
            </ActionForm>
        }
        .into_any(),
        Mode::Edit {
            id, version, name, ..
        } => view! {
            <ActionForm action=update attr:class="form secret-form" attr:novalidate=true>
                <input type="hidden" name="csrf" value=csrf />
                <input type="hidden" name="id" value=id />
                <input type="hidden" name="version" value=version />
                <input type="hidden" name="form[name]" value=name />
                <input type="hidden" name="form[scope]" value=form.get_untracked().scope />
                {project_id.map(|id| view! { <input type="hidden" name="form[project_id]" value=id /> })}
                <input type="hidden" name="form[kind]" value=form.get_untracked().kind />
                // What a manifest set that the form cannot show (dataFrom, template, …).
                <input
                    type="hidden"
                    name="form[external_extra]"
                    value=form.get_untracked().external_extra
                    prop:value=move || form.with(|f| f.external_extra.clone())
                />
                {fields()}
            </ActionForm>
        }
        .into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_post_fills_the_form_again_but_never_a_value() {
        let failed = FailedPost {
            endpoint: "create_secret_form".into(),
            input: [
                ("form[name]", "db-password"),
                ("form[kind]", "Kubernetes"),
                ("form[scope]", "Organization"),
                ("form[key][0]", "password"),
                ("form[key][2]", "user"),
                ("form[remote_key][1]", "x/y"),
                ("form[assign_to][0]", "7"),
                ("form[assign_to][3]", "9"),
                ("form[selectors]", "env=prod\nteam=payments"),
            ]
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .to_vec(),
            error: AppError::validation("name", "taken"),
        };
        let page = SecretForm {
            scope: "Project".into(),
            project_id: Some(4),
            ..SecretForm::default()
        };
        let form = as_posted(&failed, &page);
        assert_eq!(form.name, "db-password");
        assert_eq!(form.kind, "Kubernetes");
        assert_eq!((form.scope.as_str(), form.project_id), ("Project", Some(4)));
        assert_eq!(form.key, ["password", "", "user"]);
        assert_eq!(form.remote_key, ["", "x/y"]);
        assert_eq!(form.assign_to, [7, 9], "the ticks are kept");
        assert_eq!(form.selectors, "env=prod\nteam=payments");
        assert!(form.value.0.iter().all(String::is_empty));
        assert_eq!(form.value.0.len(), 3);
    }
}
