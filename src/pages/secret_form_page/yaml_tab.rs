//! The create and edit forms' **YAML** tab for External secrets (issue 23): an ExternalSecret
//! manifest pasted or read from a file, checked by the server ([`parse_external_secret_yaml`]:
//! every problem names its path) and loaded into the form. The name (create only), store,
//! refresh interval and key rows go into their fields; everything else (`dataFrom`, the target
//! template, policies, per-key strategies) into the form's hidden `external_extra`, so Save
//! keeps it. The form lists what it cannot edit, read-only, with "Edit as YAML", which fills
//! the tab with the form's whole spec as a manifest ([`external_secret_form_yaml`]).
//!
//! Only once the bundle runs: without JavaScript the create page offers a plain form that
//! posts a manifest instead (`yaml_post`). The tab's manifest is never posted with the form
//! (its controls have no `name`): what is saved is the form.

use leptos::prelude::*;

use crate::api::eso_yaml::{external_secret_form_yaml, parse_external_secret_yaml};
use crate::error::{AppError, FieldError};
use crate::model::eso_yaml::ParsedExternalSecret;
use crate::model::external::{ExternalDataFrom, ExternalTarget};
use crate::model::secret::{
    ExternalDataEntry, ExternalSpec, Scope, SecretForm, SecretSpec, UseCase,
};

/// The id of the manifest's text area.
const TEXT_ID: &str = "secret-yaml";
/// The id of the list of the manifest's problems.
const ERRORS_ID: &str = "secret-yaml-errors";

/// The tab's state, shared by the tab bar, the panel and the form's read-only summary.
#[derive(Clone, Copy)]
pub struct YamlTab {
    /// The YAML tab is chosen (else the form's).
    open: RwSignal<bool>,
    /// The manifest as typed, pasted or read from a file.
    text: RwSignal<String>,
    /// What the server found wrong with the manifest last loaded, each naming its path.
    errors: RwSignal<Vec<FieldError>>,
    /// A problem that is not the manifest's own (a file that is not text, the server away).
    problem: RwSignal<Option<String>>,
    /// The notes of the manifest last loaded into the form.
    notes: RwSignal<Option<Vec<String>>>,
    /// How many manifests were loaded into the form: the fields are drawn again from the form's
    /// state each time (they hold what they were first given).
    pub loads: RwSignal<u32>,
    /// A request is under way.
    busy: RwSignal<bool>,
}

impl YamlTab {
    /// The form's tab chosen, nothing loaded.
    pub fn closed() -> Self {
        YamlTab {
            open: RwSignal::new(false),
            text: RwSignal::new(String::new()),
            errors: RwSignal::new(Vec::new()),
            problem: RwSignal::new(None),
            notes: RwSignal::new(None),
            loads: RwSignal::new(0),
            busy: RwSignal::new(false),
        }
    }

    /// Shows the form's tab (Save does: the problems it finds are there).
    pub fn show_form(self) {
        self.open.set(false);
    }

    /// Whether the YAML tab is shown: chosen, for an External secret, once the bundle runs.
    pub fn shown(self, form: RwSignal<SecretForm>, hydrated: RwSignal<bool>) -> bool {
        self.open.get() && hydrated.get() && form.with(|f| f.kind == "External")
    }

    /// Fills the tab with the form's spec as a manifest and shows it.
    fn edit_as_yaml(self, form: RwSignal<SecretForm>) {
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        let current = form.get_untracked();
        leptos::task::spawn_local(async move {
            let answer = external_secret_form_yaml(current).await;
            self.busy.set(false);
            match answer {
                Ok(yaml) => {
                    self.text.set(yaml);
                    self.errors.set(Vec::new());
                    self.problem.set(None);
                }
                Err(error) => self.problem.set(Some(format!(
                    "The form could not be written as YAML: {error}"
                ))),
            }
            self.open.set(true);
        });
    }

    /// Asks the server to read the manifest; loads it into the form if it may be saved, else
    /// lists its problems beside it.
    fn load(self, form: RwSignal<SecretForm>, editing: bool) {
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        let yaml = self.text.get_untracked();
        let project_id = form.with_untracked(|f| f.project_id);
        leptos::task::spawn_local(async move {
            let answer = parse_external_secret_yaml(yaml, project_id).await;
            self.busy.set(false);
            match answer {
                Ok(parsed) => {
                    let mut notes = parsed.notes.clone();
                    form.update(|f| {
                        if editing && f.name != parsed.name {
                            notes.push(format!(
                                "metadata.name `{}` is not kept: this secret stays `{}` (a \
                                 secret's name never changes).",
                                parsed.name, f.name
                            ));
                        }
                        fill(f, &parsed, editing);
                    });
                    self.errors.set(Vec::new());
                    self.problem.set(None);
                    self.notes.set(Some(notes));
                    self.loads.update(|n| *n += 1);
                    self.open.set(false);
                }
                Err(error) => {
                    let found = error.field_errors();
                    self.problem.set(found.is_empty().then(|| unread(&error)));
                    self.errors.set(found);
                }
            }
        });
    }
}

