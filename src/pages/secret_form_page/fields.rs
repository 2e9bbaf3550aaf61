//! The fields of the secret form, with their error messages: what the rules (the server's
//! own, in `domain`) find as the user types, and what the server answered to a submit, each
//! shown at its field and tied to it (`components::field_message`).

use leptos::prelude::*;

use crate::components::error_summary::{ErrorSummary, Problem};
use crate::components::field_message::{FieldMessage, about, error_id};
use crate::components::load::Load;
use crate::domain::validation::{
    DEFAULT_MIN_REFRESH_INTERVAL, DNS_LABEL, FieldError, MAX_STORE_NAME_LEN, capitalized,
    form_problems,
};
use crate::error::{AppError, field_label};
use crate::model::cluster::FormOptions;
use crate::model::secret::{SecretForm, UseCase};

use super::rows::{ExternalRow, KubernetesRow, row_control_id};
use super::values::{DockerConfigHelper, choose_type};
use super::yaml_tab::{YamlExtras, YamlTab};

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

/// Fields shown once each, by the name the rules give them, with the id of their control.
const SINGLE_FIELDS: [(&str, &str); 5] = [
    ("name", "secret-name"),
    ("use_case", "secret-use-case"),
    ("store", "secret-store"),
    ("refresh_interval", "secret-refresh"),
    ("secret_type", "secret-type"),
];

/// Whether the server's `error` is shown at a field of the form (`editing`: the name is not a
/// field then), rather than on its own.
pub fn shown_at_a_field(error: &AppError, editing: bool) -> bool {
    let AppError::Validation { field, .. } = error else {
        return false;
    };
    let single = SINGLE_FIELDS
        .iter()
        .any(|(name, _)| name == field && !(editing && *name == "name"));
    single || row_list(field).is_some() || ASSIGN_FIELDS.iter().any(|(name, _)| name == field)
}

/// The create form's assigning fields (`assign`), with the control each problem sends the
/// person to.
const ASSIGN_FIELDS: [(&str, &str); 2] = [
    ("assign_to", super::assign::PROJECTS_CONTROL),
    ("selectors", super::assign::SELECTORS_CONTROL),
];

/// The row list a problem belongs to: `data` (External rows) or `keys` (Kubernetes rows, and
/// their values: `values.<key>`).
fn row_list(field: &str) -> Option<&'static str> {
    if field.starts_with("values.") {
        return Some("keys");
    }
    ["data", "keys"]
        .into_iter()
        .find(|list| field == *list || field.starts_with(&format!("{list}[")))
}

/// The entry and column a rule names (`data[2].remote_key`: 2, `remote_key`; `keys[1]`: 1,
/// `key`), or None for a problem of the whole list.
fn entry_of(field: &str) -> Option<(usize, &str)> {
    let (list, rest) = field.split_once('[')?;
    let (index, column) = rest.split_once(']')?;
    let column = match (list, column) {
        ("keys", "") => "key",
        ("data", column) => column.strip_prefix('.')?,
        _ => return None,
    };
    Some((index.parse().ok()?, column))
}

/// The row control a problem names, as the form stands: blank rows are left out of the spec,
/// so `data[1]` is the second filled row.
fn control_of(form: &SecretForm, field: &str) -> Option<String> {
    // A value's problem names its key: the value field of the row with that key.
    if let Some(key) = field.strip_prefix("values.") {
        let row = form.key.iter().position(|k| k.trim() == key)?;
        return Some(row_control_id("keys", row, "value"));
    }
    let list = row_list(field)?;
    let (entry, column) = entry_of(field)?;
    let row = if list == "data" {
        form.external_row(entry)?
    } else {
        form.kubernetes_row(entry)?
    };
    Some(row_control_id(list, row, column))
}

/// The control a problem of `field` sends the person to: its own, or a list's first row.
fn control_for(form: &SecretForm, field: &str) -> Option<String> {
    if let Some((_, id)) = SINGLE_FIELDS
        .iter()
        .chain(&ASSIGN_FIELDS)
        .find(|(name, _)| *name == field)
    {
        return Some((*id).to_owned());
    }
    match field {
        "description" => Some("secret-description".to_owned()),
        "data" => Some(row_control_id("data", 0, "secret_key")),
        "keys" => Some(row_control_id("keys", 0, "key")),
        _ => control_of(form, field),
    }
}

/// Longest description: the server's limit.
const MAX_DESCRIPTION_LEN: usize = 1000;

