//! Sign in. A plain form: works before (and without) the WASM bundle.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

use crate::components::contexts::use_user_context;
use crate::components::field_message::{FieldMessage, is_about_any};
use crate::components::flash::failed_post;

/// The sign-in page.
#[component]
pub fn LoginPage() -> impl IntoView {
    let ctx = use_user_context();
    // A refused sign-in names the password (never which of the two was wrong): shown, and
    // announced, at the password field, which points at it. Anything else on its own.
    // Without JavaScript, a refused sign-in comes back here: the email (never the password)
    // and the error.
    let failed = failed_post("login");
    let answer = move || {
        ctx.login
            .value()
            .get()
            .or_else(|| failed.get().map(|f| Err(f.error)))
    };
    let kept_email = move || {
        failed
            .get()
            .and_then(|f| f.field("email").map(str::to_owned))
    };
    let email = FieldMessage::answered("email", "email", answer);
    let password = FieldMessage::answered("password", "password", answer);
    let error = move || {
        answer()
            .and_then(|result| result.err())
            .filter(|e| !is_about_any(e, &["email", "password"]))
            .map(|e| e.to_string())
    };
    // Signed in (now, or already): go to the Secrets page. Without JavaScript the server's 302
    // after the form post does the same.
    let signed_in = move || ctx.signed_in().is_some();
    view! {
        <Title text="Sign in" />
        <Transition fallback=|| ()>
            <Show when=signed_in fallback=|| ()>
                <Redirect path="/secrets" />
            </Show>
        </Transition>
        <div class="login-card">
            <h1>"Sign in"</h1>
            // In a transition: the server waits for a refused post's email before rendering.
            <Transition fallback=|| ()>
            <ActionForm action=ctx.login attr:class="form">
                <label for="email">"Email"</label>
                <input
                    id="email"
                    type="email"
                    name="email"
                    value=kept_email
                    autocomplete="username"
                    required
                    aria-invalid=email.invalid()
                    aria-describedby=email.described_by()
                />
                {email.view()}
                <label for="password">"Password"</label>
                <input
                    id="password"
                    type="password"
                    name="password"
                    autocomplete="current-password"
                    required
                    aria-invalid=password.invalid()
                    aria-describedby=password.described_by()
                />
                {password.view()}
                {move || error().map(|message| view! { <p class="error" role="alert">{message}</p> })}
                <button type="submit" class="button primary">"Sign in"</button>
            </ActionForm>
            </Transition>
        </div>
    }
}
