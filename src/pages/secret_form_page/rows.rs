//! One row of the secret form's keys: an External row (target key, remote key, property,
//! version) or a Kubernetes row (key, write-only value), each with its Remove button. Every
//! control shows what the form holds, so the rows below a removed one move up with their
//! contents.

use leptos::prelude::*;

use crate::components::field_message::FieldMessage;
use crate::domain::validation::{MAX_KEY_NAME_LEN, MAX_REMOTE_KEY_LEN};
use crate::model::secret::{SecretForm, set_row};

use super::values::ValueCell;

/// The id of a row control: `external-2-remote_key`, `kubernetes-0-key`.
pub(super) fn row_control_id(list: &str, row: usize, column: &str) -> String {
    let kind = if list == "data" {
        "external"
    } else {
        "kubernetes"
    };
    format!("{kind}-{row}-{column}")
}

/// A row control's counter ("230 / 253"), shown once its text passes 80% of `max`: a counter
/// under every cell of every row would bury the table, and far from the limit it says nothing.
fn near_limit(text: impl Fn() -> String + Send + Sync + 'static, max: usize) -> impl IntoView {
    move || {
        let count = text().chars().count();
        (count * 5 > max * 4)
            .then(|| view! { <small class="counter muted">{format!("{count} / {max}")}</small> })
    }
}

/// One External row; `row_message` gives a control's message by the control's id.
#[component]
pub(super) fn ExternalRow(
    i: usize,
    form: RwSignal<SecretForm>,
    touched: RwSignal<bool>,
    hydrated: RwSignal<bool>,
    start: [String; 4],
    row_message: impl Fn(String) -> Signal<Option<String>> + 'static,
    rows: RwSignal<usize>,
) -> impl IntoView {
    let [start_key, start_remote, start_property, start_version] = start;
    let set = move |pick: fn(&mut SecretForm) -> &mut Vec<String>, value: String| {
        touched.set(true);
        form.update(|f| set_row(pick(f), i, value));
    };
    let n = i + 1;
    // Each control's message shows under the table; the control points at it.
    let message = |column: &str| {
        let id = row_control_id("data", i, column);
        FieldMessage::new(&id, row_message(id.clone()))
    };
    let [key, remote, property, version] =
        ["secret_key", "remote_key", "property", "version"].map(message);
    // What the form holds (after a row above is removed, the next one's).
    let now = move |pick: fn(&SecretForm) -> &Vec<String>| {
        move || form.with(|f| pick(f).get(i).cloned().unwrap_or_default())
    };
    let remove = move |_| {
        touched.set(true);
        form.update(|f| {
            for list in [
                &mut f.secret_key,
                &mut f.remote_key,
                &mut f.property,
                &mut f.version,
            ] {
                if i < list.len() {
                    list.remove(i);
                }
            }
        });
        rows.update(|n| *n = n.saturating_sub(1).max(1));
    };
    view! {
        <tr>
            <td>
                <input name=format!("form[secret_key][{i}]") aria-label=format!("Target key {n}") autocomplete="off" value=start_key id=row_control_id("data", i, "secret_key")
                    prop:value=now(|f| &f.secret_key) maxlength=MAX_KEY_NAME_LEN
                    aria-invalid=key.invalid() aria-describedby=key.described_by()
                    on:input=move |ev| set(|f| &mut f.secret_key, event_target_value(&ev)) />
                {near_limit(now(|f| &f.secret_key), MAX_KEY_NAME_LEN)}
            </td>
            <td>
                <input name=format!("form[remote_key][{i}]") aria-label=format!("Remote key {n}") autocomplete="off" value=start_remote id=row_control_id("data", i, "remote_key")
                    prop:value=now(|f| &f.remote_key) maxlength=MAX_REMOTE_KEY_LEN
                    aria-invalid=remote.invalid() aria-describedby=remote.described_by()
                    on:input=move |ev| set(|f| &mut f.remote_key, event_target_value(&ev)) />
                {near_limit(now(|f| &f.remote_key), MAX_REMOTE_KEY_LEN)}
            </td>
            <td>
                <input name=format!("form[property][{i}]") aria-label=format!("Property {n}") autocomplete="off" value=start_property id=row_control_id("data", i, "property")
                    prop:value=now(|f| &f.property)
                    aria-invalid=property.invalid() aria-describedby=property.described_by()
                    on:input=move |ev| set(|f| &mut f.property, event_target_value(&ev)) />
            </td>
            <td>
                <input name=format!("form[version][{i}]") aria-label=format!("Version {n}") autocomplete="off" value=start_version id=row_control_id("data", i, "version")
                    prop:value=now(|f| &f.version)
                    aria-invalid=version.invalid() aria-describedby=version.described_by()
                    on:input=move |ev| set(|f| &mut f.version, event_target_value(&ev)) />
            </td>
            <td>
                <button type="button" class="button small" hidden=move || !hydrated.get() aria-label=format!("Remove key {n}") on:click=remove>
                    "Remove"
                </button>
            </td>
        </tr>
    }
}

/// One Kubernetes row; `row_message` gives a control's message by the control's id. The key
/// follows the form (a Secret type fills its keys in); the value is write-only.
#[component]
pub(super) fn KubernetesRow(
    i: usize,
    form: RwSignal<SecretForm>,
    touched: RwSignal<bool>,
    hydrated: RwSignal<bool>,
    start: String,
    row_message: impl Fn(String) -> Signal<Option<String>> + 'static,
    rows: RwSignal<usize>,
) -> impl IntoView {
    let n = i + 1;
    let remove = move |_| {
        touched.set(true);
        form.update(|f| {
            if i < f.key.len() {
                f.key.remove(i);
            }
            if i < f.value.0.len() {
                f.value.0.remove(i);
            }
        });
        rows.update(|n| *n = n.saturating_sub(1).max(1));
    };
    let id = row_control_id("keys", i, "key");
    let key = FieldMessage::new(&id, row_message(id.clone()));
    let value_id = row_control_id("keys", i, "value");
    let value = FieldMessage::new(&value_id, row_message(value_id.clone()));
    let current_key = move || form.with(|f| f.key.get(i).cloned().unwrap_or_default());
    view! {
        <tr>
            <td>
                <input
                    id=id.clone()
                    name=format!("form[key][{i}]")
                    aria-label=format!("Key {n}")
                    autocomplete="off"
                    value=start
                    prop:value=current_key
                    maxlength=MAX_KEY_NAME_LEN
                    aria-invalid=key.invalid()
                    aria-describedby=key.described_by()
                    on:input=move |ev| {
                        touched.set(true);
                        let value = event_target_value(&ev);
                        form.update(|f| set_row(&mut f.key, i, value));
                    }
                />
                {near_limit(current_key, MAX_KEY_NAME_LEN)}
            </td>
            <td>
                <ValueCell
                    i
                    form
                    touched
                    hydrated
                    described_by=Signal::derive(value.described_by())
                    invalid=Signal::derive(value.invalid())
                />
            </td>
            <td>
                <button type="button" class="button small" hidden=move || !hydrated.get() aria-label=format!("Remove key {n}") on:click=remove>
                    "Remove"
                </button>
            </td>
        </tr>
    }
}