/// Why a manifest was not read, when it is not the manifest's problem.
fn unread(error: &AppError) -> String {
    format!("The manifest was not loaded: {error}")
}

/// `form` with `parsed` loaded into it: the name (only for a new secret), store, refresh
/// interval, one row a `data` entry, and the rest in `external_extra`. Use case, description
/// and assignments stay as they are.
pub(super) fn fill(form: &mut SecretForm, parsed: &ParsedExternalSecret, editing: bool) {
    let loaded = SecretForm::of(
        &parsed.name,
        Scope::Organization,
        None,
        UseCase::Generic,
        "",
        &SecretSpec::External(parsed.spec.clone()),
    );
    if !editing {
        form.name = loaded.name;
    }
    form.kind = "External".to_owned();
    form.store = loaded.store;
    form.refresh_interval = loaded.refresh_interval;
    form.secret_key = loaded.secret_key;
    form.remote_key = loaded.remote_key;
    form.property = loaded.property;
    form.version = loaded.version;
    form.external_extra = loaded.external_extra;
}

/// What the form holds that it cannot edit (its `external_extra`), one short line each:
/// `dataFrom: extract shared/postgres`, `template: 2 keys (url, dsn)`.
pub(super) fn extras_summary(extra: &str) -> Vec<String> {
    let Ok(spec) = serde_json::from_str::<ExternalSpec>(extra) else {
        return Vec::new();
    };
    let mut lines: Vec<String> = spec.data_from.iter().map(data_from_line).collect();
    lines.extend(target_lines(&spec.target));
    if !spec.refresh_policy.is_default() {
        lines.push(format!("refreshPolicy: {}", spec.refresh_policy.as_str()));
    }
    if spec.sync_windows.is_some() {
        lines.push("syncWindows".to_owned());
    }
    lines.extend(spec.data.iter().filter_map(entry_line));
    lines
}

fn data_from_line(item: &ExternalDataFrom) -> String {
    let mut line = "dataFrom:".to_owned();
    if let Some(extract) = &item.extract {
        line.push_str(&format!(" extract {}", extract.key));
        if let Some(property) = &extract.property {
            line.push_str(&format!(" (property {property})"));
        }
        if let Some(version) = &extract.version {
            line.push_str(&format!(" (version {version})"));
        }
    }
    if let Some(find) = &item.find {
        line.push_str(" find");
        if let Some(regexp) = &find.name_regexp {
            line.push_str(&format!(" names matching {regexp}"));
        }
        if let Some(path) = &find.path {
            line.push_str(&format!(" under {path}"));
        }
        if !find.tags.is_empty() {
            let tags: Vec<String> = find.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            line.push_str(&format!(" tagged {}", tags.join(", ")));
        }
    }
    if item.source_ref.is_some() {
        line.push_str(" from a sourceRef");
    }
    match item.rewrite.len() {
        0 => {}
        1 => line.push_str("; 1 rewrite rule"),
        n => line.push_str(&format!("; {n} rewrite rules")),
    }
    line
}

fn target_lines(target: &ExternalTarget) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(template) = &target.template {
        let keys: Vec<&str> = template.data.keys().map(String::as_str).collect();
        let mut line = match keys.len() {
            0 => "template: no keys".to_owned(),
            1 => format!("template: 1 key ({})", keys[0]),
            n => format!("template: {n} keys ({})", keys.join(", ")),
        };
        if let Some(secret_type) = &template.secret_type {
            line.push_str(&format!("; type {secret_type}"));
        }
        if !template.merge_policy.is_default() {
            line.push_str(&format!("; mergePolicy {}", template.merge_policy.as_str()));
        }
        if !template.template_from.is_empty() {
            line.push_str(&format!("; {} templateFrom", template.template_from.len()));
        }
        let metadata = template.labels.len() + template.annotations.len();
        if metadata > 0 {
            line.push_str("; labels or annotations");
        }
        lines.push(line);
    }
    if !target.creation_policy.is_default() {
        lines.push(format!(
            "target.creationPolicy: {}",
            target.creation_policy.as_str()
        ));
    }
    if !target.deletion_policy.is_default() {
        lines.push(format!(
            "target.deletionPolicy: {}",
            target.deletion_policy.as_str()
        ));
    }
    if target.immutable {
        lines.push("target.immutable: true".to_owned());
    }
    if target.manifest.is_some() {
        lines.push("target.manifest (not a Secret)".to_owned());
    }
    lines
}

