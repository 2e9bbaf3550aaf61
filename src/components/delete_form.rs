//! The delete form of a secret: type its name to confirm.

use leptos::prelude::*;

use crate::api::secrets::DeleteSecret;
use crate::components::field_message::FieldMessage;
use crate::components::flash::failed_post;
use crate::components::unreachable::UnreachableNotice;
use crate::components::used_by::UsedByWarning;

/// Delete: type the name to confirm (the server checks it too, and a wrong name is shown at
/// the field); lists the projects it will be removed from. Works without JavaScript; once
/// hydrated, the button waits for the name.
#[component]
pub fn DeleteForm(
    secret_id: i64,
    name: String,
    projects: Vec<String>,
    csrf: String,
    action: ServerAction<DeleteSecret>,
) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let expected = name.clone();
    // Without JavaScript, a refused confirmation comes back here (see `components::flash`).
    let failed = failed_post("delete_secret");
    let confirm = FieldMessage::answered("delete-confirm", "confirm", move || {
        action
            .value()
            .get()
            .or_else(|| failed.get().map(|f| Err(f.error)))
    });
    let affected = if projects.is_empty() {
        "It is not assigned to any project.".to_owned()
    } else {
        format!("It will be removed from: {}.", projects.join(", "))
    };
    view! {
        <h2 id="delete">"Delete"</h2>
        <ActionForm action attr:class="form narrow danger-zone">
            <input type="hidden" name="csrf" value=csrf />
            <input type="hidden" name="id" value=secret_id />
            <p>{affected}</p>
            <UsedByWarning />
            <label for="delete-confirm">{format!("Type {name} to confirm")}</label>
            <input
                id="delete-confirm"
                name="confirm"
                autocomplete="off"
                aria-invalid=confirm.invalid()
                aria-describedby=confirm.described_by()
                on:input=move |ev| typed.set(event_target_value(&ev))
            />
            {confirm.view()}
            <button
                type="submit"
                class="button danger"
                disabled=move || hydrated.get() && typed.get().trim() != expected
            >
                "Delete secret"
            </button>
            <UnreachableNotice action />
        </ActionForm>
    }
}
