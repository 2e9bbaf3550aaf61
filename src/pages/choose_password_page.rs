//! Choose a new password, after signing in with one an admin reset. Until then the user is not
//! signed in: this form is the only thing they can do. A plain form: works without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::ChoosePassword;
use crate::components::field_message::{FieldMessage, is_about_any};
use crate::components::flash::failed_post;

/// The page at `/password`.
#[component]
pub fn ChoosePasswordPage() -> impl IntoView {
    let choose = ServerAction::<ChoosePassword>::new();
    let failed = failed_post("choose_password");
    let answer = move || {
        choose
            .value()
            .get()
            .or_else(|| failed.get().map(|f| Err(f.error)))
    };
    // Signed in now: a full load, so the whole page (the account menu too) knows it.
    Effect::new(move |_| {
        if matches!(choose.value().get(), Some(Ok(()))) {
            let _ = window().location().set_href("/secrets");
        }
    });
    let password = FieldMessage::answered("new-password", "password", answer);
    let confirm = FieldMessage::answered("confirm-password", "confirm", answer);
    let error = move || {
        answer()
            .and_then(Result::err)
            .filter(|e| !is_about_any(e, &["password", "confirm"]))
            .map(|e| match e {
                crate::error::AppError::Unauthorized => {
                    "Sign in again with the password you were given.".to_owned()
                }
                other => other.to_string(),
            })
    };
    view! {
        <Title text="Choose a new password" />
        <div class="login-card">
            <h1>"Choose a new password"</h1>
            <p>"Your password was reset by an admin. Choose a new one (at least 12 characters) to continue."</p>
            <Transition fallback=|| ()>
            <ActionForm action=choose attr:class="form">
                <label for="new-password">"New password"</label>
                <input
                    id="new-password"
                    type="password"
                    name="password"
                    minlength="12"
                    autocomplete="new-password"
                    required
                    aria-invalid=password.invalid()
                    aria-describedby=password.described_by()
                />
                {password.view()}
                <label for="confirm-password">"Repeat the new password"</label>
                <input
                    id="confirm-password"
                    type="password"
                    name="confirm"
                    minlength="12"
                    autocomplete="new-password"
                    required
                    aria-invalid=confirm.invalid()
                    aria-describedby=confirm.described_by()
                />
                {confirm.view()}
                {move || error().map(|message| view! { <p class="error" role="alert">{message}</p> })}
                <button type="submit" class="button primary">"Save and continue"</button>
                <p><a href="/login" rel="external">"Back to sign-in"</a></p>
            </ActionForm>
            </Transition>
        </div>
    }
}