fn entry_line(entry: &ExternalDataEntry) -> Option<String> {
    let mut set = Vec::new();
    if !entry.metadata_policy.is_default() {
        set.push(format!("metadataPolicy {}", entry.metadata_policy.as_str()));
    }
    let strategies = &entry.strategies;
    if !strategies.conversion_strategy.is_default() {
        let strategy = strategies.conversion_strategy.as_str();
        set.push(format!("conversionStrategy {strategy}"));
    }
    if !strategies.decoding_strategy.is_default() {
        let strategy = strategies.decoding_strategy.as_str();
        set.push(format!("decodingStrategy {strategy}"));
    }
    if !strategies.null_byte_policy.is_default() {
        let policy = strategies.null_byte_policy.as_str();
        set.push(format!("nullBytePolicy {policy}"));
    }
    if entry.source_ref.is_some() {
        set.push("a sourceRef".to_owned());
    }
    (!set.is_empty()).then(|| format!("key {}: {}", entry.secret_key, set.join(", ")))
}

/// The Form / YAML tab bar, for an External secret once the bundle runs. Choosing YAML with
/// nothing typed there yet writes the form's spec into it.
#[component]
pub fn YamlTabs(
    tab: YamlTab,
    form: RwSignal<SecretForm>,
    hydrated: RwSignal<bool>,
) -> impl IntoView {
    let shown = move || tab.shown(form, hydrated);
    let choose_yaml = move |_| {
        let started = form.with_untracked(|f| {
            !f.store.trim().is_empty()
                || !f.external_extra.is_empty()
                || f.remote_key.iter().any(|k| !k.trim().is_empty())
        });
        if tab.text.with_untracked(|t| t.trim().is_empty()) && started {
            tab.edit_as_yaml(form);
        } else {
            tab.open.set(true);
        }
    };
    view! {
        <div
            class="form-tabs"
            role="tablist"
            aria-label="Write the External secret as"
            hidden=move || !hydrated.get() || form.with(|f| f.kind != "External")
        >
            <button
                type="button"
                role="tab"
                id="tab-form"
                aria-controls="panel-form"
                aria-selected=move || (!shown()).to_string()
                on:click=move |_| tab.open.set(false)
            >
                "Form"
            </button>
            <button
                type="button"
                role="tab"
                id="tab-yaml"
                aria-controls="panel-yaml"
                aria-selected=move || shown().to_string()
                on:click=choose_yaml
            >
                "YAML"
            </button>
        </div>
    }
    .into_any()
}

/// The YAML tab's panel: the manifest, a file to read it from, "Load into the form", and the
/// manifest's problems beside it.
#[component]
pub fn YamlPanel(
    tab: YamlTab,
    form: RwSignal<SecretForm>,
    hydrated: RwSignal<bool>,
    editing: bool,
) -> impl IntoView {
    let invalid = move || (!tab.errors.with(Vec::is_empty)).to_string();
    view! {
        <div
            class="yaml-panel"
            role="tabpanel"
            id="panel-yaml"
            aria-labelledby="tab-yaml"
            hidden=move || !tab.shown(form, hydrated)
        >
            <label for=TEXT_ID>"ExternalSecret manifest (external-secrets.io/v1 or v1beta1)"</label>
            <textarea
                id=TEXT_ID
                class="yaml-input"
                rows="18"
                spellcheck="false"
                autocomplete="off"
                aria-invalid=invalid
                aria-describedby=format!("{TEXT_ID}-help {ERRORS_ID}")
                prop:value=move || tab.text.get()
                on:input=move |ev| tab.text.set(event_target_value(&ev))
            ></textarea>
            <p id=format!("{TEXT_ID}-help") class="muted">
                "metadata.name becomes the secret's name; the namespace comes from each project \
                 it lands in. Everything in the spec is kept: what the form cannot show is \
                 listed there, read-only."
            </p>
            <div class="value-tools">
                <label class="button small file-load">
                    "Load a manifest from a file"
                    <input
                        type="file"
                        accept=".yaml,.yml,.json"
                        class="visually-hidden"
                        on:change=move |ev| read_file(&ev, tab)
                    />
                </label>
                <button
                    type="button"
                    class="button primary small"
                    disabled=move || tab.busy.get()
                    on:click=move |_| tab.load(form, editing)
                >
                    {move || if tab.busy.get() { "Loading…" } else { "Load into the form" }}
                </button>
            </div>
            // The live region wraps the list, so that the list stays a list for a screen
            // reader (a role on the `ul` would replace its own).
            <div id=ERRORS_ID role="alert">
                <ul class="yaml-errors" aria-label="Problems in the manifest">
                    {move || {
                        tab.errors
                            .get()
                            .into_iter()
                            .map(|e| view! { <li class="field-error"><code>{e.field}</code>{format!(": {}", e.message)}</li> })
                            .collect_view()
                    }}
                </ul>
            </div>
            {move || tab.problem.get().map(|message| view! { <p class="field-error" role="alert">{message}</p> })}
        </div>
    }
    .into_any()
}