/// A counter of a limited text field: "12 / 253".
fn counter(
    id: &'static str,
    count: impl Fn() -> usize + Send + Sync + 'static,
    max: usize,
) -> impl IntoView {
    view! { <p class="counter muted" id=id>{move || format!("{} / {max}", count())}</p> }
}

/// The form's fields. `answered`: the server's refusal of the last submit.
#[component]
pub fn SecretFields(
    form: RwSignal<SecretForm>,
    initial: SecretForm,
    editing: bool,
    touched: RwSignal<bool>,
    submitted: RwSignal<bool>,
    hydrated: RwSignal<bool>,
    options: Load<Result<FormOptions, AppError>>,
    preview: Load<Result<String, AppError>>,
    answered: Signal<Option<AppError>>,
    yaml: YamlTab,
) -> impl IntoView {
    // A form sent back (or being edited) has its rows, and one blank row more (a new one gets
    // a few blank rows: all a browser without JavaScript has to type into).
    let rows = |filled: usize| {
        if editing {
            filled + 1
        } else {
            filled.max(INITIAL_ROWS)
        }
    };
    let external_rows = RwSignal::new(rows(initial.secret_key.len()));
    let kubernetes_rows = RwSignal::new(rows(initial.key.len()));
    // The controls the person has left: their problems show; the others' only after Save.
    let left = RwSignal::new(Vec::<String>::new());
    let shown =
        move |control: &str| submitted.get() || left.with(|l| l.iter().any(|c| c == control));
    let mark = move |id: String| {
        if !id.is_empty() && !left.with_untracked(|l| l.contains(&id)) {
            left.update(|l| l.push(id));
        }
    };
    // Values are never sent back: after a refused post they must be typed again.
    let values_cleared = answered.get_untracked().is_some() && !editing;
    let is_kind = move |kind: &'static str| move || form.with(|f| f.kind == kind);
    // Memos: every field and row control reads them.
    let live_problems = Memo::new(move |_| {
        if touched.get() || submitted.get() {
            form.with(|f| form_problems(f, DEFAULT_MIN_REFRESH_INTERVAL))
        } else {
            Vec::new()
        }
    });
    // A field's message: what the rules find as the user types, else what the server
    // answered (announced, as the answer to a submit).
    let field = move |name: &'static str| {
        let id = SINGLE_FIELDS
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(name, |(_, id)| *id);
        let live = move || {
            if !shown(id) {
                return None;
            }
            live_problems.with(|found| {
                found
                    .iter()
                    .find(|e| e.field == name)
                    .map(|e| e.message.clone())
            })
        };
        let server = move || answered.get().and_then(|e| about(e, name));
        // Announced while what it says is the server's answer to the submit.
        FieldMessage::new(id, Signal::derive(move || live().or_else(server))).alert_when(
            Signal::derive(move || {
                let said = server();
                said.is_some() && live().is_none_or(|live| Some(live) == said)
            }),
        )
    };
    let name = field("name").with_help("name-help");
    let use_case = field("use_case");
    let store = field("store");
    let refresh = field("refresh_interval").with_help("refresh-help");
    let secret_type = field("secret_type");
    // The problems of the rows (and of each list as a whole), the rules' and the server's.
    // A live problem shows once its control has been left (or Save pressed).
    let row_problems = Memo::new(move |_| {
        let mut found: Vec<FieldError> = live_problems
            .get()
            .into_iter()
            .filter(|e| row_list(&e.field).is_some())
            .filter(|e| {
                let control = form.with(|f| control_for(f, &e.field));
                control.is_none_or(|c| shown(&c))
            })
            .collect();
        for error in answered.get().map(|e| e.field_errors()).unwrap_or_default() {
            if row_list(&error.field).is_some() && !found.iter().any(|e| e.field == error.field) {
                found.push(error);
            }
        }
        found
    });
    // Every problem, for the summary at the top: after Save, what the rules find and what
    // the server answered, once each.
    let summary = Signal::derive(move || {
        let mut all: Vec<FieldError> = if submitted.get() {
            live_problems.get()
        } else {
            Vec::new()
        };
        for error in answered.get().map(|e| e.field_errors()).unwrap_or_default() {
            let known = all.iter().any(|e| e.field == error.field);
            // (Editing, the name is no field: a problem with it is said on its own.)
            let not_a_field = editing && error.field == "name";
            if !(known || not_a_field) {
                all.push(error);
            }
        }
        all.into_iter()
            .map(|e| Problem {
                control: form.with(|f| control_for(f, &e.field)),
                field: e.field,
                message: e.message,
            })
            .collect::<Vec<_>>()
    });
    // A row control's message, by its id.
    let row_message = move |control: String| {
        Signal::derive(move || {
            row_problems.with(|problems| {
                problems
                    .iter()
                    .find(|e| form.with(|f| control_of(f, &e.field)).as_deref() == Some(&control))
                    .map(|e| e.message.clone())
            })
        })
    };
    // The list's problems, each with the id its row control points at.
    let list_problems = move |list: &'static str| {
        move || {
            row_problems
                .get()
                .into_iter()
                .filter(|e| row_list(&e.field) == Some(list))
                .map(|e| {
                    let id = form.with(|f| control_of(f, &e.field)).map(|c| error_id(&c));
                    view! { <p class="field-error" id=id>{format!("{}: {}", field_label(&e.field), e.message)}</p> }
                })
                .collect_view()
        }
    };
    let initial_use_case = initial.use_case.clone();
    let initial_type = initial.secret_type.clone();
    let external_initial = initial.clone();
    let kubernetes_initial = initial.clone();

    let refused = Signal::derive(move || answered.get().is_some());
    let start_name = initial.name.clone();
    let start_kind = initial.kind.clone();
    view! {
        <ErrorSummary problems=summary refused />
        // Which control the person has left: from then on its problems show. A control that
        // already holds something when it is entered (filled in for an edit, by the registry
        // helper, or sent back) shows its problems as it is changed.
        <div
            class="secret-fields"
            on:focusout=move |ev| {
                let id = event_target::<leptos::web_sys::Element>(&ev).id();
                mark(id);
            }
            on:focusin=move |ev| {
                let control = event_target::<leptos::web_sys::Element>(&ev);
                let field = matches!(control.tag_name().as_str(), "INPUT" | "TEXTAREA");
                if field && !event_target_value(&ev).is_empty() {
                    mark(control.id());
                }
            }
        >
        {(!editing).then(|| view! {
            <label for="secret-name">"Name"</label>
            <input
                id="secret-name"
                name="form[name]"
                required
                maxlength=DNS_LABEL.max_len
                pattern=DNS_LABEL.pattern
                autocomplete="off"
                value=start_name
                aria-invalid=name.invalid()
                aria-describedby=name.described_by()
                on:input=move |ev| {
                    touched.set(true);
                    form.update(|f| f.name = event_target_value(&ev));
                }
            />
            <p id="name-help" class="muted">{format!("{}; the object's name in every namespace it lands in.", capitalized(DNS_LABEL.hint))}</p>
            {counter("name-count", move || form.with(|f| f.name.chars().count()), DNS_LABEL.max_len)}
            {name.view()}
        })}

        <label for="secret-use-case">"Use case"</label>
        <select
            id="secret-use-case"
            name="form[use_case]"
            aria-invalid=use_case.invalid()
            aria-describedby=use_case.described_by()
            on:change=move |ev| form.update(|f| f.use_case = event_target_value(&ev))
        >
            {UseCase::ALL
                .iter()
                .map(|u| view! { <option value=u.as_str() selected=u.as_str() == initial_use_case>{u.as_str()}</option> })
                .collect_view()}
        </select>
        {use_case.view()}

        <label for="secret-description">"Description"</label>
        <textarea
            id="secret-description"
            name="form[description]"
            rows="2"
            maxlength=MAX_DESCRIPTION_LEN
            aria-describedby="description-count"
            on:input=move |ev| form.update(|f| f.description = event_target_value(&ev))
        >{initial.description.clone()}</textarea>
        {counter("description-count", move || form.with(|f| f.description.chars().count()), MAX_DESCRIPTION_LEN)}

        {(!editing).then(|| view! {
            <fieldset class="kind-choice">
                <legend>"Type"</legend>
                <label class="checkbox">
                    <input
                        type="radio"
                        name="form[kind]"
                        value="External"
                        checked=start_kind != "Kubernetes"
                        on:change=move |_| form.update(|f| f.kind = "External".to_owned())
                    />
                    "External (read from a secret store by External Secrets Operator)"
                </label>
                <label class="checkbox">
                    <input
                        type="radio"
                        name="form[kind]"
                        value="Kubernetes"
                        checked=start_kind == "Kubernetes"
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
                maxlength=MAX_STORE_NAME_LEN
                list="store-options"
                autocomplete="off"
                value=initial.store.clone()
                aria-invalid=store.invalid()
                aria-describedby=store.described_by()
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
            {counter("store-count", move || form.with(|f| f.store.chars().count()), MAX_STORE_NAME_LEN)}
            {store.view()}
            <label for="secret-refresh">"Refresh interval"</label>
            <input
                id="secret-refresh"
                name="form[refresh_interval]"
                value=initial.refresh_interval.clone()
                aria-invalid=refresh.invalid()
                aria-describedby=refresh.described_by()
                on:input=move |ev| {
                    touched.set(true);
                    form.update(|f| f.refresh_interval = event_target_value(&ev));
                }
            />
            <p id="refresh-help" class="muted">"Go duration, e.g. 1h0m0s or 15m."</p>
            {refresh.view()}
            <table class="rows-table">
                <caption class="visually-hidden">"Keys"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Target key"</th>
                        <th scope="col">"Remote key"</th>
                        <th scope="col">"Property (optional)"</th>
                        <th scope="col">"Version (optional)"</th>
                        <th scope="col"><span class="visually-hidden">"Remove"</span></th>
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
                                view! { <ExternalRow i form touched hydrated start row_message rows=external_rows /> }
                            })
                            .collect_view()
                    }}
                </tbody>
            </table>
            {list_problems("data")}
            <button
                type="button"
                class="button small"
                hidden=move || !hydrated.get()
                on:click=move |_| external_rows.update(|n| *n += 1)
            >
                "Add key"
            </button>
            <YamlExtras tab=yaml form />
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
                aria-invalid=secret_type.invalid()
                aria-describedby=secret_type.described_by()
                on:change=move |ev| {
                    let chosen = event_target_value(&ev);
                    let needed = form.try_update(|f| choose_type(f, chosen)).unwrap_or(0);
                    kubernetes_rows.update(|rows| *rows = (*rows).max(needed));
                }
            >
                {SECRET_TYPES.iter().map(|t| view! { <option value=*t selected=*t == initial_type>{*t}</option> }).collect_view()}
            </select>
            {secret_type.view()}
            <DockerConfigHelper form touched hydrated />
            {editing.then(|| view! { <p class="muted">"Values are never shown. Leave a value blank to keep it; type one to replace it."</p> })}
            {values_cleared.then(|| view! {
                <p class="notice" id="values-not-kept">
                    "Values are never sent back to the browser, so the value fields below are empty: enter each value again before saving."
                </p>
            })}
            <table class="rows-table">
                <caption class="visually-hidden">"Values"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Key"</th>
                        <th scope="col">"Value (write-only; multi-line)"</th>
                        <th scope="col"><span class="visually-hidden">"Remove"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {move || {
                        (0..kubernetes_rows.get())
                            .map(|i| {
                                let start = kubernetes_initial.key.get(i).cloned().unwrap_or_default();
                                view! { <KubernetesRow i form touched hydrated start row_message rows=kubernetes_rows /> }
                            })
                            .collect_view()
                    }}
                </tbody>
            </table>
            {list_problems("keys")}
            <button
                type="button"
                class="button small"
                hidden=move || !hydrated.get()
                on:click=move |_| kubernetes_rows.update(|n| *n += 1)
            >
                "Add value"
            </button>
        </fieldset>
        </div>

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