/// Above the form's fields after a manifest was loaded: that it was, and its notes (fields
/// the console owns that the manifest set differently).
#[component]
pub fn LoadedNotice(tab: YamlTab) -> impl IntoView {
    move || {
        tab.notes.get().map(|notes| {
            view! {
                <div class="notice yaml-loaded" role="status">
                    <p>"The manifest is loaded into the form: check it, then save."</p>
                    <ul>{notes.into_iter().map(|note| view! { <li>{note}</li> }).collect_view()}</ul>
                </div>
            }
        })
    }
}

/// In the External fieldset: what the form holds that it cannot edit, read-only, with "Edit
/// as YAML". Nothing when there is none.
#[component]
pub fn YamlExtras(tab: YamlTab, form: RwSignal<SecretForm>) -> impl IntoView {
    move || {
        let lines = form.with(|f| extras_summary(&f.external_extra));
        (!lines.is_empty()).then(|| {
            view! {
                <div class="yaml-extras">
                    <p id="yaml-extras-title">"Set in YAML (read-only here):"</p>
                    <ul aria-labelledby="yaml-extras-title">
                        {lines.into_iter().map(|line| view! { <li><code>{line}</code></li> }).collect_view()}
                    </ul>
                    <button type="button" class="button small" on:click=move |_| tab.edit_as_yaml(form)>
                        "Edit as YAML"
                    </button>
                </div>
            }
        })
    }
}

/// Reads the chosen file into the manifest; a file that is not UTF-8 text is refused by name.
fn read_file(ev: &leptos::ev::Event, tab: YamlTab) {
    super::values::read_text_file(ev, move |read| match read {
        Ok(text) => {
            tab.problem.set(None);
            tab.errors.set(Vec::new());
            tab.text.set(text);
        }
        Err(name) => tab.problem.set(Some(format!(
            "{name} is not a text file (UTF-8): load a YAML or JSON manifest"
        ))),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::external::{ExternalExtract, ExternalTemplate, MergePolicy};

    fn parsed() -> ParsedExternalSecret {
        let mut spec = ExternalSpec {
            store: "vault".into(),
            refresh_interval: "15m0s".into(),
            data: vec![ExternalDataEntry {
                secret_key: "token".into(),
                remote_key: "shared/token".into(),
                version: Some("v2".into()),
                ..Default::default()
            }],
            data_from: vec![ExternalDataFrom {
                extract: Some(ExternalExtract {
                    key: "shared/postgres".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            ..Default::default()
        };
        spec.target.template = Some(ExternalTemplate {
            merge_policy: MergePolicy::Merge,
            data: [("url".to_owned(), "postgres://{{ .username }}@db".to_owned())].into(),
            ..Default::default()
        });
        ParsedExternalSecret {
            name: "pasted".into(),
            spec,
            notes: Vec::new(),
        }
    }

    #[test]
    fn a_loaded_manifest_fills_the_fields_and_keeps_the_rest_for_save() {
        let parsed = parsed();
        let mut form = SecretForm {
            name: "typed".into(),
            scope: "Organization".into(),
            use_case: "Database".into(),
            kind: "Kubernetes".into(),
            secret_key: vec!["a".into(), "b".into(), "c".into()],
            assign_to: vec![4],
            ..SecretForm::default()
        };
        fill(&mut form, &parsed, false);
        assert_eq!(
            (form.name.as_str(), form.kind.as_str()),
            ("pasted", "External")
        );
        assert_eq!(
            (form.store.as_str(), form.refresh_interval.as_str()),
            ("vault", "15m0s")
        );
        assert_eq!(form.secret_key, ["token"], "the rows are the manifest's");
        assert_eq!(form.version, ["v2"]);
        assert_eq!(
            (form.use_case.as_str(), form.assign_to.as_slice()),
            ("Database", &[4][..])
        );
        let saved = form.into_input().expect("reads").spec;
        assert_eq!(
            saved,
            SecretSpec::External(parsed.spec.clone()),
            "Save keeps every field"
        );

        let mut editing = form.clone();
        editing.name = "kept".into();
        fill(&mut editing, &parsed, true);
        assert_eq!(editing.name, "kept", "an edited secret keeps its name");
    }

    #[test]
    fn what_the_form_cannot_edit_is_listed_in_short() {
        let parsed = parsed();
        let mut form = SecretForm::default();
        fill(&mut form, &parsed, false);
        assert_eq!(
            extras_summary(&form.external_extra),
            [
                "dataFrom: extract shared/postgres",
                "template: 1 key (url); mergePolicy Merge",
            ]
        );
        assert!(extras_summary("").is_empty());
    }
}