/// The items, or "(none)".
fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".to_owned()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rows_problem_points_at_the_control_of_its_filled_row() {
        let form = SecretForm {
            kind: "External".into(),
            secret_key: vec!["".into(), "a".into(), "b".into()],
            remote_key: vec!["".into(), "x/a".into(), "".into()],
            key: vec!["".into(), "".into(), "K".into()],
            ..SecretForm::default()
        };
        assert_eq!(
            control_of(&form, "data[1].remote_key").as_deref(),
            Some("external-2-remote_key")
        );
        assert_eq!(
            control_of(&form, "keys[0]").as_deref(),
            Some("kubernetes-2-key")
        );
        assert_eq!(control_of(&form, "data"), None, "the whole list");
        assert_eq!(control_of(&form, "data[5].secret_key"), None);
        assert_eq!(control_of(&form, "store"), None);
    }

    #[test]
    fn the_servers_problem_with_a_field_is_shown_there_and_others_on_their_own() {
        let at =
            |field: &str, editing| shown_at_a_field(&AppError::validation(field, "x"), editing);
        assert!(at("name", false) && !at("name", true));
        assert!(at("store", true) && at("data[0].remote_key", true) && at("keys", false));
        assert!(!at("scope", false) && !at("dataset", false));
        assert!(!shown_at_a_field(&AppError::Forbidden, false));
    }
}
